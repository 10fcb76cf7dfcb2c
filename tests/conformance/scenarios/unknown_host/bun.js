// An unknown host name: connectError ENOTFOUND "getaddrinfo". Twice (the second from inside the
// first connectError): the failure is repeatable.
import { say, sayData, sayErr, init, connect } from "../../lib/conf.js";
init();

let attempts = 0;
function attempt() {
  attempts++;
  connect({
    hostname: "nonexistent.invalid",
    port: 80,
    socket: {
      open(s) { say("client open"); },
      data(s, d) { sayData("client", d); },
      close(s, e) { sayErr("client", "close", e); },
      connectError(s, e) {
        sayErr("client", "connect_error", e);
        say("client message_names_host", String(e.message.includes("nonexistent.invalid")));
        if (attempts < 2) attempt();
      },
    },
  });
}
attempt();
