/* the header: TLS; catalogue "TLS: mTLS trusted / untrusted / missing client cert".
 *
 * The server asks for a client certificate (request_cert) and trusts ca.crt:
 *   - trusted: client.crt (signed by ca) -> both sides handshake(true, NULL), the server's socket
 *     is authorized with verify_error 0 and sees client.crt as the peer certificate; the same with
 *     the client's chain given as cert_file / key_file;
 *   - untrusted: rogue-client.crt -> the server: "open,handshake:fail:UNABLE_TO_VERIFY_LEAF_SIGNATURE,
 *     error:..,close_err:.."; no data delivered to either side. The client learns it from the
 *     server's alert: in TLS 1.3 its own handshake has already completed, so it sees
 *     "open,handshake:ok,error:ERR_TLS_ALERT_RECEIVED,close_err:ERR_TLS_ALERT_RECEIVED" (the fatal
 *     alert after the handshake reaches error then close); in TLS 1.2 the alert arrives during its
 *     handshake: "open,handshake:fail:ERR_TLS_ALERT_RECEIVED,error:..,close_err:..";
 *   - missing: no client certificate -> the server's verdict is UNABLE_TO_GET_ISSUER_CERT;
 *   - a client without a handshake handler: TLS 1.3 "open,error:..ALERT..,close_err:..", TLS 1.2
 *     only "connect_error:ERR_TLS_ALERT_RECEIVED";
 *   - a server without a handshake handler closes such sockets silently (no handler at all);
 *   - allow_unauthorized on the server: rogue or missing certificates complete the handshake:
 *     handshake(true, verdict), authorized false, data flows;
 *   - a server that does not request a certificate: verify_error 0, authorized false, no peer
 *     certificate, even when the client has one.
 */
#include "harness.h"

#define LEAF "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
#define MISSING "UNABLE_TO_GET_ISSUER_CERT"
#define ALERT "ERR_TLS_ALERT_RECEIVED"

static void server_cfg(tls_cfg *c, bool request, bool allow, uint16_t max_version) {
  tls_cfg_server(c);
  tls_cfg_ca(c, "ca.crt");
  c->o.request_cert = request;
  c->o.allow_unauthorized = allow;
  c->o.max_version = max_version;
}

static void client_cfg(tls_cfg *c, const char *cert, const char *key) {
  tls_cfg_client(c);
  if (cert) tls_cfg_chain(c, cert, key);
}

static void trusted(void) {
  test_case("trusted client certificate");
  tls_cfg s, c;
  server_cfg(&s, true, false, 0);
  client_cfg(&c, "client.crt", "client.key");
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, true);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok,data:ping,end,close");
  CHECK_TRACE(&p->srv.socks[0].tr, "open,handshake:ok,data:ping,end,close");
  CHECK(p->srv.socks[0].hs_authorized);
  CHECK(p->srv_side[0].authorized);
  CHECK_EQ(p->srv_side[0].verify, 0);
  CHECK_MSG(tls_side_peer_is(&p->srv_side[0], "client.crt"), "server's peer cert is not client.crt");
  CHECK(p->cli_side.authorized);
  CHECK_MSG(tls_side_peer_is(&p->cli_side, "server.crt"), "client's peer cert is not server.crt");
  tls_probe_free(p);

  test_case("trusted client certificate from cert_file / key_file, TLS 1.2");
  server_cfg(&s, true, false, BUN_TCP_TLS1_2);
  tls_cfg_client(&c);
  c.o.cert_file = tls_path("client.crt");
  c.o.key_file = tls_path("client.key");
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, false, false);
  CHECK_TRACE(&p->cli.tr, "open,data:ping,end,close");
  CHECK_TRACE(&p->srv.socks[0].tr, "open,data:ping,end,close");
  CHECK(p->srv_side[0].authorized);
  CHECK_STR(p->srv_side[0].version, "TLSv1.2");
  CHECK_MSG(tls_side_peer_is(&p->srv_side[0], "client.crt"), "server's peer cert is not client.crt");
  tls_probe_free(p);
}

static void rejected(const char *what, const char *cert, const char *key, const char *verdict,
                     int32_t code) {
  char name[256];
  tls_cfg s, c;
  client_cfg(&c, cert, key);

  snprintf(name, sizeof name, "%s, TLS 1.3, server with handshake handler", what);
  test_case(name);
  server_cfg(&s, true, false, 0);
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, true);
  char expect[512];
  snprintf(expect, sizeof expect, "open,handshake:fail:%s,error:%s,close_err:%s", verdict, verdict,
           verdict);
  CHECK_TRACE(&p->srv.socks[0].tr, expect);
  CHECK_EQ(p->srv.socks[0].hs_verify_code, code);
  CHECK_EQ(p->srv.socks[0].close_code, code);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok,error:" ALERT ",close_err:" ALERT);
  CHECK_EQ(p->cli.error_code, BUN_TCP_ETLS_ALERT);
  CHECK_EQ(p->cli.bytes_in + p->srv.socks[0].bytes_in, 0);
  tls_probe_free(p);

  snprintf(name, sizeof name, "%s, TLS 1.2, server with handshake handler", what);
  test_case(name);
  server_cfg(&s, true, false, BUN_TCP_TLS1_2);
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, true);
  CHECK_TRACE(&p->srv.socks[0].tr, expect);
  CHECK_TRACE(&p->cli.tr, "open,handshake:fail:" ALERT ",error:" ALERT ",close_err:" ALERT);
  CHECK_EQ(p->cli.bytes_in + p->srv.socks[0].bytes_in, 0);
  tls_probe_free(p);

  snprintf(name, sizeof name, "%s, server without handshake handler: silent", what);
  test_case(name);
  server_cfg(&s, true, false, 0);
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, false);
  CHECK_EQ(p->srv.n_accepted, 0);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok,error:" ALERT ",close_err:" ALERT);
  tls_probe_free(p);

  snprintf(name, sizeof name, "%s, client without handshake handler, TLS 1.3: open, then the alert",
           what);
  test_case(name);
  server_cfg(&s, true, false, 0);
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, false, true);
  CHECK_TRACE(&p->srv.socks[0].tr, expect);
  CHECK_TRACE(&p->cli.tr, "open,error:" ALERT ",close_err:" ALERT);
  tls_probe_free(p);

  snprintf(name, sizeof name, "%s, client without handshake handler, TLS 1.2: connect_error", what);
  test_case(name);
  server_cfg(&s, true, false, BUN_TCP_TLS1_2);
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, false, true);
  CHECK_TRACE(&p->srv.socks[0].tr, expect);
  CHECK_TRACE(&p->cli.tr, "connect_error:" ALERT);
  tls_probe_free(p);

  snprintf(name, sizeof name, "%s, server allow_unauthorized", what);
  test_case(name);
  server_cfg(&s, true, true, 0);
  p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, true);
  snprintf(expect, sizeof expect, "open,handshake:ok:%s,data:ping,end,close", verdict);
  CHECK_TRACE(&p->srv.socks[0].tr, expect);
  CHECK(!p->srv.socks[0].hs_authorized);
  CHECK(!p->srv_side[0].authorized);
  CHECK_EQ(p->srv_side[0].verify, code);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok,data:ping,end,close");
  if (cert) CHECK_MSG(tls_side_peer_is(&p->srv_side[0], cert), "server's peer cert is not %s", cert);
  tls_probe_free(p);
}

static void not_requested(void) {
  test_case("server without request_cert, client with a certificate");
  tls_cfg s, c;
  server_cfg(&s, false, false, 0);
  client_cfg(&c, "client.crt", "client.key");
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, NULL, true, true);
  CHECK_TRACE(&p->srv.socks[0].tr, "open,handshake:ok,data:ping,end,close");
  CHECK(!p->srv.socks[0].hs_authorized);
  CHECK(!p->srv_side[0].authorized);
  CHECK_EQ(p->srv_side[0].verify, 0);
  CHECK_EQ(p->srv_side[0].peer_der.len, 0);
  CHECK(p->cli_side.authorized);
  tls_probe_free(p);
}

int main(void) {
  test_init("test_tls_mtls", 60);
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ECERT_MISSING), MISSING);
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ETLS_ALERT), ALERT);
  trusted();
  rejected("untrusted client certificate", "rogue-client.crt", "rogue-client.key", LEAF,
           BUN_TCP_ECERT_UNTRUSTED);
  rejected("missing client certificate", NULL, NULL, MISSING, BUN_TCP_ECERT_MISSING);
  not_requested();
  tls_fixtures_free();
  return test_pass();
}
