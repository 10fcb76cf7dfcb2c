// A malformed host name ("bad host!"). Listen: which error? Connect: what reports the failure,
// the connect call or the connectError handler, and with which error?
import { say, sayData, sayErr, init, connect } from "../../lib/conf.js";
init();

try {
  Bun.listen({ hostname: "bad host!", port: 0, socket: { data() {} } });
  say("server listen -> ok");
} catch (e) {
  say("server listen -> error", e.code);
}

try {
  connect({
    hostname: "bad host!",
    port: 80,
    socket: {
      open(s) { say("client open"); },
      data(s, d) { sayData("client", d); },
      close(s, e) { sayErr("client", "close", e); },
      connectError(s, e) { sayErr("client", "connect_error", e); },
    },
  });
  say("client connect -> ok");
} catch (e) {
  say("client connect -> error", e.code);
}
