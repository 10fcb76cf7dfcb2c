/* A TLS listener's handshake timeout (`tls_handshake_timeout_ms`), and the idle timeout that
 * starts at `open`.
 *   1. a raw client connects and sends nothing; listener timeout 200 ms, `handshake` handler:
 *      "open,handshake:fail:ETIMEDOUT,error:ETIMEDOUT,close_err:ETIMEDOUT", about 200 ms after the
 *      accept, and the raw client sees the connection closed;
 *   2. the same without a `handshake` handler: no handler at all (the socket never opened), the
 *      descriptor is closed;
 *   3. a client that trickles a ClientHello byte by byte is cut at the same deadline (bytes do not
 *      extend it);
 *   4. a real client completes its handshake and then stays idle past the deadline: untouched;
 *   5. a TLS client (no `handshake` handler) arms a 100 ms timeout while its handshake stalls:
 *      before `open` the timeout is a connect timeout (as for a plain connect, core_faults.rs):
 *      `timeout` fires once, and closing the socket in it ends the connect with
 *      connect_error(ECANCELED), never `open` or `close`;
 *   6. a timeout armed before `open` restarts at `open`: the server holds the handshake for
 *      120 ms, the client's 200 ms timeout fires 200 ms after its `open`, not 200 ms after the
 *      call.
 */
#include "harness.h"

#define LIMIT_MS 200

static bun_tcp_listener listen_limited(bun_tcp_loop *loop, srv_t *sv, const bun_tcp_handlers *h,
                                       const tls_cfg *server, uint32_t limit_ms) {
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.data = sv;
  o.tls = &server->o;
  o.tls_handshake_timeout_ms = limit_ms;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, h, &l));
  sv->l = l;
  return l;
}

/* the raw peer reads until the server closes it (EOF or reset); returns the time it took */
static double wait_closed_by_server(bun_tcp_loop *loop, int fd, const uint8_t *trickle, size_t trickle_len) {
  double t0 = now_ms();
  size_t sent = 0;
  double deadline = t0 + DEFAULT_WAIT_MS * harness_time_scale();
  uint8_t buf[256];
  for (;;) {
    if (sent < trickle_len) {
      ssize_t n = send(fd, trickle + sent, 1, MSG_NOSIGNAL);
      if (n == 1) sent++;
    }
    ssize_t n = raw_read(fd, buf, sizeof buf, true);
    if (n == 0 || n == -2) break;
    CHECK_MSG(n < 0, "the server sent %zd bytes to a client that never finished its hello", n);
    if (now_ms() > deadline) FAIL("the server did not close the stalled client");
    poll_ok(loop, 10);
  }
  return now_ms() - t0;
}

static void stalled(bool handshake_handler, bool trickle) {
  tls_cfg server;
  tls_cfg_server(&server);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers h = handshake_handler ? rec_tls_handlers() : rec_handlers();
  bun_tcp_listener l = listen_limited(loop, &sv, &h, &server, LIMIT_MS);
  int fd = raw_tcp_connect(bun_tcp_listener_port(l));
  set_nonblock(fd);
  /* a ClientHello record header promising 512 bytes, sent one byte per loop turn */
  static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
                                  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  double took = wait_closed_by_server(loop, fd, trickle ? hello : NULL, trickle ? sizeof hello : 0);
  printf("    closed after %.0f ms\n", took);
  CHECK_CMP(took, >=, LIMIT_MS - 20);
  CHECK_CMP(took, <, LIMIT_MS + 1500 * harness_time_scale());
  RUN_UNTIL(loop, bun_tcp_loop_socket_count(loop) == 0);
  if (handshake_handler) {
    CHECK_EQ(sv.n_accepted, 1);
    CHECK_TRACE(&sv.socks[0].tr, "open,handshake:fail:ETIMEDOUT,error:ETIMEDOUT,close_err:ETIMEDOUT");
    CHECK_EQ(sv.socks[0].close_code, -ETIMEDOUT);
    check_closed_once(&sv.socks[0], "server socket");
  } else {
    CHECK_EQ(sv.n_accepted, 0);
  }
  close(fd);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
}

static void completed_is_untouched(void) {
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers h = rec_tls_handlers();
  /* the handshake itself must fit in the limit: scaled for slow runs (valgrind) */
  uint32_t limit = (uint32_t)(LIMIT_MS * harness_time_scale());
  bun_tcp_listener l = listen_limited(loop, &sv, &h, &server, limit);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers ch = rec_handlers();
  bun_tcp_socket c = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &r, &ch, &client.o);
  RUN_UNTIL(loop, r.n_open == 1 && sv.n_accepted == 1 && sv.socks[0].n_handshake == 1);
  run_for(loop, (int)limit + 150); /* past the deadline: nothing happens */
  CHECK_TRACE(&sv.socks[0].tr, "open,handshake:ok");
  CHECK_TRACE(&r.tr, "open");
  CHECK_OK(bun_tcp_socket_close(c));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_TRACE(&sv.socks[0].tr, "open,handshake:ok,end,close");
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&r);
}

static void close_on_timeout(bun_tcp_socket s, void *d) {
  rec_on_timeout(s, d);
  CHECK_OK(bun_tcp_socket_close(s));
}

static void timeout_before_open_is_a_connect_timeout(void) {
  tls_cfg client;
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  uint16_t port;
  int lfd = raw_tcp_bound(true, &port); /* accepts (backlog) and never answers */
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers h = rec_handlers();
  h.timeout = close_on_timeout;
  bun_tcp_socket c = connect_tls_rec(loop, NULL, port, &r, &h, &client.o);
  CHECK_OK(bun_tcp_socket_timeout_ms(c, 100));
  RUN_UNTIL(loop, r.n_connect_error == 1);
  run_for(loop, 50);
  CHECK_TRACE(&r.tr, "timeout,connect_error:ECANCELED");
  CHECK_EQ(r.total_calls, 2);
  close(lfd);
  bun_tcp_loop_free(loop);
  rec_free(&r);
}

static void idle_timeout_restarts_at_open(void) {
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  sv.pause_on_open = true; /* with a handshake handler open fires at accept: the handshake waits */
  bun_tcp_handlers sh = rec_tls_handlers();
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers h = rec_handlers();
  double scale = harness_time_scale();
  double t_call = now_ms();
  bun_tcp_socket c = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &r, &h, &client.o);
  CHECK_OK(bun_tcp_socket_timeout_ms(c, (uint32_t)(200 * scale)));
  RUN_UNTIL(loop, sv.n_accepted == 1);
  run_for(loop, (int)(120 * scale));
  CHECK_TRACE(&r.tr, "");
  CHECK_OK(bun_tcp_socket_resume(sv.socks[0].s));
  RUN_UNTIL(loop, r.n_timeout == 1);
  CHECK_TRACE(&r.tr, "open,timeout");
  printf("    open %.0f ms after the call, timeout %.0f ms after open\n", r.t_open - t_call, r.t_timeout - r.t_open);
  CHECK_CMP(r.t_open - t_call, >=, 115 * scale);
  CHECK_CMP(r.t_timeout - r.t_open, >=, 190 * scale);
  CHECK_OK(bun_tcp_socket_close(c));
  CHECK_TRACE(&r.tr, "open,timeout,close");
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&r);
}

int main(void) {
  test_init("test_tls_handshake_timeout", 60);
  test_case("silent client, handshake handler: handshake(false, ETIMEDOUT), error, close");
  stalled(true, false);
  test_case("silent client, no handshake handler: closed without a handler call");
  stalled(false, false);
  test_case("trickling client: bytes do not extend the deadline");
  stalled(true, true);
  test_case("a completed handshake is not affected by the deadline");
  completed_is_untouched();
  test_case("timeout during a stalled client handshake is a connect timeout: timeout, connect_error");
  timeout_before_open_is_a_connect_timeout();
  test_case("a timeout armed before open restarts at open");
  idle_timeout_restarts_at_open();
  tls_fixtures_free();
  return test_pass();
}
