// The client pauses in open; the server writes "hello" and closes at once. Nothing is delivered
// while paused (neither the bytes nor the FIN); 200 ms later the client resumes and gets the data,
// then end, then close.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); sayRc("server", "write", s.write("hello")); s.close(); },
    data(s, d) { sayData("server", d); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) {
      say("client open");
      s.pause();
      say("client paused");
      setTimeout(() => { say("client resume"); s.resume(); }, 200);
    },
    data(s, d) { sayData("client", d); },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
