/* the header: TLS; catalogue "TLS: SNI picking between two chains" (several cert + key pairs on one server).
 *
 * The server holds two chains, server.crt (localhost, 127.0.0.1, ::1) and other.crt
 * (other.example), each with its key:
 *   - server_name "other.example"  -> the client is verified and sees other.crt;
 *   - server_name "localhost"      -> server.crt;
 *   - an IP (no SNI is sent)       -> the first chain: server.crt;
 *   - chains in the other order (other.crt first): server_name "localhost" still picks
 *     server.crt; an IP gets the first chain, other.crt, so an enforcing client fails with
 *     ERR_TLS_CERT_ALTNAME_INVALID (connect_error) and an allowing one sees the verdict;
 *   - an unknown SNI ("unknown.example", allow_unauthorized) gets the first chain.
 * Each time the server reads the client's name back with bun_tcp_socket_server_name.
 */
#include "harness.h"

static void pick(const char *what, bool other_first, const char *server_name, bool allow,
                 const char *want_cert, int32_t want_verdict) {
  test_case(what);
  tls_cfg s, c;
  tls_cfg_init(&s);
  if (other_first) {
    tls_cfg_chain(&s, "other.crt", "other.key");
    tls_cfg_chain(&s, "server.crt", "server.key");
  } else {
    tls_cfg_chain(&s, "server.crt", "server.key");
    tls_cfg_chain(&s, "other.crt", "other.key");
  }
  tls_cfg_client(&c);
  c.o.server_name = server_name;
  c.o.allow_unauthorized = allow;
  tls_probe_t *p = tls_probe_run(&s.o, NULL, &c.o, "127.0.0.1", false, false);
  if (want_verdict && !allow) {
    CHECK_TRACE(&p->cli.tr, "connect_error:ERR_TLS_CERT_ALTNAME_INVALID");
    CHECK_EQ(p->srv.n_accepted, 0);
  } else {
    CHECK_TRACE(&p->cli.tr, "open,data:ping,end,close");
    CHECK_TRACE(&p->srv.socks[0].tr, "open,data:ping,end,close");
    CHECK_EQ(p->cli_side.verify, want_verdict);
    CHECK_EQ(p->cli_side.authorized, want_verdict == 0);
    CHECK_MSG(tls_side_peer_is(&p->cli_side, want_cert), "the client saw another certificate than %s",
              want_cert);
    /* The server can read the name the client asked for; the client side reads "". */
    CHECK_STR(p->srv_side[0].sni, server_name ? server_name : "");
    CHECK_STR(p->cli_side.sni, "");
  }
  tls_probe_free(p);
}

int main(void) {
  test_init("test_tls_sni_chains", 60);
  pick("SNI other.example -> other.crt", false, "other.example", false, "other.crt", 0);
  pick("SNI localhost -> server.crt", false, "localhost", false, "server.crt", 0);
  pick("no SNI (IP) -> first chain server.crt", false, NULL, false, "server.crt", 0);
  pick("other first: SNI localhost -> server.crt", true, "localhost", false, "server.crt", 0);
  pick("other first: SNI other.example -> other.crt", true, "other.example", false, "other.crt", 0);
  pick("other first: no SNI -> other.crt, enforced: altname error", true, NULL, false, "other.crt",
       BUN_TCP_ECERT_ALTNAME);
  pick("other first: no SNI -> other.crt, allowed: verdict", true, NULL, true, "other.crt",
       BUN_TCP_ECERT_ALTNAME);
  pick("unknown SNI -> first chain", true, "unknown.example", true, "other.crt",
       BUN_TCP_ECERT_ALTNAME);
  tls_fixtures_free();
  return test_pass();
}
