// A Linux abstract unix-socket name (a leading NUL byte): listen, connect, one message each way.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const name = "\0bun_tcp_conformance_" + process.pid;
const server = Bun.listen({
  unix: name,
  socket: {
    open(s) { say("server open"); sayRc("server", "write", s.write("welcome")); },
    data(s, d) { sayData("server", d); s.close(); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  unix: name,
  socket: {
    open(s) { say("client open"); },
    data(s, d) { sayData("client", d); sayRc("client", "write", s.write("thanks")); },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
