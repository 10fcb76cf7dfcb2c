/* the header: bun_tcp_tls_options.crl / crl_count / crl_file; catalogue "TLS: revoked certificates".
 *
 * ca.crl (tests/tls/make-fixtures.sh) is the test CA's CRL revoking revoked.crt and
 * revoked-client.crt:
 *   - a client with the CRL (as `crl` bytes) and a server sending revoked.crt, enforced:
 *     "open,handshake:fail:CERT_REVOKED,error:CERT_REVOKED,close_err:CERT_REVOKED", code
 *     BUN_TCP_ECERT_REVOKED, no data, the server socket fires nothing;
 *   - the same through crl_file, with no handshake handler: only "connect_error:CERT_REVOKED";
 *   - allow_unauthorized: handshake(true, CERT_REVOKED), verify_error BUN_TCP_ECERT_REVOKED,
 *     authorized false, the echo works;
 *   - the same client with the CRL and server.crt (not revoked): "open,handshake:ok,data:ping,
 *     end,close", authorized;
 *   - a server with request_cert and the CRL: revoked-client.crt gets
 *     "open,handshake:fail:CERT_REVOKED,error:CERT_REVOKED,close_err:CERT_REVOKED" on the server
 *     socket (TLS 1.3: the client sees the alert after its handshake); client.crt is authorized;
 *   - refused at the call: a CRL that is not PEM (garbage.pem: BUN_TCP_ETLS_BAD_PEM), PEM without
 *     a CRL block (ca.crt: BUN_TCP_ETLS_BAD_PEM), a missing crl_file (-ENOENT), a NULL `crl`
 *     array with a count (BUN_TCP_EINVAL).
 */
#include "harness.h"

#define REV "CERT_REVOKED"
#define ALERT "ERR_TLS_ALERT_RECEIVED"

static void client_with_crl(tls_cfg *c) {
  tls_cfg_client(c);
  static bun_tcp_bytes crl;
  crl = tls_pem("ca.crl");
  c->o.crl = &crl;
  c->o.crl_count = 1;
}

static void server_checks(void) {
  tls_cfg s, c;
  tls_cfg_init(&s);
  tls_cfg_chain(&s, "revoked.crt", "revoked.key");
  client_with_crl(&c);

  test_case("client with crl, server sends revoked.crt, enforced, handshake handler");
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:fail:" REV ",error:" REV ",close_err:" REV);
  CHECK_EQ(p->cli.hs_verify_code, BUN_TCP_ECERT_REVOKED);
  CHECK_EQ(p->cli.close_code, BUN_TCP_ECERT_REVOKED);
  CHECK_EQ(p->cli.bytes_in, 0);
  CHECK_EQ(p->srv.n_accepted, 0);
  tls_probe_free(p);

  test_case("client with crl_file, no handshake handler: connect_error");
  tls_cfg cf;
  tls_cfg_client(&cf);
  cf.o.crl_file = tls_path("ca.crl");
  p = tls_probe_run(&s.o, NULL, &cf.o, NULL, false, false);
  CHECK_TRACE(&p->cli.tr, "connect_error:" REV);
  CHECK_EQ(p->cli.connect_error_code, BUN_TCP_ECERT_REVOKED);
  CHECK_EQ(p->srv.n_accepted, 0);
  tls_probe_free(p);

  test_case("allow_unauthorized: the verdict is reported, data flows");
  c.o.allow_unauthorized = true;
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok:" REV ",data:ping,end,close");
  CHECK_TRACE(&p->srv.socks[0].tr, "open,data:ping,end,close");
  CHECK(!p->cli_side.authorized);
  CHECK_EQ(p->cli_side.verify, BUN_TCP_ECERT_REVOKED);
  tls_probe_free(p);

  test_case("client with crl, server.crt (not revoked): authorized");
  tls_cfg good;
  tls_cfg_server(&good);
  client_with_crl(&c);
  p = tls_probe_run(&good.o, NULL, &c.o, NULL, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok,data:ping,end,close");
  CHECK(p->cli_side.authorized);
  CHECK_EQ(p->cli_side.verify, 0);
  tls_probe_free(p);
}

static void client_checks(void) {
  static bun_tcp_bytes crl;
  crl = tls_pem("ca.crl");
  tls_cfg s, c;
  tls_cfg_server(&s);
  tls_cfg_ca(&s, "ca.crt");
  s.o.request_cert = true;
  s.o.crl = &crl;
  s.o.crl_count = 1;

  test_case("server with request_cert and crl: revoked-client.crt is refused (TLS 1.3)");
  tls_cfg_client(&c);
  tls_cfg_chain(&c, "revoked-client.crt", "revoked-client.key");
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, true);
  CHECK_TRACE(&p->srv.socks[0].tr, "open,handshake:fail:" REV ",error:" REV ",close_err:" REV);
  CHECK_EQ(p->srv.socks[0].hs_verify_code, BUN_TCP_ECERT_REVOKED);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok,error:" ALERT ",close_err:" ALERT);
  CHECK_EQ(p->cli.bytes_in + p->srv.socks[0].bytes_in, 0);
  tls_probe_free(p);

  test_case("server with request_cert and crl: client.crt is authorized");
  tls_cfg_client(&c);
  tls_cfg_chain(&c, "client.crt", "client.key");
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, true);
  CHECK_TRACE(&p->srv.socks[0].tr, "open,handshake:ok,data:ping,end,close");
  CHECK(p->srv_side[0].authorized);
  tls_probe_free(p);
}

static void refused(void) {
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = 9};
  bun_tcp_socket out = {0};
  static bun_tcp_bytes crl;
  tls_cfg c;

  test_case("refused at connect: not PEM, no CRL block, missing crl_file, NULL array");
  client_with_crl(&c);
  crl = tls_pem("garbage.pem");
  c.o.crl = &crl;
  co.tls = &c.o;
  CHECK_RC(bun_tcp_connect(loop, &co, &h, &out), BUN_TCP_ETLS_BAD_PEM);
  crl = tls_pem("ca.crt");
  CHECK_RC(bun_tcp_connect(loop, &co, &h, &out), BUN_TCP_ETLS_BAD_PEM);
  CHECK_MSG(strstr(harness_str(bun_tcp_last_error_message()), "crl[0]") != NULL, "message: %s",
            harness_str(bun_tcp_last_error_message()));
  tls_cfg_client(&c);
  c.o.crl_file = "/nonexistent/bun_tcp/ca.crl";
  CHECK_RC(bun_tcp_connect(loop, &co, &h, &out), -ENOENT);
  tls_cfg_client(&c);
  c.o.crl_count = 1; /* NULL array */
  CHECK_RC(bun_tcp_connect(loop, &co, &h, &out), BUN_TCP_EINVAL);
  CHECK_EQ(out.id, 0);
  run_for(loop, 20);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
}

int main(void) {
  test_init("test_tls_crl", 60);
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ECERT_REVOKED), REV);
  server_checks();
  client_checks();
  refused();
  tls_fixtures_free();
  return test_pass();
}
