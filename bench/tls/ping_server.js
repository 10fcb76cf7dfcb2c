// ping_server.js: bench/ping/server.js over TLS, for redis-benchmark --tls.
//
//   usage: bun ping_server.js PORT HOST CERT KEY
//
// Runs bench/ping/server.js itself, so that the plain and the TLS figures measure the same
// program: its one Bun.listen() call gets the certificate and key added.
const [cert, key] = process.argv.slice(4);
const listen = Bun.listen;
Bun.listen = (options) => listen.call(Bun, { ...options, tls: { cert: Bun.file(cert), key: Bun.file(key) } });
await import("../ping/server.js"); // reads PORT and HOST from process.argv[2] and [3]
