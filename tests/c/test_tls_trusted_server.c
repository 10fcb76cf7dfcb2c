/* the header: TLS; catalogue "TLS: trusted server".
 *
 * A TLS server with server.crt (signed by the test CA) and a client that trusts the CA:
 *   - without handshake handlers, open waits for the handshake on both sides; the exchange
 *     client write("hello") -> server echoes -> client end() traces exactly
 *     client "open,data:hello,end,close" and server "open,data:hello,end,close";
 *   - inside open the queries already answer: client authorized, verify_error 0, TLSv1.3, a
 *     TLS_* cipher, the peer certificate is server.crt (DER); the server, which asked for no
 *     client certificate, reports authorized false, verify_error 0, no peer certificate;
 *   - with handshake handlers, open fires first (queries say "handshaking": not authorized, no
 *     version, writes return 0), then handshake(true, NULL), then the same exchange:
 *     client "open,handshake:ok,data:hello,end,close", server "open,handshake:ok,data:hello,end,close";
 *   - the same through key_file / cert_file / ca_file, and with the server sending its chain
 *     (server-chain.crt: leaf + CA);
 *   - plain sockets answer the TLS queries with false / 0 / NULL.
 */
#include "harness.h"

static bool g_with_hs;

static void check_client_verified(bun_tcp_socket s) {
  CHECK(bun_tcp_socket_authorized(s));
  CHECK_EQ(bun_tcp_socket_verify_error(s), 0);
  CHECK_STR(bun_tcp_socket_tls_version(s), "TLSv1.3");
  const char *cipher = bun_tcp_socket_cipher(s);
  CHECK_MSG(cipher && strncmp(cipher, "TLS_", 4) == 0, "cipher %s", harness_str(cipher));
  CHECK_MSG(tls_peer_cert_is(s, "server.crt"), "the client's peer certificate is not server.crt");
  char alpn[16] = "x";
  CHECK_EQ(bun_tcp_socket_alpn_protocol(s, alpn, sizeof alpn), 0);
  CHECK_STR(alpn, "");
  /* too small a buffer for the certificate */
  uint8_t tiny[8];
  CHECK_RC(bun_tcp_socket_peer_certificate(s, tiny, sizeof tiny), -ENOSPC);
}

static void check_server_side(bun_tcp_socket s) {
  CHECK(!bun_tcp_socket_authorized(s)); /* no client certificate was requested */
  CHECK_EQ(bun_tcp_socket_verify_error(s), 0);
  CHECK_EQ(bun_tcp_socket_peer_certificate(s, NULL, 0), 0);
  CHECK_STR(bun_tcp_socket_tls_version(s), "TLSv1.3");
  CHECK(bun_tcp_socket_cipher(s) != NULL);
}

static void check_handshaking(bun_tcp_socket s) {
  CHECK(!bun_tcp_socket_authorized(s));
  CHECK(bun_tcp_socket_tls_version(s) == NULL);
  CHECK(bun_tcp_socket_cipher(s) == NULL);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"early", 5), 0);
  CHECK_EQ(bun_tcp_socket_ready_state(s), BUN_TCP_STATE_OPEN);
}

/* ---- client ---- */
static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  if (g_with_hs) {
    check_handshaking(s);
    return;
  }
  check_client_verified(s);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"hello", 5), 5);
}
static void cli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  CHECK(ok);
  CHECK(e == NULL);
  check_client_verified(s);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"hello", 5), 5);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  if (r->in.len == 5) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

/* ---- server: echo ---- */
static void srv_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  if (g_with_hs)
    check_handshaking(s);
  else
    check_server_side(s);
}
static void srv_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  CHECK(ok);
  CHECK(e == NULL);
  check_server_side(s);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

static void run_case(const char *name, bool with_hs, const bun_tcp_tls_options *server_tls,
                     const bun_tcp_tls_options *client_tls, const char *host) {
  test_case(name);
  g_with_hs = with_hs;
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);

  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open;
  sh.data = srv_data;
  if (with_hs) sh.handshake = srv_handshake;
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  ch.data = cli_data;
  if (with_hs) ch.handshake = cli_handshake;

  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, server_tls, NULL);
  bun_tcp_socket c = connect_tls_rec(loop, host, bun_tcp_listener_port(l), &cr, &ch, client_tls);
  CHECK_EQ(bun_tcp_socket_ready_state(c), BUN_TCP_STATE_CONNECTING);
  CHECK(!bun_tcp_socket_authorized(c));

  RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  run_for(loop, 50);

  if (with_hs) {
    CHECK_TRACE(&cr.tr, "open,handshake:ok,data:hello,end,close");
    CHECK_TRACE(&sv.socks[0].tr, "open,handshake:ok,data:hello,end,close");
    CHECK(cr.hs_authorized);
    CHECK(!sv.socks[0].hs_authorized);
  } else {
    CHECK_TRACE(&cr.tr, "open,data:hello,end,close");
    CHECK_TRACE(&sv.socks[0].tr, "open,data:hello,end,close");
  }
  check_closed_once(&cr, "client");
  check_closed_once(&sv.socks[0], "server socket");
  CHECK_EQ(cr.n_error + sv.socks[0].n_error, 0);
  CHECK_EQ(bun_tcp_listener_stop(l, true), 0);
  run_for(loop, 20);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

static void plain_queries(void) {
  test_case("plain sockets answer TLS queries with false / 0 / NULL");
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  bun_tcp_socket c = connect_rec(loop, bun_tcp_listener_port(l), &cr, &h, false);
  RUN_UNTIL(loop, cr.n_open == 1 && sv.n_accepted == 1);
  CHECK(!bun_tcp_socket_authorized(c));
  CHECK_EQ(bun_tcp_socket_verify_error(c), 0);
  CHECK(bun_tcp_socket_tls_version(c) == NULL);
  CHECK(bun_tcp_socket_cipher(c) == NULL);
  CHECK_EQ(bun_tcp_socket_peer_certificate(c, NULL, 0), 0);
  char alpn[8];
  CHECK_EQ(bun_tcp_socket_alpn_protocol(c, alpn, sizeof alpn), 0);
  CHECK_EQ(bun_tcp_socket_close(c), 0);
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  /* stale handle */
  run_for(loop, 10);
  CHECK(!bun_tcp_socket_authorized(c));
  CHECK(bun_tcp_socket_tls_version(c) == NULL);
  CHECK(bun_tcp_socket_cipher(c) == NULL);
  CHECK_NEG(bun_tcp_socket_peer_certificate(c, NULL, 0));
  CHECK_NEG(bun_tcp_socket_alpn_protocol(c, alpn, sizeof alpn));
  CHECK_NEG(bun_tcp_socket_verify_error(c));
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_trusted_server", 60);
  printf("    TLS provider: %s\n", bun_tcp_tls_provider());

  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  run_case("no handshake handlers, 127.0.0.1 (SAN IP)", false, &server.o, &client.o, "127.0.0.1");
  run_case("handshake handlers on both sides", true, &server.o, &client.o, "127.0.0.1");

  tls_cfg sfile, cfile;
  tls_cfg_init(&sfile);
  sfile.o.cert_file = tls_path("server.crt");
  sfile.o.key_file = tls_path("server.key");
  tls_cfg_init(&cfile);
  cfile.o.ca_file = tls_path("ca.crt");
  run_case("cert_file / key_file / ca_file", false, &sfile.o, &cfile.o, "127.0.0.1");

  tls_cfg chain;
  tls_cfg_init(&chain);
  tls_cfg_chain(&chain, "server-chain.crt", "server.key");
  run_case("server sends leaf + CA (server-chain.crt)", true, &chain.o, &client.o, "127.0.0.1");

  plain_queries();
  tls_fixtures_free();
  return test_pass();
}
