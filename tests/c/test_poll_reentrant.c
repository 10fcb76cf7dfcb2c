/* bun_tcp_poll and bun_tcp_run called from inside a handler return BUN_TCP_EBUSY and dispatch
 * nothing; the outer poll carries on normally. */
#include "harness.h"

static srv_t sv;
static rec_t c;
static bun_tcp_loop *g_loop;
static int32_t rc_open_poll = 1, rc_open_run = 1, rc_data_poll = 1, rc_data_poll_block = 1;

static void c_open(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  int calls = c.total_calls;
  rc_open_poll = bun_tcp_poll(g_loop, 0);
  rc_open_run = bun_tcp_run(g_loop);
  CHECK_EQ(c.total_calls, calls);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"hi", 2), 2);
}
static void s_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  rc_data_poll = bun_tcp_poll(g_loop, 0);
  rc_data_poll_block = bun_tcp_poll(g_loop, -1); /* must not block */
}

int main(void) {
  test_init("poll_reentrant", 30);
  bun_tcp_loop *loop = g_loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers hs = rec_handlers();
  hs.data = s_data;
  bun_tcp_handlers hc = rec_handlers();
  hc.open = c_open;
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &hc, false);
  test_stage("waiting for the handlers (a re-entrant poll(-1) would hang here)");
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1 && sv.socks[0].bytes_in == 2);
  CHECK_RC(rc_open_poll, BUN_TCP_EBUSY);
  CHECK_RC(rc_open_run, BUN_TCP_EBUSY);
  CHECK_RC(rc_data_poll, BUN_TCP_EBUSY);
  CHECK_RC(rc_data_poll_block, BUN_TCP_EBUSY);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:hi");
  CHECK_TRACE(&c.tr, "open");

  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_OK(bun_tcp_run(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
