/* connect_timeout_ms on a TLS client. The stalling server is a plain bun_tcp listener: it accepts
 * and never answers the ClientHello, so the TCP connect completes and the handshake never does.
 *   1. no `handshake` handler: `open` waits for the handshake, so the timeout ends the connect:
 *      "connect_error:ETIMEDOUT" (syscall "connect"), no earlier than 200 ms, never open/close;
 *   2. with a `handshake` handler: `open` fired at the TCP connect, so the timeout fails the
 *      handshake: "open,handshake:fail:ETIMEDOUT,error:ETIMEDOUT,close_err:ETIMEDOUT";
 *   3. a real TLS server: the handshake completes within the timeout (2 s, scaled by
 *      BUN_TCP_TEST_TIME_SCALE); 200 ms past its deadline the trace is still "open" (no handler) or
 *      "open,handshake:ok" (with one) and the socket echoes. */
#include "harness.h"

static bun_tcp_socket tls_connect_with(bun_tcp_loop *loop, uint16_t port, uint32_t timeout_ms,
                                       rec_t *r, const bun_tcp_handlers *h, const tls_cfg *client) {
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = port;
  o.data = r;
  o.tls = &client->o;
  o.connect_timeout_ms = timeout_ms;
  CHECK_OK(bun_tcp_connect(loop, &o, h, &r->s));
  return r->s;
}

static void stalled_handshake(bool handshake_handler) {
  bun_tcp_loop *loop = new_loop();
  tls_cfg client;
  tls_cfg_client(&client);
  srv_t sv; /* plain: reads the ClientHello and says nothing */
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &sh, false);
  rec_t c;
  rec_init(&c);
  bun_tcp_handlers ch = handshake_handler ? rec_tls_handlers() : rec_handlers();
  double t0 = now_ms();
  tls_connect_with(loop, bun_tcp_listener_port(l), 200, &c, &ch, &client);
  if (handshake_handler) {
    RUN_UNTIL(loop, c.n_close == 1);
    CHECK_TRACE(&c.tr, "open,handshake:fail:ETIMEDOUT,error:ETIMEDOUT,close_err:ETIMEDOUT");
    CHECK_EQ(c.hs_verify_code, -ETIMEDOUT);
    CHECK_EQ(c.error_code, -ETIMEDOUT);
    CHECK_EQ(c.close_code, -ETIMEDOUT);
    check_closed_once(&c, "client");
    CHECK_MSG(c.t_close - t0 >= 200, "closed after %.0f ms, before the 200 ms timeout", c.t_close - t0);
  } else {
    RUN_UNTIL(loop, c.n_connect_error == 1);
    CHECK_TRACE(&c.tr, "connect_error:ETIMEDOUT");
    CHECK_EQ(c.connect_error_code, -ETIMEDOUT);
    CHECK_STR(c.connect_error_syscall, "connect");
    CHECK_MSG(now_ms() - t0 >= 200, "connect_error after %.0f ms, before the timeout", now_ms() - t0);
  }
  /* the server saw the connection, the ClientHello, then the close */
  RUN_UNTIL(loop, sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  CHECK_CMP(sv.socks[0].bytes_in, >, 0);
  run_for(loop, 50);
  CHECK_EQ(c.n_open, handshake_handler ? 1 : 0);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
}

static void on_echo_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  CHECK_EQ(bun_tcp_socket_write_all(s, b, n), (int64_t)n);
}

static void completed_handshake(bool handshake_handler) {
  bun_tcp_loop *loop = new_loop();
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.data = on_echo_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  rec_t c;
  rec_init(&c);
  bun_tcp_handlers ch = handshake_handler ? rec_tls_handlers() : rec_handlers();
  /* long enough for a handshake on a loaded machine (or under valgrind: scaled), then waited out */
  uint32_t timeout_ms = (uint32_t)(2000 * harness_time_scale());
  double t0 = now_ms();
  bun_tcp_socket s = tls_connect_with(loop, bun_tcp_listener_port(l), timeout_ms, &c, &ch, &client);
  RUN_UNTIL(loop, handshake_handler ? c.n_handshake == 1 : c.n_open == 1);
  while (now_ms() < t0 + timeout_ms + 200) poll_ok(loop, 50); /* past the deadline */
  CHECK_TRACE(&c.tr, handshake_handler ? "open,handshake:ok" : "open");
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"ping", 4), 4);
  RUN_UNTIL(loop, c.bytes_in == 4);
  CHECK_OK(bun_tcp_socket_close(s));
  CHECK_TRACE(&c.tr, handshake_handler ? "open,handshake:ok,data:ping,close" : "open,data:ping,close");
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
}

int main(void) {
  test_init("tls_connect_timeout", 60);
  test_case("a stalled handshake without a handshake handler: connect_error ETIMEDOUT");
  stalled_handshake(false);
  test_case("a stalled handshake with a handshake handler: handshake(false), error, close");
  stalled_handshake(true);
  test_case("a completed handshake is never timed out (no handshake handler)");
  completed_handshake(false);
  test_case("a completed handshake is never timed out (handshake handler)");
  completed_handshake(true);
  tls_fixtures_free();
  return test_pass();
}
