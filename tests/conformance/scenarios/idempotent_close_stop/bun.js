// close() twice on a socket and stop() three times on a listener (plain, plain, with close): the
// close handler runs once, the second close is a no-op, stop is idempotent.
import { say, sayErr, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data() {},
    end(s) { say("server end"); },
    close(s, e) {
      sayErr("server", "close", e);
      server.stop();
      server.stop();
      server.stop(true);
      say("server stopped three times");
    },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) {
      say("client open");
      s.close();
      say("client closed once");
      s.close();
      say("client closed twice");
    },
    data() {},
    close(s, e) { sayErr("client", "close", e); },
  },
});
