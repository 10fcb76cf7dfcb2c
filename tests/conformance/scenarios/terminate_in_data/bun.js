// The server terminates (RST) inside its data handler: its close runs inside terminate(), clean;
// the client sees close with ECONNRESET "read", no end, no error.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); s.terminate(); say("server terminate() returned"); },
    error(s, e) { sayErr("server", "error", e); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); sayRc("client", "write", s.write("abc")); },
    data(s, d) { sayData("client", d); },
    end(s) { say("client end"); },
    error(s, e) { sayErr("client", "error", e); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
