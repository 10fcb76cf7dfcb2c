// bun_peer.js: Bun 1.4.4's side of the TLS interop tests (tests/tls/interop_bun.sh).
//
//   bun bun_peer.js server FIXTURES [--request-cert] [--alpn h2,http/1.1]
//       Bun.listen with tls { cert, key, ca, requestCert }: prints "PORT <n>", echoes every byte
//       of one connection (with backpressure: what write() did not take is resent from drain),
//       and ends once the client has ended and the echo is flushed; then exits.
//   bun bun_peer.js client FIXTURES PORT FILE EXPECT [--client-cert] [--alpn h2]
//       Bun.connect with tls { ca, serverName: "localhost" }: sends FILE while reading EXPECT bytes,
//       and ends once both are done. Exits 0 when the handshake was authorized, the whole FILE
//       was sent and EXPECT bytes arrived.
// Both print "RESULT version=.. cipher=.. alpn=.. authorized=.. sent=N recv=M recv_sha256=<hex>
// sent_sha256=<hex> close=.." on stdout.
const [mode, fx, ...rest] = process.argv.slice(2);
const flag = (name) => rest.includes(name);
const opt = (name) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
// ALPN as Bun takes it: the wire format (length-prefixed names)
const alpnWire = (list) =>
  list ? Buffer.concat(list.split(",").map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)]))) : undefined;
const hex = (h) => h.digest("hex");
const timer = setTimeout(() => {
  console.error("bun_peer: timeout");
  process.exit(3);
}, 1000 * Number(process.env.BUN_TCP_INTEROP_TIMEOUT || 30));

function result(s, st) {
  let version = "-", cipher = "-";
  try {
    version = s.getTLSVersion() || "-";
    cipher = (s.getCipher() || {}).standardName || "-";
  } catch {}
  console.log(
    `RESULT version=${version} cipher=${cipher} alpn=${s.alpnProtocol || "-"} authorized=${s.authorized ? 1 : 0} ` +
      `sent=${st.sent} recv=${st.recv} recv_sha256=${hex(st.recvHash)} sent_sha256=${hex(st.sentHash)} close=${st.closeName}`,
  );
}

if (mode === "server") {
  const st = { queue: [], ended: false, sent: 0, recv: 0, recvHash: new Bun.CryptoHasher("sha256"), sentHash: new Bun.CryptoHasher("sha256"), closeName: "clean", error: false };
  const flush = (s) => {
    while (st.queue.length) {
      const head = st.queue[0];
      const n = s.write(head);
      if (n < 0) return;
      st.sentHash.update(head.subarray(0, n));
      st.sent += n;
      if (n < head.length) {
        st.queue[0] = head.subarray(n);
        return; // drain follows
      }
      st.queue.shift();
    }
    if (st.ended) s.end();
  };
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    tls: {
      cert: Bun.file(`${fx}/server.crt`),
      key: Bun.file(`${fx}/server.key`),
      ca: Bun.file(`${fx}/ca.crt`),
      requestCert: flag("--request-cert"),
      rejectUnauthorized: flag("--request-cert"),
      ALPNProtocols: alpnWire(opt("--alpn")),
    },
    socket: {
      handshake(s, ok, err) {
        console.error(`bun_peer server: handshake ${ok} ${err ? err.code : ""}`);
      },
      data(s, d) {
        st.recv += d.length;
        st.recvHash.update(d);
        st.queue.push(new Uint8Array(d)); // a copy: the buffer may be reused after the call
        flush(s);
      },
      drain(s) {
        flush(s);
      },
      end(s) {
        st.ended = true;
        flush(s);
      },
      error(s, e) {
        st.error = true;
        st.closeName = e.code || String(e);
        console.error("bun_peer server: error", e);
      },
      close(s) {
        result(s, st);
        server.stop(true);
        clearTimeout(timer);
        process.exitCode = st.error ? 1 : 0;
      },
    },
  });
  console.log(`PORT ${server.port}`);
} else if (mode === "client") {
  const [port, file, expectText] = rest;
  const expect = Number(expectText);
  const payload = new Uint8Array(await Bun.file(file).arrayBuffer());
  const st = { off: 0, sent: 0, recv: 0, recvHash: new Bun.CryptoHasher("sha256"), sentHash: new Bun.CryptoHasher("sha256"), closeName: "clean", error: false, authorized: false, done: false };
  // ends once everything was sent and EXPECT bytes arrived
  const maybeEnd = (s) => {
    if (st.done || st.off < payload.length || st.recv < expect) return;
    st.done = true;
    result(s, st);
    s.end();
  };
  const pump = (s) => {
    while (st.off < payload.length) {
      const chunk = payload.subarray(st.off, Math.min(payload.length, st.off + 256 * 1024));
      const n = s.write(chunk);
      if (n <= 0) return; // drain follows
      st.sentHash.update(chunk.subarray(0, n));
      st.off += n;
      st.sent += n;
      if (n < chunk.length) return;
    }
    maybeEnd(s);
  };
  await Bun.connect({
    hostname: "127.0.0.1",
    port: Number(port),
    tls: {
      ca: Bun.file(`${fx}/ca.crt`),
      serverName: "localhost",
      rejectUnauthorized: true,
      cert: flag("--client-cert") ? Bun.file(`${fx}/client.crt`) : undefined,
      key: flag("--client-cert") ? Bun.file(`${fx}/client.key`) : undefined,
      ALPNProtocols: alpnWire(opt("--alpn")),
    },
    socket: {
      handshake(s, ok, err) {
        console.error(`bun_peer client: handshake ${ok} ${err ? err.code : ""}`);
        st.authorized = ok && !err;
        if (ok) pump(s);
      },
      data(s, d) {
        st.recv += d.length;
        st.recvHash.update(d);
        maybeEnd(s);
      },
      drain(s) {
        pump(s);
      },
      error(s, e) {
        st.error = true;
        st.closeName = e.code || String(e);
        console.error("bun_peer client: error", e);
      },
      connectError(s, e) {
        st.error = true;
        console.error("bun_peer client: connect error", e);
      },
      close(s) {
        if (!st.done) result(s, st);
        clearTimeout(timer);
        process.exitCode = !st.error && st.authorized && st.recv === expect && st.sent === payload.length ? 0 : 1;
      },
    },
  });
} else {
  console.error("usage: bun bun_peer.js server|client FIXTURES ...");
  process.exit(2);
}
