/* pause/resume (the header: reading): while paused no data is delivered; after resume it arrives; a FIN that
 * arrives while paused is deferred (no end, no close) until resume, then delivered after the data:
 * open,data:xyz,end,close. Pause/resume on a stale handle fail. */
#include "harness.h"

static srv_t sv;
static rec_t c1, c2;

static void c_open_pause(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  CHECK_OK(bun_tcp_socket_pause(s));
}

int main(void) {
  test_init("pause_resume", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  bun_tcp_handlers hs = rec_handlers();
  bun_tcp_handlers hc = rec_handlers();
  hc.open = c_open_pause;
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("no data while paused, data after resume");
  rec_init(&c1);
  connect_rec(loop, port, &c1, &hc, false);
  RUN_UNTIL(loop, c1.n_open == 1 && sv.n_accepted == 1);
  CHECK_EQ(bun_tcp_socket_write(sv.socks[0].s, (const uint8_t *)"abc", 3), 3);
  CHECK_EQ(run_for(loop, 300), 0);
  CHECK_EQ(c1.n_data, 0);
  CHECK_OK(bun_tcp_socket_resume(c1.s));
  RUN_UNTIL(loop, c1.bytes_in == 3);
  CHECK_TRACE(&c1.tr, "open,data:abc");
  test_case("pause again from outside a handler");
  CHECK_OK(bun_tcp_socket_pause(c1.s));
  CHECK_EQ(bun_tcp_socket_write(sv.socks[0].s, (const uint8_t *)"def", 3), 3);
  CHECK_EQ(run_for(loop, 200), 0);
  CHECK_EQ(c1.bytes_in, 3);
  CHECK_OK(bun_tcp_socket_resume(c1.s));
  RUN_UNTIL(loop, c1.bytes_in == 6);
  CHECK_TRACE(&c1.tr, "open,data:abcdef");

  test_case("FIN deferred while paused");
  rec_init(&c2);
  connect_rec(loop, port, &c2, &hc, false);
  RUN_UNTIL(loop, c2.n_open == 1 && sv.n_accepted == 2 && sv.socks[1].n_open == 1);
  CHECK_EQ(bun_tcp_socket_end(sv.socks[1].s, (const uint8_t *)"xyz", 3), 3);
  CHECK_EQ(run_for(loop, 300), 0);
  CHECK_TRACE(&c2.tr, "open");
  CHECK_EQ(bun_tcp_socket_ready_state(c2.s), 1);
  CHECK_OK(bun_tcp_socket_resume(c2.s));
  RUN_UNTIL(loop, c2.n_close == 1 && sv.socks[1].n_close == 1);
  CHECK_TRACE(&c2.tr, "open,data:xyz,end,close");
  CHECK_TRACE(&sv.socks[1].tr, "open,end,close");

  test_case("stale handle");
  poll_ok(loop, 0);
  CHECK_NEG(bun_tcp_socket_pause(c2.s));
  CHECK_NEG(bun_tcp_socket_resume(c2.s));

  CHECK_OK(bun_tcp_socket_close(c1.s));
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  srv_free(&sv);
  return test_pass();
}
