// bun_session_peer.js: Bun 1.4.4's side of the TLS session resumption interop test
// (tests/tls/interop_bun_sessions.sh). Connections run one after another; each one reports
// `reused` (socket.isSessionReused() once the handshake is done).
//
//   bun bun_session_peer.js server FIXTURES N
//       Bun.listen with tls { cert, key }: prints "PORT <n>", echoes every byte of each connection
//       (what write() did not take is resent from drain) and ends once the client has ended and
//       the echo is flushed; exits after N connections closed.
//   bun bun_session_peer.js client FIXTURES PORT FILE EXPECT N HOW
//       N connects one after another with tls { ca, serverName: "localhost" }; each sends FILE
//       while reading EXPECT bytes, then takes the session and ends. HOW the session of the last
//       connection is offered to the next one:
//         set-session     Bun.connect, then socket.setSession(session) in `open`
//         session-option  Bun.connect({tls: {session}})
//         node-tls        node:tls tls.connect({session}), the session from the "session" event
//         none            nothing offered
//       The session is socket.getSession() (node-tls: the last "session" event) read once the
//       whole echo has arrived, so TLS 1.3 tickets (sent after the handshake) are in it.
// One line per connection on stdout, in order:
//   RESULT i=1 version=TLSv1.3 reused=0 session=<size of the client's session at the end, 0 on a
//          server> authorized=1 sent=N recv=M recv_sha256=<hex> close=clean
// Exit 0 when every connection was authorized (client), sent and received everything and closed
// without an error; 1 otherwise.
import tls from "node:tls";

const [mode, fx, ...rest] = process.argv.slice(2);
const timer = setTimeout(() => {
  console.error("bun_session_peer: timeout");
  process.exit(3);
}, 1000 * Number(process.env.BUN_TCP_INTEROP_TIMEOUT || 30));

const newStats = (i) => ({
  i,
  sent: 0,
  recv: 0,
  recvHash: new Bun.CryptoHasher("sha256"),
  reused: -1,
  version: "-",
  authorized: 0,
  session: 0,
  error: "",
  closed: false,
});

function result(st) {
  console.log(
    `RESULT i=${st.i} version=${st.version} reused=${st.reused} session=${st.session} authorized=${st.authorized} ` +
      `sent=${st.sent} recv=${st.recv} recv_sha256=${st.recvHash.digest("hex")} close=${st.error || "clean"}`,
  );
}

if (mode === "server") {
  const n = Number(rest[0]);
  const all = [];
  let closed = 0;
  // per connection: the queue of echo bytes not yet taken by write()
  const flush = (s) => {
    const c = s.data;
    while (c.queue.length) {
      const head = c.queue[0];
      const w = s.write(head);
      if (w < 0) return;
      c.st.sent += w;
      if (w < head.length) {
        c.queue[0] = head.subarray(w);
        return; // drain follows
      }
      c.queue.shift();
    }
    if (c.ended) s.end();
  };
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    tls: { cert: Bun.file(`${fx}/server.crt`), key: Bun.file(`${fx}/server.key`) },
    socket: {
      open(s) {
        const st = newStats(all.length + 1);
        all.push(st);
        s.data = { st, queue: [], ended: false };
      },
      handshake(s, ok, err) {
        const st = s.data.st;
        st.reused = s.isSessionReused() ? 1 : 0;
        st.version = s.getTLSVersion() || "-";
        st.authorized = ok ? 1 : 0;
        if (!ok) st.error = (err && err.code) || "handshake";
      },
      data(s, d) {
        s.data.st.recv += d.length;
        s.data.st.recvHash.update(d);
        s.data.queue.push(new Uint8Array(d)); // a copy: the buffer may be reused after the call
        flush(s);
      },
      drain(s) {
        flush(s);
      },
      end(s) {
        s.data.ended = true;
        flush(s);
      },
      error(s, e) {
        s.data.st.error = e.code || String(e);
        console.error("bun_session_peer server: error", e);
      },
      close(s) {
        s.data.st.closed = true;
        if (++closed < n) return;
        server.stop(true);
        clearTimeout(timer);
        all.forEach(result);
        const good = (st) => !st.error && st.closed && st.sent === st.recv;
        process.exitCode = all.length === n && all.every(good) ? 0 : 1;
      },
    },
  });
  console.log(`PORT ${server.port}`);
} else if (mode === "client") {
  const [portText, file, expectText, nText, how] = rest;
  const port = Number(portText), expect = Number(expectText), n = Number(nText);
  if (!["set-session", "session-option", "node-tls", "none"].includes(how)) {
    console.error(`bun_session_peer: unknown HOW ${how}`);
    process.exit(2);
  }
  const payload = new Uint8Array(await Bun.file(file).arrayBuffer());
  const ca = await Bun.file(`${fx}/ca.crt`).text();
  let session; // offered to the next connection
  const all = [];

  // the shared per-connection logic over a small adapter (Bun socket or node:tls socket)
  const connection = (st, io) => {
    let off = 0,
      done = false;
    const maybeEnd = () => {
      if (done || off < payload.length || st.recv < expect) return;
      done = true;
      const next = io.session();
      st.session = next ? next.length : 0;
      if (how !== "none") session = next;
      io.end();
    };
    return {
      handshake(ok, err) {
        st.reused = io.reused() ? 1 : 0;
        st.version = io.version() || "-";
        st.authorized = ok && !err ? 1 : 0;
        if (!st.authorized) st.error = (err && err.code) || "unauthorized";
        else this.pump();
      },
      pump() {
        while (off < payload.length) {
          const chunk = payload.subarray(off, Math.min(payload.length, off + 256 * 1024));
          const w = io.write(chunk);
          if (w <= 0) return; // drain follows
          off += w;
          st.sent += w;
          if (w < chunk.length) return;
        }
        maybeEnd();
      },
      data(d) {
        st.recv += d.length;
        st.recvHash.update(d);
        maybeEnd();
      },
    };
  };

  const bunConnect = (st, resolve) => {
    let c;
    const io = {
      s: null,
      write: (b) => io.s.write(b),
      end: () => io.s.end(),
      session: () => io.s.getSession(),
      reused: () => io.s.isSessionReused(),
      version: () => io.s.getTLSVersion(),
    };
    c = connection(st, io);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      tls: { ca, serverName: "localhost", rejectUnauthorized: true, ...(how === "session-option" && session ? { session } : {}) },
      socket: {
        open(s) {
          io.s = s;
          if (how === "set-session" && session) s.setSession(session);
        },
        handshake(s, ok, err) {
          io.s = s;
          c.handshake(ok, err);
        },
        data: (s, d) => c.data(d),
        drain: () => c.pump(),
        error(s, e) {
          st.error = e.code || String(e);
          console.error("bun_session_peer client: error", e);
        },
        connectError(s, e) {
          st.error = e.code || String(e);
          console.error("bun_session_peer client: connect error", e);
          resolve();
        },
        close() {
          st.closed = true;
          resolve();
        },
      },
    });
  };

  const nodeConnect = (st, resolve) => {
    let lastSession;
    let s;
    // node:tls write() buffers everything: it "takes" the whole chunk
    const io = {
      write: (b) => (s.write(b), b.length),
      end: () => s.end(),
      session: () => lastSession || s.getSession(),
      reused: () => s.isSessionReused(),
      version: () => s.getProtocol(),
    };
    const c = connection(st, io);
    s = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost", rejectUnauthorized: true, session });
    s.on("session", (sess) => (lastSession = sess));
    s.on("secureConnect", () => c.handshake(s.authorized, s.authorizationError ? { code: String(s.authorizationError) } : null));
    s.on("data", (d) => c.data(d));
    s.on("error", (e) => {
      st.error = e.code || String(e);
      console.error("bun_session_peer client: error", e);
    });
    s.on("close", () => {
      st.closed = true;
      resolve();
    });
  };

  for (let i = 1; i <= n; i++) {
    const st = newStats(i);
    all.push(st);
    await new Promise((resolve) => (how === "node-tls" ? nodeConnect : bunConnect)(st, resolve));
  }
  clearTimeout(timer);
  all.forEach(result);
  const good = (st) => !st.error && st.closed && st.authorized && st.sent === payload.length && st.recv === expect;
  process.exitCode = all.every(good) ? 0 : 1;
} else {
  console.error("usage: bun bun_session_peer.js server|client FIXTURES ...");
  process.exit(2);
}
