/* shutdown(2) while the TLS handshake is still running (found by test_reentrancy_matrix): with a
 * `handshake` handler, `open` fires at the TCP connect (client) or at the accept (server), before
 * the handshake. A shutdown there used to return 0 and shut the descriptor: the handshake could
 * then never finish (SHUT_RD: no more handshake bytes are read; SHUT_WR: no Finished can be sent),
 * and a client without a timeout hung forever, keeping the loop alive. Like a plain socket that
 * is still connecting, it is refused with -ENOTCONN and changes nothing: the handshake completes
 * and the exchange goes on as usual. */
#include "harness.h"

static int32_t rc_read = 1, rc_write = 1;

static void shut_in_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  rc_read = bun_tcp_socket_shutdown(s, true);
  rc_write = bun_tcp_socket_shutdown(s, false);
}

static void cli_handshake_then_end(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  if (ok) CHECK_EQ(bun_tcp_socket_end(s, (const uint8_t *)"hi", 2), 2);
}

static void run(bool server_side) {
  test_case(server_side ? "server: shutdown in open, before the handshake" : "client: shutdown in open, before the handshake");
  rc_read = rc_write = 1;
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t c;
  rec_init(&c);
  bun_tcp_handlers sh = rec_tls_handlers();
  if (server_side) sh.open = shut_in_open;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  bun_tcp_handlers ch = rec_tls_handlers();
  if (!server_side) ch.open = shut_in_open;
  ch.handshake = cli_handshake_then_end;
  connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &c, &ch, &client.o);
  RUN_UNTIL(loop, rc_read != 1);
  CHECK_RC(rc_read, -ENOTCONN);
  CHECK_RC(rc_write, -ENOTCONN);
  RUN_UNTIL_MS(loop, c.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1, 3000);
  CHECK_TRACE(&c.tr, "open,handshake:ok,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,handshake:ok,data:hi,end,close");
  check_closed_once(&c, "client");
  check_closed_once(&sv.socks[0], "server socket");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_EQ(bun_tcp_run(loop), 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&c);
}

int main(void) {
  test_init("tls_shutdown_in_handshake", 30);
  run(false);
  run(true);
  tls_fixtures_free();
  return test_pass();
}
