// The client pauses in open; the server writes "hello" and terminates (RST) at once. Is the reset
// reported while the client is paused, and are the bytes that arrived before it delivered? The
// client resumes 200 ms later.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); sayRc("server", "write", s.write("hello")); s.terminate(); },
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
    error(s, e) { sayErr("client", "error", e); },
    close(s, e) { sayErr("client", "close", e); },
    connectError(s, e) { sayErr("client", "connect_error", e); },
  },
});
