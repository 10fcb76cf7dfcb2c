/* the header: TLS; catalogue "TLS: hostname mismatch".
 *
 * The certificate is trusted (signed by the test CA) but not for the name or IP the client checks:
 *   - other.crt (DNS:other.example only), client connects to 127.0.0.1;
 *   - other.crt, client connects to "localhost" (the connect hostname is the name checked);
 *   - server.crt (localhost, 127.0.0.1, ::1), client server_name "wrong.example";
 *   - server.crt, client server_name "127.0.0.2" (an IP that is not in the certificate).
 * Each: enforced with a handshake handler -> exactly
 * "open,handshake:fail:ERR_TLS_CERT_ALTNAME_INVALID,error:ERR_TLS_CERT_ALTNAME_INVALID,
 * close_err:ERR_TLS_CERT_ALTNAME_INVALID", the error message names the host; enforced without ->
 * only "connect_error:ERR_TLS_CERT_ALTNAME_INVALID"; the server socket fires nothing;
 * allow_unauthorized -> handshake(true, ERR_TLS_CERT_ALTNAME_INVALID), authorized false,
 * verify_error BUN_TCP_ECERT_ALTNAME, the echo works.
 */
#include "harness.h"

#define ALT "ERR_TLS_CERT_ALTNAME_INVALID"

static void run(const char *what, const char *cert, const char *key, const char *host,
                const char *server_name, const char *name_in_message) {
  tls_cfg server, client;
  tls_cfg_init(&server);
  tls_cfg_chain(&server, cert, key);
  tls_cfg_client(&client);
  client.o.server_name = server_name;
  char name[256];

  snprintf(name, sizeof name, "%s: enforced, handshake handler", what);
  test_case(name);
  tls_probe_t *p = tls_probe_run(&server.o, NULL, &client.o, host, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:fail:" ALT ",error:" ALT ",close_err:" ALT);
  CHECK_EQ(p->cli.hs_verify_code, BUN_TCP_ECERT_ALTNAME);
  CHECK_MSG(strstr(p->cli.error_message, name_in_message) != NULL,
            "error message \"%s\" does not name \"%s\"", p->cli.error_message, name_in_message);
  CHECK_EQ(p->srv.n_accepted, 0);
  tls_probe_free(p);

  snprintf(name, sizeof name, "%s: enforced, no handshake handler", what);
  test_case(name);
  p = tls_probe_run(&server.o, NULL, &client.o, host, false, false);
  CHECK_TRACE(&p->cli.tr, "connect_error:" ALT);
  CHECK_EQ(p->cli.connect_error_code, BUN_TCP_ECERT_ALTNAME);
  CHECK_MSG(strstr(p->cli.connect_error_message, name_in_message) != NULL,
            "connect_error message \"%s\" does not name \"%s\"", p->cli.connect_error_message,
            name_in_message);
  CHECK_EQ(p->srv.n_accepted, 0);
  tls_probe_free(p);

  snprintf(name, sizeof name, "%s: allow_unauthorized", what);
  test_case(name);
  client.o.allow_unauthorized = true;
  p = tls_probe_run(&server.o, NULL, &client.o, host, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok:" ALT ",data:ping,end,close");
  CHECK(!p->cli_side.authorized);
  CHECK_EQ(p->cli_side.verify, BUN_TCP_ECERT_ALTNAME);
  CHECK_MSG(tls_side_peer_is(&p->cli_side, cert), "peer certificate is not %s", cert);
  CHECK_TRACE(&p->srv.socks[0].tr, "open,data:ping,end,close");
  tls_probe_free(p);
}

int main(void) {
  test_init("test_tls_hostname_mismatch", 60);
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ECERT_ALTNAME), ALT);
  run("other.crt via 127.0.0.1", "other.crt", "other.key", "127.0.0.1", NULL, "127.0.0.1");
  run("other.crt via localhost", "other.crt", "other.key", "localhost", NULL, "localhost");
  run("server.crt, server_name wrong.example", "server.crt", "server.key", "127.0.0.1",
      "wrong.example", "wrong.example");
  run("server.crt, server_name 127.0.0.2", "server.crt", "server.key", "127.0.0.1", "127.0.0.2",
      "127.0.0.2");
  tls_fixtures_free();
  return test_pass();
}
