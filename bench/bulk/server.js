// server.js: bench/bulk/bulk_server.c for Bun (Bun.listen): sends BYTES bytes to every client,
// then ends the connection.
//
//   usage: bun server.js PORT BYTES [CERT KEY]       (with CERT and KEY: over TLS)
//
// `write` until Bun takes less than offered, continue on `drain`, then `end`. On close it prints
// "sent N of BYTES bytes".
const port = Number(process.argv[2]);
const total = Number(process.argv[3]);
const [cert, key] = process.argv.slice(4);
const CHUNK = 256 * 1024; // the same in all three servers
const chunk = Buffer.alloc(CHUNK);
for (let i = 0; i < CHUNK; i++) chunk[i] = 97 + (i % 26);

function pump(socket) {
  const c = socket.data;
  while (c.sent < total) {
    const want = Math.min(total - c.sent, CHUNK);
    const n = socket.write(want === CHUNK ? chunk : chunk.subarray(0, want));
    if (n < 0) return; // closed: close follows
    c.sent += n;
    if (n < want) return; // drain follows
  }
  if (!c.ended) {
    c.ended = true;
    socket.end();
  }
}

const server = Bun.listen({
  hostname: "127.0.0.1",
  port,
  tls: cert ? { cert: Bun.file(cert), key: Bun.file(key) } : undefined,
  socket: {
    open(socket) {
      socket.data = { sent: 0, ended: false };
      if (!cert) pump(socket);
    },
    handshake(socket, success) { // TLS: Bun fires `open` at accept; send once the handshake is done
      if (success) pump(socket);
    },
    drain: pump,
    data() {}, // the client sends nothing
    close(socket, error) {
      console.log(`sent ${socket.data.sent} of ${total} bytes${error ? " error " + error : ""}`);
    },
  },
});
console.log(`bulk server (Bun ${Bun.version}${cert ? ", TLS" : ""}) listening on 127.0.0.1:${server.port}`);
