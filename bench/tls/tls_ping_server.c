/* tls_ping_server: bench/ping/ping_server.c over TLS, for redis-benchmark --tls.
 *
 *   usage: tls_ping_server PORT HOST CERT KEY
 *
 * The protocol code is ping_server.c itself, included below, so that the plain and the TLS
 * figures measure the same program: its main() is renamed, and its one bun_tcp_listen() call goes
 * through listen_with_tls(), which adds the certificate and key. */
#include <bun_tcp.h>
#include <stdio.h>

static bun_tcp_tls_options tls_opts; /* zero = defaults: TLS 1.2 and 1.3, no client certificate */

static int32_t listen_with_tls(bun_tcp_loop *loop, bun_tcp_listen_options *opts,
                               const bun_tcp_handlers *handlers, bun_tcp_listener *out) {
  opts->tls = &tls_opts;
  return bun_tcp_listen(loop, opts, handlers, out);
}

#define bun_tcp_listen listen_with_tls
#define main plain_ping_main
#include "../ping/ping_server.c"
#undef main
#undef bun_tcp_listen

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: tls_ping_server PORT HOST CERT KEY\n");
    return 2;
  }
  tls_opts.cert_file = argv[3];
  tls_opts.key_file = argv[4];
  return plain_ping_main(3, argv); /* PORT HOST */
}
