/* connect_timeout_ms on a plain connect. The silent target is a listener with backlog 0 whose
 * accept queue one connection fills: the kernel drops further SYNs, so a connect to it stays in
 * flight (no root needed, unlike a SYN-dropping firewall rule).
 *   1. 200 ms to the silent target: "connect_error:ETIMEDOUT" (code -ETIMEDOUT, syscall
 *      "connect"), no earlier than 200 ms after the call, never open or close; the handle is
 *      stale afterwards and the loop is no longer alive;
 *   2. the idle timeout stays its own: with connect_timeout_ms 600 and a 100 ms idle timeout set
 *      while connecting, `timeout` fires first (the idle timer's pre-open meaning) and the connect
 *      still ends with ETIMEDOUT: "timeout,connect_error:ETIMEDOUT";
 *   3. gone after open: a 150 ms connect timeout to a live listener opens; 450 ms later the trace
 *      is still "open", the socket is open and writes; an idle timeout of 200 ms set after open
 *      fires once ("open,timeout") and does not close it;
 *   4. 0 = no connect timeout: the connect to the silent target is still in flight after 400 ms
 *      (then closed by hand: connect_error ECANCELED). */
#include "harness.h"

typedef struct silent {
  int listener;
  int filler;
  uint16_t port;
} silent_t;

static silent_t silent_listener(void) {
  silent_t s;
  s.listener = raw_tcp_bound(false, &s.port);
  if (listen(s.listener, 0) < 0) FAIL("listen: %s", strerror(errno));
  s.filler = raw_tcp_connect(s.port); /* fills the accept queue (backlog 0 holds one) */
  return s;
}

static void silent_close(silent_t *s) {
  close(s->filler);
  close(s->listener);
}

static bun_tcp_socket connect_with(bun_tcp_loop *loop, uint16_t port, uint32_t timeout_ms, rec_t *r) {
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = port;
  o.data = r;
  o.connect_timeout_ms = timeout_ms;
  bun_tcp_handlers h = rec_handlers();
  CHECK_OK(bun_tcp_connect(loop, &o, &h, &r->s));
  return r->s;
}

int main(void) {
  test_init("connect_timeout", 60);
  double scale = harness_time_scale();

  test_case("a silent target: connect_error ETIMEDOUT after the timeout");
  {
    bun_tcp_loop *loop = new_loop();
    silent_t silent = silent_listener();
    rec_t c;
    rec_init(&c);
    double t0 = now_ms();
    bun_tcp_socket s = connect_with(loop, silent.port, 200, &c);
    CHECK_EQ(bun_tcp_socket_ready_state(s), BUN_TCP_STATE_CONNECTING);
    RUN_UNTIL(loop, c.n_connect_error == 1);
    double waited = now_ms() - t0;
    CHECK_TRACE(&c.tr, "connect_error:ETIMEDOUT");
    CHECK_EQ(c.connect_error_code, -ETIMEDOUT);
    CHECK_STR(c.connect_error_name, "ETIMEDOUT");
    CHECK_STR(c.connect_error_syscall, "connect");
    CHECK_MSG(waited >= 200, "connect_error after %.0f ms, before the 200 ms timeout", waited);
    CHECK_MSG(waited < 200 + 3000 * scale, "connect_error only after %.0f ms", waited);
    poll_ok(loop, 0);
    CHECK_EQ(bun_tcp_socket_ready_state(s), BUN_TCP_STATE_CLOSED);
    CHECK_RC(bun_tcp_socket_close(s), BUN_TCP_ECLOSED);
    CHECK(!bun_tcp_loop_alive(loop));
    run_for(loop, 50);
    CHECK_TRACE(&c.tr, "connect_error:ETIMEDOUT");
    bun_tcp_loop_free(loop);
    silent_close(&silent);
    rec_free(&c);
  }

  test_case("an idle timeout set while connecting is separate");
  {
    bun_tcp_loop *loop = new_loop();
    silent_t silent = silent_listener();
    rec_t c;
    rec_init(&c);
    double t0 = now_ms();
    bun_tcp_socket s = connect_with(loop, silent.port, 600, &c);
    CHECK_OK(bun_tcp_socket_timeout_ms(s, 100));
    RUN_UNTIL(loop, c.n_connect_error == 1);
    double waited = now_ms() - t0;
    CHECK_TRACE(&c.tr, "timeout,connect_error:ETIMEDOUT");
    CHECK_MSG(c.t_timeout - t0 >= 100, "timeout after %.0f ms", c.t_timeout - t0);
    CHECK_MSG(waited >= 600, "connect_error after %.0f ms, before the 600 ms timeout", waited);
    CHECK_STR(c.connect_error_syscall, "connect");
    bun_tcp_loop_free(loop);
    silent_close(&silent);
    rec_free(&c);
  }

  test_case("gone after open: no late connect_error, the idle timeout works");
  {
    bun_tcp_loop *loop = new_loop();
    srv_t sv;
    srv_init(&sv);
    bun_tcp_handlers h = rec_handlers();
    bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
    rec_t c;
    rec_init(&c);
    bun_tcp_socket s = connect_with(loop, bun_tcp_listener_port(l), 150, &c);
    RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
    run_for(loop, 450);
    CHECK_TRACE(&c.tr, "open");
    CHECK_EQ(bun_tcp_socket_ready_state(s), BUN_TCP_STATE_OPEN);
    CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"hi", 2), 2);
    RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
    CHECK_OK(bun_tcp_socket_timeout_ms(s, 200));
    RUN_UNTIL(loop, c.n_timeout == 1);
    run_for(loop, 100);
    CHECK_TRACE(&c.tr, "open,timeout");
    CHECK_EQ(bun_tcp_socket_ready_state(s), BUN_TCP_STATE_OPEN);
    CHECK_OK(bun_tcp_socket_close(s));
    RUN_UNTIL(loop, sv.socks[0].n_close == 1);
    CHECK_TRACE(&c.tr, "open,timeout,close");
    check_closed_once(&c, "client");
    CHECK_OK(bun_tcp_listener_stop(l, true));
    bun_tcp_loop_free(loop);
    rec_free(&c);
    srv_free(&sv);
  }

  test_case("0 means no connect timeout");
  {
    bun_tcp_loop *loop = new_loop();
    silent_t silent = silent_listener();
    rec_t c;
    rec_init(&c);
    bun_tcp_socket s = connect_with(loop, silent.port, 0, &c);
    run_for(loop, 400);
    CHECK_TRACE(&c.tr, "");
    CHECK_EQ(bun_tcp_socket_ready_state(s), BUN_TCP_STATE_CONNECTING);
    CHECK_OK(bun_tcp_socket_close(s));
    CHECK_TRACE(&c.tr, "connect_error:ECANCELED");
    bun_tcp_loop_free(loop);
    silent_close(&silent);
    rec_free(&c);
  }
  return test_pass();
}
