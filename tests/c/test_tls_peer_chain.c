/* the header: bun_tcp_socket_peer_certificate_at; catalogue "TLS: the peer's chain by index".
 *
 * A TLS server sending leaf + CA (server-chain.crt) and a client that trusts the CA; inside the
 * client's open (the handshake is done there):
 *   - index 0 is server.crt (DER) and equals bun_tcp_socket_peer_certificate's copy; index 1 is
 *     ca.crt (DER); index 2 and SIZE_MAX return 0 (past the chain);
 *   - (NULL, 0) measures each entry; a buffer one byte short is -ENOSPC; NULL with a length is
 *     BUN_TCP_EINVAL;
 * the exchange then traces exactly client "open,data:hello,end,close" and server
 * "open,data:hello,end,close". A server sending only server.crt: index 0 is server.crt, index 1
 * returns 0. The server's side (no client certificate asked for): index 0 returns 0. A plain
 * socket returns 0; a closed (stale) socket BUN_TCP_ECLOSED.
 */
#include "harness.h"

static int g_chain_len; /* how many certificates the server sends in this case */

/* Whether certificate `index` of the socket's peer chain is exactly fixture `name`'s first one. */
static bool chain_entry_is(bun_tcp_socket s, size_t index, const char *name) {
  bytebuf_t want;
  memset(&want, 0, sizeof want);
  tls_cert_der(name, &want);
  int32_t n = bun_tcp_socket_peer_certificate_at(s, index, NULL, 0);
  bool same = false;
  if (n > 0 && (size_t)n == want.len) {
    uint8_t *got = (uint8_t *)malloc((size_t)n);
    if (!got) FAIL("out of memory");
    CHECK_RC(bun_tcp_socket_peer_certificate_at(s, index, got, (size_t)n - 1), -ENOSPC);
    int32_t m = bun_tcp_socket_peer_certificate_at(s, index, got, (size_t)n);
    same = m == n && memcmp(got, want.ptr, want.len) == 0;
    free(got);
  }
  bytebuf_free(&want);
  return same;
}

static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK(bun_tcp_socket_authorized(s));
  CHECK_MSG(chain_entry_is(s, 0, "server.crt"), "index 0 is not server.crt");
  CHECK_EQ(bun_tcp_socket_peer_certificate_at(s, 0, NULL, 0), bun_tcp_socket_peer_certificate(s, NULL, 0));
  if (g_chain_len == 2) {
    CHECK_MSG(chain_entry_is(s, 1, "ca.crt"), "index 1 is not ca.crt");
  }
  uint8_t buf[16];
  CHECK_EQ(bun_tcp_socket_peer_certificate_at(s, (size_t)g_chain_len, NULL, 0), 0);
  CHECK_EQ(bun_tcp_socket_peer_certificate_at(s, (size_t)g_chain_len, buf, sizeof buf), 0);
  CHECK_EQ(bun_tcp_socket_peer_certificate_at(s, SIZE_MAX, buf, sizeof buf), 0);
  CHECK_RC(bun_tcp_socket_peer_certificate_at(s, 0, NULL, sizeof buf), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"hello", 5), 5);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->in.len == 5) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void srv_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_peer_certificate_at(s, 0, NULL, 0), 0); /* no client certificate */
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

static void run_case(const char *name, const char *cert, int chain_len) {
  test_case(name);
  g_chain_len = chain_len;
  tls_cfg server, client;
  tls_cfg_init(&server);
  tls_cfg_chain(&server, cert, "server.key");
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open;
  sh.data = srv_data;
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  ch.data = cli_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  bun_tcp_socket c = connect_tls_rec(loop, "127.0.0.1", bun_tcp_listener_port(l), &cr, &ch, &client.o);
  RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  CHECK_TRACE(&cr.tr, "open,data:hello,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:hello,end,close");
  CHECK_EQ(cr.n_open, 1);
  CHECK_EQ(cr.n_error + sv.socks[0].n_error, 0);
  /* the closed client's handle is stale now */
  uint8_t buf[16];
  CHECK_RC(bun_tcp_socket_peer_certificate_at(c, 0, buf, sizeof buf), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_listener_stop(l, true), 0);
  run_for(loop, 20);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

static void plain_socket(void) {
  test_case("a plain socket has no chain: 0");
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  bun_tcp_socket c = connect_rec(loop, bun_tcp_listener_port(l), &cr, &h, false);
  RUN_UNTIL(loop, cr.n_open == 1 && sv.n_accepted == 1);
  uint8_t buf[16];
  CHECK_EQ(bun_tcp_socket_peer_certificate_at(c, 0, NULL, 0), 0);
  CHECK_EQ(bun_tcp_socket_peer_certificate_at(c, 1, buf, sizeof buf), 0);
  CHECK_EQ(bun_tcp_socket_close(c), 0);
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_EQ(bun_tcp_listener_stop(l, true), 0);
  run_for(loop, 20);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_peer_chain", 60);
  run_case("server sends leaf + CA (server-chain.crt): index 0 leaf, 1 CA, 2 past the end", "server-chain.crt", 2);
  run_case("server sends the leaf only: index 1 past the end", "server.crt", 1);
  plain_socket();
  tls_fixtures_free();
  return test_pass();
}
