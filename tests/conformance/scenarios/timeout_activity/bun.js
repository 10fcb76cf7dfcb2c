// A 1-second timeout on a busy socket: the client sends "tick" every 300 ms for 6 s, then closes.
// Does the timeout fire although the socket was never idle for 1 s?
// (the header: bun_tcp_socket_timeout: bun_tcp's timeout is an idle timeout, reset by every read and write.)
import { say, sayErr, init, connect } from "../../lib/conf.js";
init(30);

let ticks = 0;
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); s.timeout(1); },
    data(s, d) { ticks += d.length / 4; },
    timeout(s) { say("server timeout"); },
    end(s) { say("server end after", ticks, "ticks"); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) {
      say("client open");
      let sent = 0;
      const t = setInterval(() => {
        s.write("tick");
        if (++sent === 20) { clearInterval(t); s.close(); }
      }, 300);
    },
    data() {},
    close(s, e) { sayErr("client", "close", e); },
  },
});
