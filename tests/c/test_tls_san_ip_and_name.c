/* the header: TLS; catalogue "TLS: SAN by IP and by name".
 *
 * server.crt carries DNS:localhost, IP:127.0.0.1 and IP:::1; other.crt DNS:other.example. A client
 * that trusts the CA is verified (handshake(true, NULL), authorized) when the name it checks is in
 * the certificate:
 *   - by IP: connect to 127.0.0.1; connect to ::1 (listener on ::1);
 *   - by name: connect to "localhost" (resolved off the loop thread; the connect hostname is the
 *     name checked); connect to 127.0.0.1 with server_name "localhost";
 *     connect to 127.0.0.1 with server_name "other.example" against other.crt;
 *   - an IP literal as server_name: "127.0.0.1" when connecting to "localhost".
 * Each exchange traces client "open,handshake:ok,data:ping,end,close" and server
 * "open,data:ping,end,close", and the client saw the expected certificate.
 */
#include "harness.h"

static bool ipv6_loopback_ok(void) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static void ok_case(const char *what, const char *cert, const char *key, const char *listen_host,
                    const char *host, const char *server_name) {
  test_case(what);
  tls_cfg server, client;
  tls_cfg_init(&server);
  tls_cfg_chain(&server, cert, key);
  tls_cfg_client(&client);
  client.o.server_name = server_name;
  tls_probe_t *p = tls_probe_run(&server.o, listen_host, &client.o, host, true, false);
  CHECK_TRACE(&p->cli.tr, "open,handshake:ok,data:ping,end,close");
  CHECK_TRACE(&p->srv.socks[0].tr, "open,data:ping,end,close");
  CHECK(p->cli.hs_authorized);
  CHECK(p->cli_side.authorized);
  CHECK_EQ(p->cli_side.verify, 0);
  CHECK_MSG(tls_side_peer_is(&p->cli_side, cert), "peer certificate is not %s", cert);
  tls_probe_free(p);
}

int main(void) {
  test_init("test_tls_san_ip_and_name", 60);
  ok_case("IP SAN: 127.0.0.1", "server.crt", "server.key", "127.0.0.1", "127.0.0.1", NULL);
  if (ipv6_loopback_ok())
    ok_case("IP SAN: ::1", "server.crt", "server.key", "::1", "::1", NULL);
  else
    printf("    NOTE: no IPv6 loopback: the ::1 case is skipped\n");
  ok_case("DNS SAN: connect to localhost", "server.crt", "server.key", "127.0.0.1", "localhost", NULL);
  ok_case("DNS SAN: server_name localhost over 127.0.0.1", "server.crt", "server.key", "127.0.0.1",
          "127.0.0.1", "localhost");
  ok_case("DNS SAN: server_name other.example over 127.0.0.1", "other.crt", "other.key",
          "127.0.0.1", "127.0.0.1", "other.example");
  ok_case("IP SAN: server_name 127.0.0.1 over localhost", "server.crt", "server.key", "127.0.0.1",
          "localhost", "127.0.0.1");
  tls_fixtures_free();
  return test_pass();
}
