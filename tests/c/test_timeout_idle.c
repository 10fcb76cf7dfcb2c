/* Idle timeout (the header: bun_tcp_socket_timeout, draft notes): bun_tcp_socket_timeout_ms(300) on an idle socket fires the
 * timeout handler once, no earlier than the deadline (5 ms clock slack) and no later than 100 ms after
 * it, while bun_tcp_poll(loop, 1000) is waiting (poll must wake up for the timer); the socket is not
 * closed and stays usable; it does not fire again while the socket stays idle (once per idle period),
 * and the next write re-arms it. bun_tcp_socket_timeout(s, 1) works in seconds; 0 disables. */
#include "harness.h"

static srv_t sv;
static rec_t c;
static double tol_ms = 100;

/* poll with a long timeout until the timeout count reaches `want` (or 3 s pass) */
static double wait_timeout(bun_tcp_loop *loop, rec_t *r, int want) {
  double dl = now_ms() + 3000 * harness_time_scale();
  while (r->n_timeout < want) {
    if (now_ms() > dl) FAIL("timeout handler did not fire (count %d, want %d)", r->n_timeout, want);
    poll_ok(loop, 1000);
  }
  return r->t_timeout;
}

static void check_window(const char *what, double armed, double fired, double deadline_ms) {
  double dt = fired - armed;
  printf("    %s: fired after %.1f ms (deadline %.0f ms)\n", what, dt, deadline_ms);
  CHECK_MSG(dt >= deadline_ms - 5, "%s fired early: %.1f ms < %.0f ms", what, dt, deadline_ms);
  CHECK_MSG(dt <= deadline_ms + tol_ms, "%s fired late: %.1f ms > %.0f + %.0f ms", what, dt,
            deadline_ms, tol_ms);
}

int main(void) {
  test_init("timeout_idle", 60);
  const char *tol = getenv("BUN_TCP_TEST_TIMER_TOLERANCE_MS");
  if (tol) tol_ms = atof(tol);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  rec_t *r = &sv.socks[0];

  test_case("timeout_ms(300) on an idle socket");
  double armed = now_ms();
  CHECK_OK(bun_tcp_socket_timeout_ms(c.s, 300));
  double fired = wait_timeout(loop, &c, 1);
  check_window("timeout_ms(300)", armed, fired, 300);

  test_case("not closed, once per idle period");
  CHECK_EQ(c.n_close, 0);
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), 1);
  run_for(loop, 700);
  CHECK_EQ(c.n_timeout, 1);
  CHECK_EQ(c.n_close, 0);
  CHECK_TRACE(&c.tr, "open,timeout");

  test_case("a write re-arms it and the socket still works");
  armed = now_ms();
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"after", 5), 5);
  fired = wait_timeout(loop, &c, 2);
  check_window("re-armed by write", armed, fired, 300);
  RUN_UNTIL(loop, r->bytes_in == 5);
  CHECK_TRACE(&r->tr, "open,data:after");

  test_case("0 disables");
  CHECK_OK(bun_tcp_socket_timeout_ms(c.s, 200));
  CHECK_OK(bun_tcp_socket_timeout(c.s, 0));
  run_for(loop, 500);
  CHECK_EQ(c.n_timeout, 2);

  test_case("timeout(1) in seconds");
  armed = now_ms();
  CHECK_OK(bun_tcp_socket_timeout(c.s, 1));
  fired = wait_timeout(loop, &c, 3);
  check_window("timeout(1)", armed, fired, 1000);
  CHECK_EQ(c.n_close, 0);
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), 1);
  CHECK_OK(bun_tcp_socket_timeout(c.s, 0));

  test_case("server side socket timeout too");
  armed = now_ms();
  CHECK_OK(bun_tcp_socket_timeout_ms(r->s, 250));
  fired = wait_timeout(loop, r, 1);
  check_window("server timeout_ms(250)", armed, fired, 250);
  CHECK_OK(bun_tcp_socket_timeout(r->s, 0));

  CHECK_EQ(c.n_close + r->n_close, 0);
  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, r->n_close == 1);
  CHECK_NEG(bun_tcp_socket_timeout(c.s, 1)); /* stale */
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
