/* the header: TLS: a peer that goes away in the middle of the TLS handshake fails the handshake, and a
 * reset (RST) gives the same shape as a FIN:
 *   with a `handshake` handler: open, handshake(false, ECONNRESET), error(ECONNRESET), close(ECONNRESET);
 *   a client without one: connect_error(ECONNRESET) only (its open was deferred);
 *   a server socket without one never opened: no handler at all.
 * The raw peer sends part of a ClientHello (against a server) or part of a ServerHello (against a
 * client), then closes with FIN or resets (SO_LINGER 0).
 */
#include "harness.h"

/* the first bytes of a handshake record whose length promises more than is sent */
static const uint8_t partial_client_hello[] = {0x16, 0x03, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0xfc, 0x03, 0x03};
static const uint8_t partial_server_hello[] = {0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03};

enum hangup { BY_FIN, BY_RESET };

static void hang_up(int fd, enum hangup how) {
  if (how == BY_RESET)
    raw_reset(fd);
  else
    close(fd);
}

static void against_server(bool handshake_handler, enum hangup how, const char *expected) {
  tls_cfg server;
  tls_cfg_server(&server);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = handshake_handler ? rec_tls_handlers() : rec_handlers();
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  int fd = raw_tcp_connect(bun_tcp_listener_port(l));
  raw_send_all(fd, partial_client_hello, sizeof partial_client_hello);
  /* the server has accepted and read the partial hello once the loop holds a socket */
  RUN_UNTIL(loop, bun_tcp_loop_socket_count(loop) == 1);
  run_for(loop, 30);
  hang_up(fd, how);
  RUN_UNTIL(loop, bun_tcp_loop_socket_count(loop) == 0);
  if (handshake_handler) {
    CHECK_EQ(sv.n_accepted, 1);
    CHECK_TRACE(&sv.socks[0].tr, expected);
    CHECK_EQ(sv.socks[0].close_code, -ECONNRESET);
    CHECK_EQ(sv.socks[0].error_code, -ECONNRESET);
    check_closed_once(&sv.socks[0], "server socket");
  } else {
    CHECK_EQ(sv.n_accepted, 0); /* never opened: nothing fired */
  }
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
}

static void against_client(bool handshake_handler, enum hangup how, const char *expected) {
  tls_cfg client;
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  uint16_t port;
  int lfd = raw_tcp_bound(true, &port);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers h = handshake_handler ? rec_tls_handlers() : rec_handlers();
  connect_tls_rec(loop, NULL, port, &r, &h, &client.o);
  int fd = raw_accept_polling(loop, lfd);
  /* wait for the ClientHello, answer with the start of a ServerHello */
  uint8_t buf[4096];
  double deadline = now_ms() + DEFAULT_WAIT_MS;
  ssize_t got;
  while ((got = raw_read(fd, buf, sizeof buf, false)) <= 0) {
    if (got == 0) FAIL("the client closed before its ClientHello");
    if (now_ms() > deadline) FAIL("no ClientHello");
    poll_ok(loop, 10);
  }
  CHECK_EQ(buf[0], 0x16);
  raw_send_all(fd, partial_server_hello, sizeof partial_server_hello);
  run_for(loop, 30);
  hang_up(fd, how);
  RUN_UNTIL(loop, r.n_close + r.n_connect_error == 1);
  run_for(loop, 20);
  CHECK_TRACE(&r.tr, expected);
  if (handshake_handler) {
    CHECK_EQ(r.close_code, -ECONNRESET);
    check_closed_once(&r, "client");
  } else {
    CHECK_EQ(r.connect_error_code, -ECONNRESET);
    CHECK_STR(r.connect_error_name, "ECONNRESET");
  }
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  close(lfd);
  bun_tcp_loop_free(loop);
  rec_free(&r);
}

#define FAILED_HS "open,handshake:fail:ECONNRESET,error:ECONNRESET,close_err:ECONNRESET"

int main(void) {
  test_init("test_tls_handshake_reset", 60);
  static const enum hangup hows[] = {BY_FIN, BY_RESET};
  static const char *names[] = {"FIN", "RST"};
  for (int i = 0; i < 2; i++) {
    char title[128];
    snprintf(title, sizeof title, "server with handshake handler, peer %s mid-ClientHello", names[i]);
    test_case(title);
    against_server(true, hows[i], FAILED_HS);
    snprintf(title, sizeof title, "server without handshake handler, peer %s mid-ClientHello", names[i]);
    test_case(title);
    against_server(false, hows[i], "");
    snprintf(title, sizeof title, "client with handshake handler, peer %s mid-ServerHello", names[i]);
    test_case(title);
    against_client(true, hows[i], FAILED_HS);
    snprintf(title, sizeof title, "client without handshake handler, peer %s mid-ServerHello", names[i]);
    test_case(title);
    against_client(false, hows[i], "connect_error:ECONNRESET");
  }
  tls_fixtures_free();
  return test_pass();
}
