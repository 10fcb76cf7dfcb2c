// Connect by host name ("localhost", resolved off the loop thread) to a listener on 127.0.0.1;
// the handlers were reloaded on the listener before anything connected.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server v1 open (unexpected)"); },
    data() {},
  },
});
server.reload({
  socket: {
    open(s) { say("server v2 open"); sayRc("server", "write", s.write("hi " + s.remoteAddress)); s.close(); },
    data() {},
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "localhost",
  port: server.port,
  socket: {
    open(s) { say("client open remoteAddress", s.remoteAddress); },
    data(s, d) { sayData("client", d); },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
    connectError(s, e) { sayErr("client", "connect_error", e); },
  },
});
