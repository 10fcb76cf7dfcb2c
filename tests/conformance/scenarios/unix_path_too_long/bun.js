// A unix-socket path longer than sun_path (108 bytes): which error, and from where (the call, or
// the connectError handler)?
import { say, sayData, sayErr, init, connect } from "../../lib/conf.js";
init();

const path = process.env.CONF_TMP + "/" + "x".repeat(200) + ".sock";
try {
  Bun.listen({ unix: path, socket: { data() {} } });
  say("server listen -> ok");
} catch (e) {
  say("server listen -> error", e.code);
}
try {
  connect({
    unix: path,
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
