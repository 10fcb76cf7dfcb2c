/* The timeout is an idle timeout: with timeout_ms(400), incoming data every 150 ms (reads) and then
 * outgoing writes every 150 ms keep it from firing for ~1.5 s; once activity stops it fires 400 ms
 * after the last activity (no earlier than 5 ms before, no later than 100 ms after). */
#include "harness.h"

static srv_t sv;
static rec_t c;
static double last_read;

static void c_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  last_read = now_ms();
}

int main(void) {
  test_init("timeout_activity_reset", 60);
  double tol_ms = getenv("BUN_TCP_TEST_TIMER_TOLERANCE_MS") ? atof(getenv("BUN_TCP_TEST_TIMER_TOLERANCE_MS")) : 100;
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers hs = rec_handlers();
  bun_tcp_handlers hc = rec_handlers();
  hc.data = c_data;
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &hc, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  rec_t *r = &sv.socks[0];

  CHECK_OK(bun_tcp_socket_timeout_ms(c.s, 400));

  test_case("reads keep it quiet");
  for (int i = 0; i < 5; i++) {
    double next = now_ms() + 150;
    while (now_ms() < next) poll_ok(loop, 10);
    size_t before = c.bytes_in;
    CHECK_EQ(bun_tcp_socket_write(r->s, (const uint8_t *)"r", 1), 1);
    RUN_UNTIL(loop, c.bytes_in == before + 1);
  }
  CHECK_EQ(c.n_timeout, 0);

  test_case("writes keep it quiet");
  double last_write = 0;
  for (int i = 0; i < 5; i++) {
    double next = now_ms() + 150;
    while (now_ms() < next) poll_ok(loop, 10);
    last_write = now_ms();
    CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"w", 1), 1);
  }
  CHECK_EQ(c.n_timeout, 0);

  test_case("fires 400 ms after the last activity");
  double dl = now_ms() + 3000;
  while (c.n_timeout == 0) {
    if (now_ms() > dl) FAIL("timeout never fired after activity stopped");
    poll_ok(loop, 1000);
  }
  double last = last_write > last_read ? last_write : last_read;
  double dt = c.t_timeout - last;
  printf("    fired %.1f ms after the last activity\n", dt);
  CHECK_MSG(dt >= 395, "fired early: %.1f ms", dt);
  CHECK_MSG(dt <= 400 + tol_ms, "fired late: %.1f ms", dt);
  CHECK_EQ(c.n_close, 0);
  RUN_UNTIL(loop, r->bytes_in == 5);
  CHECK_TRACE(&c.tr, "open,data:rrrrr,timeout");

  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, r->n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
