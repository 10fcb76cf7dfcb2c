/* bun_tcp_listener_stop(l, false) only stops accepting: new connects are refused, while the accepted
 * sockets keep working with the listener's handlers (echo), keep the loop alive, and close normally. */
#include "harness.h"

static srv_t sv;
static rec_t c[2], late;

static void echo_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

int main(void) {
  test_init("stop_keep_active", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  bun_tcp_handlers hs = rec_handlers();
  hs.data = echo_data;
  bun_tcp_handlers hc = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  uint16_t port = bun_tcp_listener_port(l);
  for (int i = 0; i < 2; i++) {
    rec_init(&c[i]);
    connect_rec(loop, port, &c[i], &hc, false);
  }
  RUN_UNTIL(loop, sv.n_accepted == 2 && c[0].n_open && c[1].n_open);

  test_case("stop(false)");
  CHECK_OK(bun_tcp_listener_stop(l, false));
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_EQ(sv.socks[0].n_close + sv.socks[1].n_close, 0);
  CHECK(bun_tcp_loop_alive(loop)); /* the open sockets keep it alive */

  test_case("new connects are refused");
  rec_init(&late);
  connect_rec(loop, port, &late, &hc, false);
  RUN_UNTIL(loop, late.n_connect_error == 1);
  CHECK_STR(late.connect_error_name, "ECONNREFUSED");

  test_case("accepted sockets keep working");
  CHECK_EQ(bun_tcp_socket_write(c[0].s, (const uint8_t *)"ping0", 5), 5);
  CHECK_EQ(bun_tcp_socket_write(c[1].s, (const uint8_t *)"ping1", 5), 5);
  RUN_UNTIL(loop, c[0].bytes_in == 5 && c[1].bytes_in == 5);
  CHECK_TRACE(&c[0].tr, "open,data:ping0");
  CHECK_TRACE(&c[1].tr, "open,data:ping1");

  test_case("and close normally");
  CHECK_EQ(bun_tcp_socket_end(c[0].s, NULL, 0), 0);
  CHECK_EQ(bun_tcp_socket_end(c[1].s, NULL, 0), 0);
  RUN_UNTIL(loop, sv.socks[0].n_close == 1 && sv.socks[1].n_close == 1 && c[0].n_close && c[1].n_close);
  CHECK_TRACE(&c[0].tr, "open,data:ping0,end,close");
  for (int i = 0; i < 2; i++) {
    check_closed_once(&sv.socks[i], "server socket");
    CHECK_EQ(sv.socks[i].close_code, 0);
  }
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  for (int i = 0; i < 2; i++) rec_free(&c[i]);
  rec_free(&late);
  srv_free(&sv);
  return test_pass();
}
