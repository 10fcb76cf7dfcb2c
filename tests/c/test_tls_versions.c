/* the header: TLS; catalogue "TLS: min/max version" (min_version / max_version, bun_tcp_socket_tls_version,
 * bun_tcp_socket_cipher).
 *
 *   - defaults on both sides                   -> "TLSv1.3", a TLS_* cipher on both sides;
 *   - server max TLS 1.2                       -> "TLSv1.2" with an ECDHE cipher on both sides;
 *   - client max TLS 1.2                       -> "TLSv1.2";
 *   - both pinned to TLS 1.3 (min = max)       -> "TLSv1.3";
 *   - server only 1.3, client only 1.2         -> no common version: the client (no handshake
 *     handler) gets only "connect_error:ERR_TLS_ALERT_RECEIVED"; the server socket (handshake
 *     handler) sees "open,handshake:fail:E,error:E,close_err:E" (one error E); no data anywhere;
 *   - server only 1.2, client only 1.3         -> the same failure in the other direction.
 */
#include "harness.h"

static void ok(const char *what, uint16_t smin, uint16_t smax, uint16_t cmin, uint16_t cmax,
               const char *want) {
  test_case(what);
  tls_cfg s, c;
  tls_cfg_server(&s);
  s.o.min_version = smin;
  s.o.max_version = smax;
  tls_cfg_client(&c);
  c.o.min_version = cmin;
  c.o.max_version = cmax;
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok,data:ping,end,close");
  CHECK_TRACE(&p->srv.socks[0].tr, "open,data:ping,end,close");
  CHECK_STR(p->cli_side.version, want);
  CHECK_STR(p->srv_side[0].version, want);
  CHECK_STR(p->cli_side.cipher, p->srv_side[0].cipher);
  printf("    %s %s\n", p->cli_side.version, p->cli_side.cipher);
  if (strcmp(want, "TLSv1.3") == 0)
    CHECK_MSG(strncmp(p->cli_side.cipher, "TLS_", 4) == 0, "cipher %s", p->cli_side.cipher);
  else
    CHECK_MSG(strstr(p->cli_side.cipher, "ECDHE") != NULL, "cipher %s", p->cli_side.cipher);
  tls_probe_free(p);
}

static void no_common(const char *what, uint16_t smin, uint16_t smax, uint16_t cmin, uint16_t cmax) {
  test_case(what);
  tls_cfg s, c;
  tls_cfg_server(&s);
  s.o.min_version = smin;
  s.o.max_version = smax;
  tls_cfg_client(&c);
  c.o.min_version = cmin;
  c.o.max_version = cmax;
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, false, true);
  printf("    client: %s\n    server: %s\n", p->cli.tr.buf, p->srv.socks[0].tr.buf);
  /* the server's protocol_version alert ends the client's connect */
  CHECK_TRACE(&p->cli.tr, "connect_error:ERR_TLS_ALERT_RECEIVED");
  CHECK_EQ(p->cli.connect_error_code, BUN_TCP_ETLS_ALERT);
  CHECK_EQ(p->srv.n_accepted, 1);
  rec_t *r = &p->srv.socks[0];
  char expect[256];
  snprintf(expect, sizeof expect, "open,handshake:fail:%s,error:%s,close_err:%s", r->hs_verify_name,
           r->hs_verify_name, r->hs_verify_name);
  CHECK_TRACE(&r->tr, expect);
  CHECK(r->close_code < 0);
  tls_probe_free(p);
}

int main(void) {
  test_init("test_tls_versions", 60);
  ok("defaults: TLS 1.3", 0, 0, 0, 0, "TLSv1.3");
  ok("server max 1.2", 0, BUN_TCP_TLS1_2, 0, 0, "TLSv1.2");
  ok("client max 1.2", 0, 0, 0, BUN_TCP_TLS1_2, "TLSv1.2");
  ok("both pinned to 1.2", BUN_TCP_TLS1_2, BUN_TCP_TLS1_2, BUN_TCP_TLS1_2, BUN_TCP_TLS1_2, "TLSv1.2");
  ok("both pinned to 1.3", BUN_TCP_TLS1_3, BUN_TCP_TLS1_3, BUN_TCP_TLS1_3, 0, "TLSv1.3");
  no_common("server only 1.3, client only 1.2", BUN_TCP_TLS1_3, 0, 0, BUN_TCP_TLS1_2);
  no_common("server only 1.2, client only 1.3", 0, BUN_TCP_TLS1_2, BUN_TCP_TLS1_3, 0);
  tls_fixtures_free();
  return test_pass();
}
