/* The listener's user data becomes each accepted socket's user data (handler argument and
 * bun_tcp_socket_data); bun_tcp_listener_set_data changes it for later accepts; a socket's own
 * set_data changes only that socket; bun_tcp_socket_listener links accepted sockets to their listener. */
#include "harness.h"

static int tag_a, tag_b;
static int n_open, n_close;
static void *open_data[8];
static bun_tcp_socket open_sock[8];
static void *close_data[8];
static bun_tcp_socket close_sock[8];
static int n_data;
static void *data_data[8];

static void s_open(bun_tcp_socket s, void *d) {
  if (n_open < 8) {
    open_data[n_open] = d;
    open_sock[n_open] = s;
  }
  CHECK(bun_tcp_socket_data(s) == d);
  n_open++;
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  (void)b;
  (void)n;
  CHECK(bun_tcp_socket_data(s) == d);
  if (n_data < 8) data_data[n_data] = d;
  n_data++;
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)e;
  CHECK(bun_tcp_socket_data(s) == d);
  if (n_close < 8) {
    close_data[n_close] = d;
    close_sock[n_close] = s;
  }
  n_close++;
}

static rec_t c1, c2;

int main(void) {
  test_init("listener_data", 30);
  bun_tcp_loop *loop = new_loop();
  rec_init(&c1);
  rec_init(&c2);
  bun_tcp_handlers hs;
  memset(&hs, 0, sizeof hs);
  hs.open = s_open;
  hs.data = s_data;
  hs.close = s_close;
  bun_tcp_handlers hc = rec_handlers();

  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.data = &tag_a;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, &hs, &l));
  CHECK(bun_tcp_listener_data(l) == &tag_a);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("accepted socket inherits the listener data");
  connect_rec(loop, port, &c1, &hc, false);
  RUN_UNTIL(loop, n_open == 1 && c1.n_open == 1);
  CHECK(open_data[0] == &tag_a);
  CHECK(bun_tcp_socket_data(open_sock[0]) == &tag_a);
  CHECK_EQ(bun_tcp_socket_listener(open_sock[0]).id, l.id);
  CHECK_EQ(bun_tcp_socket_listener(c1.s).id, 0); /* client sockets have no listener */

  test_case("listener_set_data applies to later accepts");
  CHECK_OK(bun_tcp_listener_set_data(l, &tag_b));
  CHECK(bun_tcp_listener_data(l) == &tag_b);
  connect_rec(loop, port, &c2, &hc, false);
  RUN_UNTIL(loop, n_open == 2 && c2.n_open == 1);
  CHECK(open_data[1] == &tag_b);
  /* assumption (contract: "default user data of every accepted socket"): changing the listener's data
   * does not rewrite sockets already accepted */
  CHECK(bun_tcp_socket_data(open_sock[0]) == &tag_a);

  test_case("socket_set_data changes one socket's handler argument");
  static int own;
  CHECK_OK(bun_tcp_socket_set_data(open_sock[0], &own));
  CHECK(bun_tcp_socket_data(open_sock[0]) == &own);
  CHECK(bun_tcp_socket_data(open_sock[1]) == &tag_b);
  CHECK_EQ(bun_tcp_socket_write(c1.s, (const uint8_t *)"x", 1), 1);
  RUN_UNTIL(loop, n_data == 1);
  CHECK(data_data[0] == &own);
  CHECK(bun_tcp_listener_data(l) == &tag_b);

  test_case("close handlers see the current data");
  CHECK_OK(bun_tcp_socket_close(c1.s));
  CHECK_OK(bun_tcp_socket_close(c2.s));
  RUN_UNTIL(loop, n_close == 2);
  for (int i = 0; i < 2; i++) {
    if (close_sock[i].id == open_sock[0].id)
      CHECK(close_data[i] == &own);
    else
      CHECK(close_data[i] == &tag_b);
  }
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  return test_pass();
}
