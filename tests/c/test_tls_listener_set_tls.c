/* SPEC 8.5 (issue 15): certificate rotation with bun_tcp_listener_set_tls.
 *
 * One TLS echo listener starts with certificate A (server.crt, signed by ca.crt):
 *   - client 1 (trusts ca.crt) opens, sees server.crt, gets "one" echoed, and stays open;
 *   - bad set_tls calls return the listen codes (garbage PEM: BUN_TCP_ETLS_BAD_PEM, a key of another
 *     certificate: BUN_TCP_ETLS_KEY_MISMATCH, no cert and key: BUN_TCP_EINVAL, a missing cert_file:
 *     -ENOENT, NULL tls: BUN_TCP_EINVAL) and fire nothing; client 2 (ca.crt) still sees server.crt;
 *   - set_tls(B: rogue.crt, signed by rogue-ca.crt) returns 0 (from inside the old connection's data
 *     handler, a handler call); then client 3, with client 1's options (and its cached session),
 *     fails verification (connect_error UNABLE_TO_VERIFY_LEAF_SIGNATURE): a session of the old
 *     config does not resume under the new one; client 4, trusting only rogue-ca.crt, opens
 *     authorized and sees rogue.crt;
 *   - client 1 still sees server.crt and still echoes ("two");
 *   - a plain listener: BUN_TCP_ENOTSUP; a stopped listener (its slot kept by an open socket):
 *     BUN_TCP_ECLOSED. */
#include "harness.h"

static tls_cfg g_rotate_to;
static bool g_rotate_now;
static int g_rotate_rc = 1;

static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (g_rotate_now) {
    g_rotate_now = false;
    g_rotate_rc = bun_tcp_listener_set_tls(bun_tcp_socket_listener(s), &g_rotate_to.o);
  }
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"one", 3), 3);
}

/* connects a client trusting `ca`, waits for open or connect_error */
static bun_tcp_socket client(bun_tcp_loop *loop, uint16_t port, rec_t *r, const char *ca) {
  tls_cfg c;
  tls_cfg_init(&c);
  tls_cfg_ca(&c, ca);
  rec_init(r);
  bun_tcp_handlers h = rec_handlers();
  h.open = cli_open;
  bun_tcp_socket s = connect_tls_rec(loop, "127.0.0.1", port, r, &h, &c.o);
  RUN_UNTIL(loop, (r->n_open == 1 && r->in.len == 3) || r->n_connect_error == 1);
  return s;
}

static void bad_set_tls(bun_tcp_loop *loop, bun_tcp_listener l, const char *what, const bun_tcp_tls_options *o,
                        int32_t want) {
  test_case(what);
  CHECK_RC(bun_tcp_listener_set_tls(l, o), want);
  CHECK_EQ(run_for(loop, 10), 0); /* fires nothing */
}

int main(void) {
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  tls_cfg a;
  tls_cfg_server(&a);
  bun_tcp_handlers sh = rec_handlers();
  sh.data = srv_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &a.o, NULL);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("client 1 sees certificate A");
  rec_t c1;
  bun_tcp_socket s1 = client(loop, port, &c1, "ca.crt");
  CHECK_TRACE(&c1.tr, "open,data:one");
  CHECK(tls_peer_cert_is(s1, "server.crt"));
  CHECK(bun_tcp_socket_authorized(s1));

  tls_cfg bad;
  tls_cfg_init(&bad);
  tls_cfg_chain(&bad, "garbage.pem", "server.key");
  bad_set_tls(loop, l, "set_tls with a garbage certificate", &bad.o, BUN_TCP_ETLS_BAD_PEM);
  tls_cfg_init(&bad);
  tls_cfg_chain(&bad, "server.crt", "other.key");
  bad_set_tls(loop, l, "set_tls with a key of another certificate", &bad.o, BUN_TCP_ETLS_KEY_MISMATCH);
  tls_cfg_init(&bad);
  bad_set_tls(loop, l, "set_tls without cert and key", &bad.o, BUN_TCP_EINVAL);
  tls_cfg_init(&bad);
  bad.o.cert_file = "/nonexistent/bun_tcp/cert.pem";
  bad.o.key_file = tls_path("server.key");
  bad_set_tls(loop, l, "set_tls with a missing cert_file", &bad.o, -ENOENT);
  bad_set_tls(loop, l, "set_tls with NULL tls", NULL, BUN_TCP_EINVAL);

  test_case("after the refused calls, client 2 still sees certificate A");
  rec_t c2;
  bun_tcp_socket s2 = client(loop, port, &c2, "ca.crt");
  CHECK_TRACE(&c2.tr, "open,data:one");
  CHECK(tls_peer_cert_is(s2, "server.crt"));
  CHECK_OK(bun_tcp_socket_end(s2, NULL, 0));
  RUN_UNTIL(loop, c2.n_close == 1);

  test_case("set_tls(B) inside the data handler of an established connection");
  tls_cfg_init(&g_rotate_to);
  tls_cfg_chain(&g_rotate_to, "rogue.crt", "rogue.key");
  g_rotate_now = true;
  CHECK_EQ(bun_tcp_socket_write(s1, (const uint8_t *)"two", 3), 3);
  RUN_UNTIL(loop, c1.in.len == 6);
  CHECK_RC(g_rotate_rc, 0);
  CHECK_TRACE(&c1.tr, "open,data:onetwo");

  test_case("client 3 (trusts ca.crt only, holds a session of A) fails verification");
  rec_t c3;
  client(loop, port, &c3, "ca.crt");
  CHECK_TRACE(&c3.tr, "connect_error:UNABLE_TO_VERIFY_LEAF_SIGNATURE");

  test_case("client 4 (trusts rogue-ca.crt only) sees certificate B");
  rec_t c4;
  bun_tcp_socket s4 = client(loop, port, &c4, "rogue-ca.crt");
  CHECK_TRACE(&c4.tr, "open,data:one");
  CHECK(tls_peer_cert_is(s4, "rogue.crt"));
  CHECK(bun_tcp_socket_authorized(s4));
  CHECK(!bun_tcp_socket_session_reused(s4));

  test_case("client 1 keeps certificate A and still echoes");
  CHECK(tls_peer_cert_is(s1, "server.crt"));
  CHECK_EQ(bun_tcp_socket_write(s1, (const uint8_t *)"six", 3), 3);
  RUN_UNTIL(loop, c1.in.len == 9);
  CHECK_TRACE(&c1.tr, "open,data:onetwosix");

  test_case("a plain listener: ENOTSUP; a stopped listener: ECLOSED");
  srv_t plain_sv;
  srv_init(&plain_sv);
  bun_tcp_handlers ph = rec_handlers();
  bun_tcp_listener plain = listen_srv(loop, &plain_sv, &ph, NULL);
  CHECK_RC(bun_tcp_listener_set_tls(plain, &a.o), BUN_TCP_ENOTSUP);
  CHECK_OK(bun_tcp_listener_stop(plain, false));
  CHECK_OK(bun_tcp_listener_stop(l, false)); /* client 1 and 4 keep its slot alive */
  CHECK_RC(bun_tcp_listener_set_tls(l, &a.o), BUN_TCP_ECLOSED);

  CHECK_OK(bun_tcp_socket_end(s1, NULL, 0));
  CHECK_OK(bun_tcp_socket_end(s4, NULL, 0));
  RUN_UNTIL(loop, c1.n_close == 1 && c4.n_close == 1 && bun_tcp_loop_socket_count(loop) == 0);
  check_closed_once(&c1, "client 1");
  check_closed_once(&c4, "client 4");
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  rec_free(&c3);
  rec_free(&c4);
  srv_free(&sv);
  srv_free(&plain_sv);
  tls_fixtures_free();
  printf("ok\n");
  return 0;
}
