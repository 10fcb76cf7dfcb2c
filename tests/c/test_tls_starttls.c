/* the header: TLS; catalogue "TLS: STARTTLS" (bun_tcp_socket_upgrade_tls, client and server side).
 *
 * Plain TCP over loopback: the client sends "STARTTLS\r\n"; the server answers "GO\r\n" and
 * upgrades its socket (is_server true, server.crt); the client upgrades on "GO\r\n" (is_server
 * false, trusts ca.crt, server_name defaults to "localhost"). Then "secret" goes through TLS and
 * is echoed; the client ends.
 *   - with handshake handlers: client "open,data:GO\r\n,handshake:ok,data:secret,end,close",
 *     server "open,data:STARTTLS\r\n,handshake:ok,data:secret,end,close"; after the upgrade the
 *     client is authorized, TLSv1.3, its peer certificate is server.crt; the server socket is not
 *     authorized (no client certificate requested); both report no TLS before the upgrade;
 *   - without handshake handlers, open fires again after the handshake:
 *     client "open,data:GO\r\n,open,data:secret,end,close";
 *   - refused upgrades return an error and fire nothing, the socket stays plain and usable:
 *     bad PEM (ETLS_BAD_PEM), a server upgrade without cert (EINVAL), NULL options or handlers,
 *     handlers with neither data nor drain (EINVAL), bytes queued by cork (EINVAL, server side), a second
 *     upgrade of a TLS socket (EINVAL), a stale handle (ECLOSED);
 *   - an upgrade whose verification fails (client trusts rogue-ca only): client
 *     "open,data:GO\r\n,handshake:fail:UNABLE_TO_VERIFY_LEAF_SIGNATURE,error:..,close_err:..".
 */
#include "harness.h"

static int g_mode; /* 0 handshake handlers, 1 none, 2 refused upgrades first, 3 verification fails */
static tls_cfg g_server_tls, g_client_tls, g_bad_tls, g_nocert_tls, g_rogue_client_tls;
static bun_tcp_handlers g_cli_tls_h, g_srv_tls_h;
static bun_tcp_socket g_cli, g_srv;
static int g_refusals;

static void tls_cli_ready(bun_tcp_socket s) {
  CHECK(bun_tcp_socket_authorized(s));
  CHECK_STR(bun_tcp_socket_tls_version(s), "TLSv1.3");
  CHECK(tls_peer_cert_is(s, "server.crt"));
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"secret", 6), 6);
}

/* TLS handlers after the upgrade */
static void tcli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  tls_cli_ready(s);
}
static void tcli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  if (ok) tls_cli_ready(s);
}
static void tcli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  /* ["+"] "GO\r\n" (plain) + "secret" (TLS) */
  if (r->in.len == (g_mode == 2 ? 1u : 0u) + 4 + 6) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void tsrv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_STR(bun_tcp_socket_tls_version(s), "TLSv1.3");
  CHECK(!bun_tcp_socket_authorized(s));
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

static void refusals(bun_tcp_socket s, bool is_server) {
  bun_tcp_handlers none;
  memset(&none, 0, sizeof none);
  none.open = rec_on_open;
  const bun_tcp_handlers *h = is_server ? &g_srv_tls_h : &g_cli_tls_h;
  CHECK_RC(bun_tcp_socket_upgrade_tls(s, &g_bad_tls.o, h, is_server), BUN_TCP_ETLS_BAD_PEM);
  CHECK_MSG(strlen(bun_tcp_last_error_message()) > 0, "no last_error_message for bad PEM");
  if (is_server)
    CHECK_RC(bun_tcp_socket_upgrade_tls(s, &g_nocert_tls.o, h, true), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_upgrade_tls(s, NULL, h, is_server), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_upgrade_tls(s, is_server ? &g_server_tls.o : &g_client_tls.o, NULL,
                                      is_server),
           BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_upgrade_tls(s, is_server ? &g_server_tls.o : &g_client_tls.o, &none,
                                      is_server),
           BUN_TCP_EINVAL);
  if (is_server) {
    /* bytes queued (corked): refused; the "+" then leaves as plaintext before "GO\r\n" */
    CHECK_OK(bun_tcp_socket_cork(s));
    CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"+", 1), 1);
    CHECK_RC(bun_tcp_socket_upgrade_tls(s, &g_server_tls.o, h, true), BUN_TCP_EINVAL);
    CHECK_OK(bun_tcp_socket_uncork(s));
    CHECK_EQ(bun_tcp_socket_buffered_amount(s), 0);
  }
  CHECK(bun_tcp_socket_tls_version(s) == NULL);
  g_refusals++;
}

/* plain handlers before the upgrade */
static void pcli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK(bun_tcp_socket_tls_version(s) == NULL);
  CHECK(!bun_tcp_socket_authorized(s));
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"STARTTLS\r\n", 10), 10);
}
static void pcli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  if (g_mode == 2 && r->in.len == 1) return; /* the server's "+" from its refusals */
  size_t base = g_mode == 2 ? 1 : 0;
  if (r->in.len < base + 4) return;
  CHECK(memcmp(r->in.ptr + base, "GO\r\n", 4) == 0);
  CHECK_EQ(r->in.len, base + 4);
  if (g_mode == 2) refusals(s, false);
  const bun_tcp_tls_options *o = g_mode == 3 ? &g_rogue_client_tls.o : &g_client_tls.o;
  CHECK_OK(bun_tcp_socket_upgrade_tls(s, o, &g_cli_tls_h, false));
  CHECK_RC(bun_tcp_socket_upgrade_tls(s, o, &g_cli_tls_h, false), BUN_TCP_EINVAL);
  CHECK(bun_tcp_socket_tls_version(s) == NULL);
  CHECK(!bun_tcp_socket_authorized(s));
}
static void psrv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)bun_tcp_socket_data(s);
  g_srv = s;
  if (r->in.len < 10) return;
  CHECK(memcmp(r->in.ptr, "STARTTLS\r\n", 10) == 0);
  CHECK_EQ(r->in.len, 10);
  if (g_mode == 2) refusals(s, true); /* leaves "+" on the wire (uncork) */
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"GO\r\n", 4), 4);
  CHECK_OK(bun_tcp_socket_upgrade_tls(s, &g_server_tls.o, &g_srv_tls_h, true));
  CHECK_RC(bun_tcp_socket_upgrade_tls(s, &g_server_tls.o, &g_srv_tls_h, true), BUN_TCP_EINVAL);
}

static void run(int mode, const char *name, bool hs, const char *cli_trace, const char *srv_trace) {
  test_case(name);
  g_mode = mode;
  g_refusals = 0;
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);

  g_cli_tls_h = rec_handlers();
  g_cli_tls_h.open = tcli_open;
  g_cli_tls_h.data = tcli_data;
  if (hs) g_cli_tls_h.handshake = tcli_handshake;
  g_srv_tls_h = rec_handlers();
  g_srv_tls_h.data = tsrv_data;
  if (hs) g_srv_tls_h.handshake = rec_on_handshake;

  bun_tcp_handlers sh = rec_handlers();
  sh.data = psrv_data;
  bun_tcp_handlers ch = rec_handlers();
  ch.open = pcli_open;
  ch.data = pcli_data;
  bun_tcp_listener l = listen_srv(loop, &sv, &sh, false);
  g_cli = connect_rec(loop, bun_tcp_listener_port(l), &cr, &ch, false);
  double deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();
  while (!(cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1)) {
    if (now_ms() > deadline)
      FAIL("the exchange did not finish: client \"%s\", server \"%s\"", cr.tr.buf,
           sv.socks[0].tr.buf);
    poll_ok(loop, 50);
  }
  run_for(loop, 50);
  CHECK_TRACE(&cr.tr, cli_trace);
  CHECK_TRACE(&sv.socks[0].tr, srv_trace);
  check_closed_once(&cr, "client");
  check_closed_once(&sv.socks[0], "server socket");
  if (mode == 2) CHECK_EQ(g_refusals, 2);
  /* stale handle */
  CHECK_RC(bun_tcp_socket_upgrade_tls(g_cli, &g_client_tls.o, &g_cli_tls_h, false), BUN_TCP_ECLOSED);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_starttls", 60);
  tls_cfg_server(&g_server_tls);
  tls_cfg_client(&g_client_tls);
  tls_cfg_init(&g_bad_tls);
  tls_cfg_chain(&g_bad_tls, "garbage.pem", "server.key");
  tls_cfg_ca(&g_bad_tls, "garbage.pem");
  tls_cfg_init(&g_nocert_tls);
  tls_cfg_init(&g_rogue_client_tls);
  tls_cfg_ca(&g_rogue_client_tls, "rogue-ca.crt");

  run(0, "handshake handlers", true,
      "open,data:GO\\x0d\\x0a,handshake:ok,data:secret,end,close",
      "open,data:STARTTLS\\x0d\\x0a,handshake:ok,data:secret,end,close");
  run(1, "no handshake handlers: open fires again", false,
      "open,data:GO\\x0d\\x0a,open,data:secret,end,close",
      "open,data:STARTTLS\\x0d\\x0a,open,data:secret,end,close");
  run(2, "refused upgrades fire nothing and leave the socket plain", true,
      "open,data:+GO\\x0d\\x0a,handshake:ok,data:secret,end,close",
      "open,data:STARTTLS\\x0d\\x0a,handshake:ok,data:secret,end,close");
  run(3, "verification fails after the upgrade", true,
      "open,data:GO\\x0d\\x0a,handshake:fail:UNABLE_TO_VERIFY_LEAF_SIGNATURE,"
      "error:UNABLE_TO_VERIFY_LEAF_SIGNATURE,close_err:UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "open,data:STARTTLS\\x0d\\x0a,handshake:fail:ERR_TLS_ALERT_RECEIVED,"
      "error:ERR_TLS_ALERT_RECEIVED,close_err:ERR_TLS_ALERT_RECEIVED");
  tls_fixtures_free();
  return test_pass();
}
