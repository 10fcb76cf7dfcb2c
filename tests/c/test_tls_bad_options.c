/* the header: TLS; catalogue "TLS: bad PEM / missing file / mismatched key errors".
 *
 * Bad TLS options fail bun_tcp_listen / bun_tcp_connect at once with the precise code and a
 * bun_tcp_last_error_message naming the problem; nothing is created (no listener, no socket, no
 * fd) and no handler ever fires:
 *   garbage PEM as cert / key / ca (ETLS_BAD_PEM, also an empty PEM and a certificate given as the
 *   key); a missing cert_file / key_file / ca_file (-ENOENT, message names the path); a directory
 *   as cert_file / ca_file (-EISDIR); server.crt with other.key (ETLS_KEY_MISMATCH);
 *   encrypted.key without passphrase or with a wrong / empty one (ETLS_KEY_ENCRYPTED; with
 *   "secret" it opens and a handshake works); a server without cert + key,
 *   key/cert counts that differ, unknown or inverted versions, empty / NULL ALPN names, an
 *   invalid server_name (EINVAL). Error names: ERR_TLS_BAD_PEM, ERR_TLS_KEY_MISMATCH,
 *   ERR_TLS_KEY_ENCRYPTED, ENOENT, EISDIR.
 * After all of them a good listen + connect still works on the same loop.
 */
#include "harness.h"

static int g_calls;
static void any_open(bun_tcp_socket s, void *d) { g_calls++; }
static void any_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { g_calls++; }
static void any_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { g_calls++; }
static void any_err(bun_tcp_socket s, void *d, const bun_tcp_error *e) { g_calls++; }
static void any_hs(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) { g_calls++; }

static bun_tcp_handlers handlers(void) {
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.open = any_open;
  h.data = any_data;
  h.close = any_close;
  h.error = any_err;
  h.connect_error = any_err;
  h.handshake = any_hs;
  return h;
}

static bun_tcp_loop *g_loop;
static int g_fds;

static void check_nothing_created(void) {
  CHECK_EQ(bun_tcp_loop_socket_count(g_loop), 0);
  CHECK_EQ(bun_tcp_loop_listener_count(g_loop), 0);
  CHECK(!bun_tcp_loop_alive(g_loop));
  CHECK_EQ(count_open_fds(), g_fds);
}

static void expect_listen(const char *what, const bun_tcp_tls_options *tls, int32_t code,
                          const char *in_message) {
  test_case(what);
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.tls = tls;
  bun_tcp_handlers h = handlers();
  bun_tcp_listener l = {0};
  CHECK_RC(bun_tcp_listen(g_loop, &o, &h, &l), code);
  CHECK_EQ(l.id, 0);
  const char *msg = bun_tcp_last_error_message();
  printf("    listen: %s: %s\n", bun_tcp_err_name(code), msg);
  CHECK_MSG(in_message == NULL || strstr(msg, in_message) != NULL,
            "last_error_message \"%s\" does not mention \"%s\"", msg, in_message);
  check_nothing_created();
}

static void expect_connect(const char *what, const bun_tcp_tls_options *tls, int32_t code,
                           const char *in_message) {
  test_case(what);
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = 9;
  o.tls = tls;
  bun_tcp_handlers h = handlers();
  bun_tcp_socket s = {0};
  CHECK_RC(bun_tcp_connect(g_loop, &o, &h, &s), code);
  const char *msg = bun_tcp_last_error_message();
  printf("    connect: %s: %s\n", bun_tcp_err_name(code), msg);
  CHECK_MSG(in_message == NULL || strstr(msg, in_message) != NULL,
            "last_error_message \"%s\" does not mention \"%s\"", msg, in_message);
  check_nothing_created();
}

int main(void) {
  test_init("test_tls_bad_options", 60);
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ETLS_BAD_PEM), "ERR_TLS_BAD_PEM");
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ETLS_KEY_MISMATCH), "ERR_TLS_KEY_MISMATCH");
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ETLS_KEY_ENCRYPTED), "ERR_TLS_KEY_ENCRYPTED");
  CHECK_STR(bun_tcp_err_name(-ENOENT), "ENOENT");
  CHECK_STR(bun_tcp_err_name(-EISDIR), "EISDIR");
  (void)tls_fixture_dir();
  g_loop = new_loop();
  g_fds = count_open_fds();
  tls_cfg c;

  /* ---- bad PEM ---- */
  tls_cfg_init(&c);
  tls_cfg_chain(&c, "garbage.pem", "server.key");
  expect_listen("garbage cert", &c.o, BUN_TCP_ETLS_BAD_PEM, "cert");
  expect_connect("garbage client cert", &c.o, BUN_TCP_ETLS_BAD_PEM, "cert");
  tls_cfg_init(&c);
  tls_cfg_chain(&c, "server.crt", "garbage.pem");
  expect_listen("garbage key", &c.o, BUN_TCP_ETLS_BAD_PEM, "key");
  tls_cfg_init(&c);
  tls_cfg_chain(&c, "server.crt", "server.crt");
  expect_listen("a certificate as the key", &c.o, BUN_TCP_ETLS_BAD_PEM, "key");
  tls_cfg_init(&c);
  c.cert[0] = tls_bytes_of((const uint8_t *)"", 0);
  c.key[0] = tls_pem("server.key");
  c.o.cert_count = c.o.key_count = 1;
  expect_listen("empty cert", &c.o, BUN_TCP_ETLS_BAD_PEM, "cert");
  tls_cfg_init(&c);
  tls_cfg_ca(&c, "garbage.pem");
  expect_connect("garbage ca (client)", &c.o, BUN_TCP_ETLS_BAD_PEM, "ca");
  tls_cfg_server(&c);
  tls_cfg_ca(&c, "garbage.pem");
  c.o.request_cert = true;
  expect_listen("garbage ca (server with request_cert)", &c.o, BUN_TCP_ETLS_BAD_PEM, "ca");
  tls_cfg_server(&c);
  tls_cfg_ca(&c, "garbage.pem");
  expect_listen("garbage ca (server without request_cert)", &c.o, BUN_TCP_ETLS_BAD_PEM, "ca");

  /* ---- files ---- */
  tls_cfg_init(&c);
  c.o.cert_file = tls_path("no-such-file.crt");
  c.o.key_file = tls_path("server.key");
  expect_listen("missing cert_file", &c.o, -ENOENT, "no-such-file.crt");
  tls_cfg_init(&c);
  c.o.cert_file = tls_path("server.crt");
  c.o.key_file = tls_path("no-such-file.key");
  expect_listen("missing key_file", &c.o, -ENOENT, "no-such-file.key");
  tls_cfg_init(&c);
  c.o.ca_file = tls_path("no-such-ca.crt");
  expect_connect("missing ca_file", &c.o, -ENOENT, "no-such-ca.crt");
  tls_cfg_init(&c);
  c.o.cert_file = tls_fixture_dir();
  c.o.key_file = tls_path("server.key");
  expect_listen("directory as cert_file", &c.o, -EISDIR, tls_fixture_dir());
  tls_cfg_init(&c);
  c.o.ca_file = tls_fixture_dir();
  expect_connect("directory as ca_file", &c.o, -EISDIR, tls_fixture_dir());
  tls_cfg_init(&c);
  c.o.cert_file = tls_path("garbage.pem");
  c.o.key_file = tls_path("server.key");
  expect_listen("garbage cert_file", &c.o, BUN_TCP_ETLS_BAD_PEM, "garbage.pem");

  /* ---- keys ---- */
  tls_cfg_init(&c);
  tls_cfg_chain(&c, "server.crt", "other.key");
  expect_listen("mismatched key", &c.o, BUN_TCP_ETLS_KEY_MISMATCH, NULL);
  tls_cfg_init(&c);
  c.o.cert_file = tls_path("server.crt");
  c.o.key_file = tls_path("other.key");
  expect_listen("mismatched key_file", &c.o, BUN_TCP_ETLS_KEY_MISMATCH, NULL);
  tls_cfg_client(&c);
  tls_cfg_chain(&c, "client.crt", "server.key");
  expect_connect("mismatched client key", &c.o, BUN_TCP_ETLS_KEY_MISMATCH, NULL);
  tls_cfg_init(&c);
  tls_cfg_chain(&c, "server.crt", "encrypted.key");
  expect_listen("encrypted key, no passphrase", &c.o, BUN_TCP_ETLS_KEY_ENCRYPTED, "encrypted");
  c.o.passphrase = "wrong";
  expect_listen("encrypted key, wrong passphrase", &c.o, BUN_TCP_ETLS_KEY_ENCRYPTED, NULL);
  c.o.passphrase = "";
  expect_listen("encrypted key, empty passphrase", &c.o, BUN_TCP_ETLS_KEY_ENCRYPTED, NULL);

  /* ---- invalid combinations ---- */
  tls_cfg_init(&c);
  expect_listen("server without cert and key", &c.o, BUN_TCP_EINVAL, NULL);
  tls_cfg_server(&c);
  c.o.key_count = 0;
  expect_listen("cert without key", &c.o, BUN_TCP_EINVAL, NULL);
  tls_cfg_server(&c);
  c.o.min_version = 0x0301;
  expect_listen("min_version TLS 1.0", &c.o, BUN_TCP_EINVAL, NULL);
  tls_cfg_server(&c);
  c.o.min_version = BUN_TCP_TLS1_3;
  c.o.max_version = BUN_TCP_TLS1_2;
  expect_listen("min_version above max_version", &c.o, BUN_TCP_EINVAL, NULL);
  tls_cfg_client(&c);
  tls_cfg_alpn(&c, "");
  expect_connect("empty ALPN name", &c.o, BUN_TCP_EINVAL, NULL);
  tls_cfg_client(&c);
  c.o.alpn_count = 1; /* alpn[0] == NULL */
  expect_connect("NULL ALPN name", &c.o, BUN_TCP_EINVAL, NULL);
  tls_cfg_client(&c);
  c.o.server_name = "not a valid name!";
  expect_connect("invalid server_name", &c.o, BUN_TCP_EINVAL, NULL);
  tls_cfg_client(&c);
  c.o.ca = NULL;
  expect_connect("ca NULL with ca_count 1", &c.o, BUN_TCP_EINVAL, NULL);

  /* the right passphrase opens the key: a full exchange with it */
  test_case("encrypted key with its passphrase \"secret\": the handshake works");
  {
    tls_cfg enc, cli;
    tls_cfg_init(&enc);
    tls_cfg_chain(&enc, "server.crt", "encrypted.key");
    enc.o.passphrase = "secret";
    tls_cfg_client(&cli);
    tls_probe_t *p = tls_probe_run(&enc.o, NULL, &cli.o, NULL, true, false);
    CHECK_TRACE(&p->cli.tr, "open,handshake:ok,data:ping,end,close");
    CHECK_TRACE(&p->srv.socks[0].tr, "open,data:ping,end,close");
    tls_probe_free(p);
    check_nothing_created();
  }

  /* nothing fired, and the loop still works */
  test_case("no handler fired; a good TLS listen + connect still works");
  CHECK_EQ(run_for(g_loop, 100), 0);
  CHECK_EQ(g_calls, 0);
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_tls_srv(g_loop, &sv, &h, &server.o, NULL);
  connect_tls_rec(g_loop, NULL, bun_tcp_listener_port(l), &cr, &h, &client.o);
  RUN_UNTIL(g_loop, cr.n_open == 1 && sv.n_accepted == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(g_loop, cr.n_close == 1);
  CHECK_TRACE(&cr.tr, "open,end,close");
  bun_tcp_loop_free(g_loop);
  srv_free(&sv);
  rec_free(&cr);
  tls_fixtures_free();
  return test_pass();
}
