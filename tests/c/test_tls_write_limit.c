/* the header: bun_tcp_socket_set_write_limit on TLS sockets (the cases: tests/c/write_limit_common.h).
 * buffered_amount counts plaintext not yet handed to rustls, so the same exact accounting holds:
 * bytes_written + buffered_amount is what the calls accepted, and a refused call changes neither. */
#include "write_limit_common.h"

int main(void) {
  test_init("test_tls_write_limit", 60);
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  g_server_tls = &server.o;
  g_client_tls = &client.o;
  run_all();
  tls_fixtures_free();
  return test_pass();
}
