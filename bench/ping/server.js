// server.js: the PING server of bench/ping/ping_server.c, for Bun (Bun.listen), same logic.
//
//   usage: bun server.js [port] [host]     (port also from $PORT; defaults 6380, 127.0.0.1)
//
// PING -> "+PONG\r\n", anything else -> "-ERR ...\r\n"; inline commands and RESP arrays; lines may
// be split across reads; all replies of one `data` call leave in one write; the part the kernel
// did not take is queued and sent from `drain` (what bun_tcp_socket_write_all does in C).
const port = Number(process.argv[2] ?? process.env.PORT ?? 6380);
const hostname = process.argv[3] ?? "127.0.0.1";

const NL = 10, CR = 13, SPACE = 32, STAR = 42;
const MAX_LINE = 1024;
const PONG = Buffer.from("+PONG\r\n");
const ERR = Buffer.from("-ERR only PING is supported\r\n");

// Reply buffer shared by all sockets (one thread), grown as needed.
let out = Buffer.allocUnsafe(65536);
let outLen = 0;
function reply(bytes) {
  if (outLen + bytes.length > out.length) {
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, outLen + bytes.length));
    out.copy(bigger, 0, 0, outLen);
    out = bigger;
  }
  for (let i = 0; i < bytes.length; i++) out[outLen + i] = bytes[i];
  outLen += bytes.length;
}

// buf[start, end) == "PING", case-insensitive
function isPing(buf, start, end) {
  return end - start === 4 &&
    (buf[start] | 32) === 112 && (buf[start + 1] | 32) === 105 &&
    (buf[start + 2] | 32) === 110 && (buf[start + 3] | 32) === 103;
}

// One complete line buf[start, end), without its "\n".
function onLine(c, buf, start, end) {
  if (end > start && buf[end - 1] === CR) end--;
  if (c.arrayLeft > 0) {                       // inside a RESP array
    if (c.arrayIndex++ === 1) c.arrayIsPing = isPing(buf, start, end); // line 1 = command name
    if (--c.arrayLeft === 0) reply(c.arrayIsPing ? PONG : ERR);
  } else if (end > start && buf[start] === STAR) { // "*N": N bulk strings follow
    const elems = parseInt(buf.toString("latin1", start + 1, end), 10);
    if (elems > 0) { c.arrayLeft = 2 * elems; c.arrayIndex = 0; c.arrayIsPing = false; }
  } else if (end > start) {                    // inline command: the first word counts
    let w = start;
    while (w < end && buf[w] !== SPACE && buf[w] !== 9) w++;
    reply(isPing(buf, start, w) ? PONG : ERR);
  }
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
      socket.data = { tail: null, arrayLeft: 0, arrayIndex: 0, arrayIsPing: false, pending: null };
    },
    data(socket, chunk) {
      const c = socket.data;
      let buf = chunk, p = 0;
      if (c.tail) { buf = Buffer.concat([c.tail, chunk]); c.tail = null; }
      outLen = 0;
      while (p < buf.length) {
        const nl = buf.indexOf(NL, p);
        if (nl < 0) { // keep the unfinished tail for the next read
          if (buf.length - p > MAX_LINE) { socket.end(); return; }
          c.tail = Buffer.from(buf.subarray(p));
          break;
        }
        onLine(c, buf, p, nl);
        p = nl + 1;
      }
      if (outLen) send(socket, out.subarray(0, outLen));
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
console.log(`ping server (Bun ${Bun.version}) listening on ${hostname}:${server.port}`);
