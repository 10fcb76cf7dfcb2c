// Interop peer: a Bun client for a bun_tcp server (c_server.c), run by ../run.py.
//   bun bun_client.js big PORT    sends 64 MiB (pattern seed 11) with write + drain while
//                                 receiving the server's 64 MiB; prints bytes and SHA-256; closes.
//   bun bun_client.js echo PORT   100 concurrent connections, 10 small messages each, one at a
//                                 time, each echo checked; prints the counts.
import { say, pattern, sha256, init } from "../lib/conf.js";
init(60);

const BIG = 64 * 1024 * 1024;
const CONNS = 100, MSGS = 10;
const [mode, portArg] = process.argv.slice(2);
const port = Number(portArg);

if (mode === "big") {
  const out = pattern(BIG, 11);
  const sentHex = sha256().update(out).digest("hex");
  const rx = sha256();
  let sent = 0, received = 0, reported = false;
  const report = s => {
    if (reported || sent < BIG || received < BIG) return;
    reported = true;
    say(`client sent bytes=${sent} sha256=${sentHex}`);
    say(`client received bytes=${received} sha256=${rx.digest("hex")}`);
    s.close();
  };
  const pump = s => {
    while (sent < BIG) {
      const n = s.write(out.subarray(sent));
      if (n < 0) { say("client write failed"); s.close(); return; }
      sent += n;
      if (sent < BIG) return;
    }
    report(s);
  };
  Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: pump,
      drain: pump,
      data(s, d) { received += d.length; rx.update(d); report(s); },
      close(s, e) {
        if (e) say("client close", e.code);
        if (!reported) say(`client incomplete sent=${sent} received=${received}`);
      },
      connectError(s, e) { say("client connect_error", e.code); },
    },
  }).catch(() => {});
} else {
  let opened = 0, ok = 0, messages = 0, failed = 0, closed = 0;
  const send = s => {
    const c = s.data;
    c.expect = `conn ${c.id} msg ${c.msg}\n`;
    c.got = "";
    if (s.write(c.expect) !== c.expect.length) { c.bad = true; s.close(); }
  };
  const done = () => {
    if (closed + failed === CONNS)
      say(`client echo connections=${opened} ok=${ok} messages=${messages} connect_errors=${failed}`);
  };
  for (let i = 0; i < CONNS; i++) {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      data: { id: i, msg: 0, bad: false },
      socket: {
        open(s) { opened++; send(s); },
        data(s, d) {
          const c = s.data;
          c.got += d.toString();
          if (!c.expect.startsWith(c.got)) { c.bad = true; s.close(); return; }
          if (c.got.length < c.expect.length) return;
          messages++;
          if (++c.msg < MSGS) send(s);
          else s.close();
        },
        close(s, e) {
          if (e) say("client close", e.code);
          if (!s.data.bad && s.data.msg === MSGS) ok++;
          closed++;
          done();
        },
        connectError(s, e) { failed++; say("client connect_error", e.code); done(); },
      },
    }).catch(() => {});
  }
}
