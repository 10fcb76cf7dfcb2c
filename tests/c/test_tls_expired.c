/* the header: TLS; catalogue "TLS: expired certificate".
 *
 * expired.crt is signed by the trusted test CA and valid only in January 2020:
 *   - enforced, handshake handler: exactly
 *     "open,handshake:fail:CERT_HAS_EXPIRED,error:CERT_HAS_EXPIRED,close_err:CERT_HAS_EXPIRED",
 *     code BUN_TCP_ECERT_EXPIRED, no data; the server socket fires nothing;
 *   - enforced, no handshake handler: only "connect_error:CERT_HAS_EXPIRED";
 *   - allow_unauthorized: handshake(true, CERT_HAS_EXPIRED), authorized false, verify_error
 *     BUN_TCP_ECERT_EXPIRED, the echo works, the client saw expired.crt.
 */
#include "harness.h"

#define EXP "CERT_HAS_EXPIRED"

int main(void) {
  test_init("test_tls_expired", 60);
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ECERT_EXPIRED), EXP);
  tls_cfg s, c;
  tls_cfg_init(&s);
  tls_cfg_chain(&s, "expired.crt", "expired.key");
  tls_cfg_client(&c);

  test_case("enforced, handshake handler");
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:fail:" EXP ",error:" EXP ",close_err:" EXP);
  CHECK_EQ(p->cli.hs_verify_code, BUN_TCP_ECERT_EXPIRED);
  CHECK_EQ(p->cli.close_code, BUN_TCP_ECERT_EXPIRED);
  CHECK_EQ(p->cli.bytes_in, 0);
  CHECK_EQ(p->srv.n_accepted, 0);
  tls_probe_free(p);

  test_case("enforced, no handshake handler");
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, false, false);
  CHECK_TRACE(&p->cli.tr, "connect_error:" EXP);
  CHECK_EQ(p->cli.connect_error_code, BUN_TCP_ECERT_EXPIRED);
  CHECK_EQ(p->srv.n_accepted, 0);
  tls_probe_free(p);

  test_case("allow_unauthorized");
  c.o.allow_unauthorized = true;
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok:" EXP ",data:ping,end,close");
  CHECK_TRACE(&p->srv.socks[0].tr, "open,data:ping,end,close");
  CHECK(!p->cli_side.authorized);
  CHECK_EQ(p->cli_side.verify, BUN_TCP_ECERT_EXPIRED);
  CHECK_MSG(tls_side_peer_is(&p->cli_side, "expired.crt"), "the client did not see expired.crt");
  tls_probe_free(p);

  tls_fixtures_free();
  return test_pass();
}
