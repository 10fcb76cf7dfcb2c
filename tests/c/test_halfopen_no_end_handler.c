/* Peer FIN with no end handler closes the socket (the header: peer FIN and half-open), after flushing queued bytes:
 *  1. client end(): the server (no end handler) closes cleanly: server open,close; client
 *     open,end,close.
 *  2. the server has 8 MiB queued (write_all) towards a paused client when the client's FIN arrives:
 *     the server still delivers all 8 MiB, then closes; the client sees data, end, close. */
#include "harness.h"

#define LEN (8u << 20)
static srv_t sv1, sv2;
static rec_t c1, c2;
static uint8_t *buf;

static void s2_open(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  CHECK_EQ(bun_tcp_socket_write_all(s, buf, LEN), LEN);
  CHECK_CMP(bun_tcp_socket_buffered_amount(s), >, 0);
}
static void c2_open(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  CHECK_OK(bun_tcp_socket_pause(s));
  CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

int main(void) {
  test_init("halfopen_no_end_handler", 60);
  buf = (uint8_t *)malloc(LEN);
  stream_fill(3, 0, buf, LEN);
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers hc = rec_handlers();

  test_case("client end(): server without end handler closes");
  srv_init(&sv1);
  rec_init(&c1);
  bun_tcp_handlers hs = rec_handlers();
  hs.end = NULL;
  bun_tcp_listener l1 = listen_srv(loop, &sv1, &hs, false);
  connect_rec(loop, bun_tcp_listener_port(l1), &c1, &hc, false);
  RUN_UNTIL(loop, c1.n_open == 1);
  CHECK_EQ(bun_tcp_socket_end(c1.s, NULL, 0), 0);
  RUN_UNTIL(loop, c1.n_close == 1 && sv1.n_accepted == 1 && sv1.socks[0].n_close == 1);
  CHECK_TRACE(&sv1.socks[0].tr, "open,close");
  CHECK_EQ(sv1.socks[0].close_code, 0);
  CHECK_TRACE(&c1.tr, "open,end,close");

  test_case("queued bytes are flushed before that close");
  srv_init(&sv2);
  rec_init(&c2);
  c2.keep_bytes = false;
  c2.tr.data_contents = false;
  bun_tcp_handlers hs2 = rec_handlers();
  hs2.end = NULL;
  hs2.open = s2_open;
  bun_tcp_handlers hc2 = rec_handlers();
  hc2.open = c2_open;
  bun_tcp_listener l2 = listen_srv(loop, &sv2, &hs2, false);
  connect_rec(loop, bun_tcp_listener_port(l2), &c2, &hc2, false);
  RUN_UNTIL(loop, c2.n_open == 1 && sv2.n_accepted == 1);
  run_for(loop, 200); /* the server has seen the FIN by now; its queue cannot drain */
  CHECK_EQ(c2.bytes_in, 0);
  CHECK_OK(bun_tcp_socket_resume(c2.s));
  RUN_UNTIL_MS(loop, c2.n_close == 1 && sv2.socks[0].n_close == 1, 30000);
  CHECK_EQ(c2.bytes_in, LEN);
  CHECK_TRACE(&c2.tr, "open,data,end,close");
  CHECK_TRACE(&sv2.socks[0].tr, "open,close");
  CHECK_EQ(sv2.socks[0].close_code, 0);

  CHECK_OK(bun_tcp_listener_stop(l1, true));
  CHECK_OK(bun_tcp_listener_stop(l2, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  srv_free(&sv1);
  srv_free(&sv2);
  free(buf);
  return test_pass();
}
