/* Nothing fires while idle: with an open, idle connection (both sides opened, one message
 * delivered), bun_tcp_poll(loop, 200) returns 0 handler calls, repeatedly, and no handler runs. */
#include "harness.h"

static srv_t sv;
static rec_t c;

int main(void) {
  test_init("order_idle", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"ping", 4), 4);
  CHECK_EQ(bun_tcp_socket_write(sv.socks[0].s, (const uint8_t *)"pong", 4), 4);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 4 && c.bytes_in == 4);
  int before = c.total_calls + sv.socks[0].total_calls;

  test_case("three idle polls of 200 ms");
  for (int i = 0; i < 3; i++) {
    double t0 = now_ms();
    int32_t n = bun_tcp_poll(loop, 200);
    double dt = now_ms() - t0;
    CHECK_MSG(n == 0, "idle poll %d returned %d (client trace \"%s\", server trace \"%s\")", i, (int)n,
              c.tr.buf, sv.socks[0].tr.buf);
    printf("    idle poll %d: %d calls in %.0f ms\n", i, (int)n, dt);
  }
  CHECK_EQ(c.total_calls + sv.socks[0].total_calls, before);
  CHECK_TRACE(&c.tr, "open,data:pong");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ping");
  CHECK_EQ(c.n_drain + sv.socks[0].n_drain, 0);

  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
