// server.js: the HTTP server of bench/http/http_server.c, for Bun (Bun.listen, raw TCP), same logic.
//
//   usage: bun server.js [port] [host]     (port also from $PORT; defaults 8080, 127.0.0.1)
//
// A request ends at "\r\n\r\n" (no bodies) and gets a fixed keep-alive response; requests may be
// pipelined or split across reads; all responses of one `data` call leave in one write; the part
// the kernel did not take is queued and sent from `drain` (what bun_tcp_socket_write_all does).
const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const hostname = process.argv[3] ?? "127.0.0.1";

const CR = 13, LF = 10;
const END_OF_HEAD = [CR, LF, CR, LF];
const RESPONSE = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!");

// Responses of one `data` call, grown as needed (one thread: shared).
let out = Buffer.allocUnsafe(65536);

// Counts the requests `chunk` completes; c.matched = bytes of "\r\n\r\n" at the end so far.
function countRequests(c, chunk) {
  let m = c.matched, requests = 0, p = 0;
  const end = chunk.length;
  while (p < end) {
    if (m === 0) { // skip to the next CR
      p = chunk.indexOf(CR, p);
      if (p < 0) break;
    }
    const b = chunk[p++];
    if (b === END_OF_HEAD[m]) {
      if (++m === 4) { requests++; m = 0; }
    } else {
      m = b === CR ? 1 : 0;
    }
  }
  c.matched = m;
  return requests;
}

function send(socket, bytes) {
  const c = socket.data;
  if (c.pending) { // keep order: queue behind what is already waiting
    c.pending = Buffer.concat([c.pending, bytes]);
    return;
  }
  const n = socket.write(bytes);
  if (n < 0) return; // closed: the close handler follows
  if (n < bytes.length) c.pending = Buffer.from(bytes.subarray(n)); // copy: `bytes` is reused
}

const server = Bun.listen({
  hostname,
  port,
  socket: {
    open(socket) {
      socket.data = { matched: 0, pending: null };
    },
    data(socket, chunk) {
      const requests = countRequests(socket.data, chunk);
      if (requests === 0) return;
      const len = requests * RESPONSE.length;
      if (len > out.length) out = Buffer.allocUnsafe(Math.max(out.length * 2, len));
      for (let i = 0; i < requests; i++) RESPONSE.copy(out, i * RESPONSE.length);
      send(socket, out.subarray(0, len));
    },
    drain(socket) {
      const c = socket.data;
      if (!c.pending) return;
      const bytes = c.pending;
      c.pending = null;
      send(socket, bytes);
    },
  },
});
console.log(`http server (Bun ${Bun.version}) listening on ${hostname}:${server.port}`);
