/* the header: TLS; catalogue "TLS: ALPN negotiation" (alpn + alpn_count, bun_tcp_socket_alpn_protocol).
 *
 *   - server ["h2", "http/1.1"], client ["http/1.1"]      -> both report "http/1.1";
 *   - server ["h2", "http/1.1"], client ["h2", "http/1.1"] -> both "h2";
 *   - server ["http/1.1", "h2"], client ["h2", "http/1.1"] -> the server's preference: "http/1.1";
 *   - client without ALPN, server with                      -> none on both sides (length 0, "");
 *   - server without ALPN, client with                      -> none on both sides;
 *   - no protocol in common                                 -> the server refuses the handshake
 *     (no_application_protocol): the client sees handshake(false, ..), error, close; no data;
 *   - the same over TLS 1.2;
 *   - a buffer too small for the name -> -ENOSPC.
 */
#include "harness.h"

static void both(const char *what, const char *const *srv, size_t ns, const char *const *cli,
                 size_t nc, const char *want, uint16_t max_version) {
  test_case(what);
  tls_cfg s, c;
  tls_cfg_server(&s);
  tls_cfg_client(&c);
  for (size_t i = 0; i < ns; i++) tls_cfg_alpn(&s, srv[i]);
  for (size_t i = 0; i < nc; i++) tls_cfg_alpn(&c, cli[i]);
  c.o.max_version = max_version;
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, true);
  if (want) {
    CHECK_TRACE(&p->cli.tr, "open,handshake:ok,data:ping,end,close");
    CHECK_TRACE(&p->srv.socks[0].tr, "open,handshake:ok,data:ping,end,close");
    CHECK_STR(p->cli_side.alpn, want);
    CHECK_STR(p->srv_side[0].alpn, want);
    CHECK_STR(p->cli_side.version, max_version == BUN_TCP_TLS1_2 ? "TLSv1.2" : "TLSv1.3");
  } else {
    printf("    server: %s\n", p->srv.socks[0].tr.buf);
    /* the server's no_application_protocol alert ends the client's handshake */
    CHECK_TRACE(&p->cli.tr, "open,handshake:fail:ERR_TLS_ALERT_RECEIVED,error:ERR_TLS_ALERT_RECEIVED,"
                            "close_err:ERR_TLS_ALERT_RECEIVED");
    CHECK_EQ(p->cli.bytes_in, 0);
    CHECK_EQ(p->srv.socks[0].n_error, 1);
    CHECK_EQ(p->srv.socks[0].n_close, 1);
    CHECK(p->srv.socks[0].close_code < 0);
    CHECK_EQ(p->srv.socks[0].n_handshake, 1);
    CHECK(!p->srv.socks[0].hs_success);
    CHECK_EQ(p->srv.socks[0].bytes_in, 0);
  }
  tls_probe_free(p);
}

static void small_buffer(void) {
  test_case("alpn_protocol into a too small buffer: -ENOSPC");
  tls_cfg s, c;
  tls_cfg_server(&s);
  tls_cfg_client(&c);
  tls_cfg_alpn(&s, "http/1.1");
  tls_cfg_alpn(&c, "http/1.1");
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &h, &s.o, NULL);
  bun_tcp_socket cs = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &h, &c.o);
  RUN_UNTIL(loop, cr.n_open == 1);
  char buf[16];
  CHECK_RC(bun_tcp_socket_alpn_protocol(cs, buf, 8), -ENOSPC); /* 8 bytes + NUL needed */
  CHECK_EQ(bun_tcp_socket_alpn_protocol(cs, buf, 9), 8);
  CHECK_STR(buf, "http/1.1");
  CHECK_RC(bun_tcp_socket_alpn_protocol(cs, NULL, 9), BUN_TCP_EINVAL);
  bun_tcp_socket_close(cs);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_alpn", 60);
  const char *h2_h1[] = {"h2", "http/1.1"};
  const char *h1_h2[] = {"http/1.1", "h2"};
  const char *h1[] = {"http/1.1"};
  const char *other[] = {"imap", "smtp"};
  both("server h2,http/1.1 - client http/1.1", h2_h1, 2, h1, 1, "http/1.1", 0);
  both("server h2,http/1.1 - client h2,http/1.1", h2_h1, 2, h2_h1, 2, "h2", 0);
  both("server http/1.1,h2 - client h2,http/1.1: server preference", h1_h2, 2, h2_h1, 2,
       "http/1.1", 0);
  both("client without ALPN", h2_h1, 2, NULL, 0, "", 0);
  both("server without ALPN", NULL, 0, h2_h1, 2, "", 0);
  both("TLS 1.2: server h2,http/1.1 - client http/1.1", h2_h1, 2, h1, 1, "http/1.1",
       BUN_TCP_TLS1_2);
  both("no protocol in common: the handshake fails", h2_h1, 2, other, 2, NULL, 0);
  small_buffer();
  tls_fixtures_free();
  return test_pass();
}
