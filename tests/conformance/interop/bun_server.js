// Interop peer: a Bun server for a bun_tcp client (c_client.c), run by ../run.py.
//   bun bun_server.js big    one connection; sends 64 MiB (pattern seed 22) with write + drain
//                            while receiving the client's 64 MiB; prints bytes and SHA-256 of both.
//   bun bun_server.js echo   echoes every byte; stops after 100 connections closed.
// The first line is "server listening port=N".
import { say, pattern, sha256, init } from "../lib/conf.js";
init(60);

const BIG = 64 * 1024 * 1024;
const ECHO_CONNS = 100;
const mode = process.argv[2];
let server;

if (mode === "big") {
  const out = pattern(BIG, 22);
  const sentHex = sha256().update(out).digest("hex");
  const rx = sha256();
  let sent = 0, received = 0, reported = false;
  const report = () => {
    if (reported || sent < BIG || received < BIG) return;
    reported = true;
    say(`server sent bytes=${sent} sha256=${sentHex}`);
    say(`server received bytes=${received} sha256=${rx.digest("hex")}`);
  };
  const pump = s => {
    while (sent < BIG) {
      const n = s.write(out.subarray(sent));
      if (n < 0) { say("server write failed"); s.close(); return; }
      sent += n;
      if (sent < BIG) return;
    }
    report();
  };
  server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: pump,
      drain: pump,
      data(s, d) { received += d.length; rx.update(d); report(); },
      close(s, e) {
        if (e) say("server close", e.code);
        if (!reported) say(`server incomplete sent=${sent} received=${received}`);
        server.stop();
      },
    },
  });
} else {
  let accepted = 0, closed = 0, maxConcurrent = 0;
  server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() { maxConcurrent = Math.max(maxConcurrent, ++accepted - closed); },
      data(s, d) {
        // small messages: the kernel takes them whole; a short write would be a test failure
        if (s.write(d) !== d.length) { say("server short echo write"); s.close(); }
      },
      close(s, e) {
        if (e) say("server close", e.code);
        if (++closed === ECHO_CONNS) {
          say(`server echo accepted=${accepted} closed=${closed} max_concurrent=${maxConcurrent}`);
          server.stop();
        }
      },
    },
  });
}
say(`server listening port=${server.port}`);
