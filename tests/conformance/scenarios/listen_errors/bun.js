// Listen failures are synchronous and fire no handler: handlers with neither data nor drain, a
// port in use, a host name that does not resolve, a unix path in use. After them a good listen
// still works. (A malformed host name: see malformed_host.)
import { say, init } from "../../lib/conf.js";
init();

const noop = { data() {}, open() { say("server open (unexpected)"); } };
function attempt(what, opts) {
  try {
    const l = Bun.listen(opts);
    say("main listen", what, "-> ok");
    return l;
  } catch (e) {
    say("main listen", what, "-> error", e.code);
    return null;
  }
}

try {
  Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open() {} } });
  say("main listen without data/drain -> ok");
} catch (e) {
  say("main listen without data/drain -> error # " + e.code);
}
const first = attempt("127.0.0.1:0", { hostname: "127.0.0.1", port: 0, socket: noop });
attempt("on the same port", { hostname: "127.0.0.1", port: first.port, socket: noop });
attempt("on an unknown host", { hostname: "nonexistent.invalid", port: 0, socket: noop });
const path = process.env.CONF_TMP + "/in-use.sock";
const u = attempt("on a unix path", { unix: path, socket: noop });
attempt("on the same unix path", { unix: path, socket: noop });
first.stop();
u.stop();
const again = attempt("on the unix path after stop", { unix: path, socket: noop });
again.stop();
