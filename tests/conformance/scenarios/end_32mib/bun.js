// end() with 32 MiB in one call, in open. Is the whole chunk accepted (the return value), and
// does every byte reach the server before the FIN (count and SHA-256)?
// (the header: bun_tcp_socket_write / bun_tcp_socket_end: bun_tcp's end accepts the whole chunk; Bun's end sends what the kernel takes.)
// The client has a drain handler: without one, Bun never sends the FIN after a short end (see
// tests/conformance/README.md, "Bun bugs seen").
import { say, sayErr, pattern, sha256, init, connect } from "../../lib/conf.js";
init(30);

const N = 32 * 1024 * 1024;
const payload = pattern(N, 2);
const expected = sha256().update(payload).digest("hex");

let received = 0;
const hash = sha256();
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { received += d.length; hash.update(d); },
    end(s) {
      say("server end: received all bytes:", String(received === N),
          "; sha256 matches:", String(hash.digest("hex") === expected));
    },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) {
      say("client open");
      const n = s.end(payload);
      say("client end accepted the whole chunk:", String(n === N));
    },
    drain(s) { say("client drain"); },
    data() {},
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
