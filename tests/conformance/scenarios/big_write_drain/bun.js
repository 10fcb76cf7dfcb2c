// 16 MiB through write + drain: the first write is short (the kernel takes what fits), drain
// fires, the client resends the rest from drain until all is written, then closes. The server
// counts and hashes what it receives.
import { say, sayErr, pattern, sha256, init, connect } from "../../lib/conf.js";
init(30);

const N = 16 * 1024 * 1024;
const payload = pattern(N, 1);
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
      say("server end received", received, "bytes, sha256 matches:", String(hash.digest("hex") === expected));
    },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

let off = 0, writes = 0, shortWrites = 0, drains = 0;
function pump(s) {
  while (off < N) {
    const n = s.write(payload.subarray(off));
    writes++;
    if (n < 0) { say("client write failed", n); return; }
    off += n;
    if (off < N) { shortWrites++; return; } // wait for drain
  }
  say("client wrote all", off, "bytes; some writes were short:", String(shortWrites > 0),
      "; drain fired:", String(drains > 0));
  s.close();
}
connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); pump(s); },
    drain(s) { drains++; pump(s); },
    data() {},
    close(s, e) { sayErr("client", "close", e); },
  },
});
