/* stop from inside handlers:
 *  1. stop(l, true) inside the data handler of one of the listener's own accepted sockets: both
 *     accepted sockets close exactly once (err NULL), the running handler returns normally, no more
 *     data is delivered, and the port is refused.
 *  2. stop(l, false) inside the open handler of the first accepted socket: that connection keeps
 *     working (echo), a later connect is refused. */
#include "harness.h"

static srv_t sv1, sv2;
static rec_t a[2], b, b_late, a_late;
static bun_tcp_listener L1, L2;
static int stop_rc = 12345;
static bool stop1_done, stop2_done;
static int data_after_stop;

static void s1_data(bun_tcp_socket s, void *data, const uint8_t *p, size_t n) {
  if (stop1_done) data_after_stop++;
  rec_on_data(s, data, p, n);
  if (!stop1_done) {
    stop1_done = true;
    stop_rc = bun_tcp_listener_stop(L1, true);
    /* the handle's user data stays readable for the rest of this handler */
    (void)bun_tcp_socket_data(s);
  }
}

static void s2_open(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  if (!stop2_done) {
    stop2_done = true;
    CHECK_OK(bun_tcp_listener_stop(L2, false));
  }
}
static void s2_data(bun_tcp_socket s, void *data, const uint8_t *p, size_t n) {
  rec_on_data(s, data, p, n);
  CHECK_EQ(bun_tcp_socket_write(s, p, n), (long long)n);
}

int main(void) {
  test_init("stop_in_handler", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv1);
  srv_init(&sv2);
  bun_tcp_handlers hc = rec_handlers();

  test_case("stop(true) inside an accepted socket's data handler");
  bun_tcp_handlers h1 = rec_handlers();
  h1.data = s1_data;
  L1 = listen_srv(loop, &sv1, &h1, false);
  uint16_t p1 = bun_tcp_listener_port(L1);
  for (int i = 0; i < 2; i++) {
    rec_init(&a[i]);
    connect_rec(loop, p1, &a[i], &hc, false);
  }
  RUN_UNTIL(loop, sv1.n_accepted == 2 && a[0].n_open && a[1].n_open);
  CHECK_EQ(bun_tcp_socket_write(a[0].s, (const uint8_t *)"stop", 4), 4);
  RUN_UNTIL(loop, stop1_done);
  CHECK_OK(stop_rc);
  RUN_UNTIL(loop, sv1.socks[0].n_close == 1 && sv1.socks[1].n_close == 1);
  bun_tcp_socket_write(a[0].s, (const uint8_t *)"more", 4);
  bun_tcp_socket_write(a[1].s, (const uint8_t *)"more", 4);
  RUN_UNTIL(loop, a[0].n_close == 1 && a[1].n_close == 1);
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_EQ(data_after_stop, 0);
  for (int i = 0; i < 2; i++) {
    check_closed_once(&sv1.socks[i], "server socket");
    CHECK_EQ(sv1.socks[i].close_code, 0);
  }
  rec_init(&a_late);
  connect_rec(loop, p1, &a_late, &hc, false);
  RUN_UNTIL(loop, a_late.n_connect_error == 1);
  CHECK_STR(a_late.connect_error_name, "ECONNREFUSED");

  test_case("stop(false) inside the first open handler");
  bun_tcp_handlers h2 = rec_handlers();
  h2.open = s2_open;
  h2.data = s2_data;
  L2 = listen_srv(loop, &sv2, &h2, false);
  uint16_t p2 = bun_tcp_listener_port(L2);
  rec_init(&b);
  connect_rec(loop, p2, &b, &hc, false);
  RUN_UNTIL(loop, stop2_done && b.n_open == 1);
  rec_init(&b_late);
  connect_rec(loop, p2, &b_late, &hc, false);
  RUN_UNTIL(loop, b_late.n_connect_error == 1);
  CHECK_STR(b_late.connect_error_name, "ECONNREFUSED");
  CHECK_EQ(bun_tcp_socket_end(b.s, (const uint8_t *)"echo", 4), 4);
  RUN_UNTIL(loop, b.n_close == 1 && sv2.socks[0].n_close == 1);
  CHECK_TRACE(&b.tr, "open,data:echo,end,close");
  CHECK_TRACE(&sv2.socks[0].tr, "open,data:echo,end,close");
  CHECK_EQ(sv2.n_accepted, 1);

  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  for (int i = 0; i < 2; i++) rec_free(&a[i]);
  rec_free(&a_late);
  rec_free(&b);
  rec_free(&b_late);
  srv_free(&sv1);
  srv_free(&sv2);
  return test_pass();
}
