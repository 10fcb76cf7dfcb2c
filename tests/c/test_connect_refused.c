/* Connecting to a port where nothing listens fires connect_error only (ECONNREFUSED, code
 * -ECONNREFUSED, syscall "connect", with the socket's user data), never open or close; the socket is
 * "connecting" (ready_state 2) until then and released afterwards. */
#include "harness.h"

static rec_t c;
static void *ce_data, *ce_sock_data;

static void on_ce(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  ce_data = data;
  ce_sock_data = bun_tcp_socket_data(s);
  rec_on_connect_error(s, data, err);
  CHECK(err->message != NULL && strlen(err->message) > 0);
}

int main(void) {
  test_init("connect_refused", 30);
  bun_tcp_loop *loop = new_loop();
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  h.connect_error = on_ce;

  uint16_t port;
  int holder = raw_tcp_bound(false, &port); /* bound, not listening: connects get RST */

  bun_tcp_socket s = connect_rec(loop, port, &c, &h, false);
  CHECK_EQ(bun_tcp_socket_ready_state(s), 2);
  CHECK(bun_tcp_socket_data(s) == &c);
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 1);

  RUN_UNTIL(loop, c.n_connect_error == 1);
  CHECK_RC(c.connect_error_code, -ECONNREFUSED);
  CHECK_STR(c.connect_error_name, "ECONNREFUSED");
  CHECK_STR(c.connect_error_syscall, "connect");
  CHECK(ce_data == &c);
  CHECK(ce_sock_data == &c);
  printf("    message: %s\n", c.connect_error_message);

  CHECK_EQ(run_for(loop, 200), 0);
  CHECK_TRACE(&c.tr, "connect_error:ECONNREFUSED");
  CHECK_EQ(c.n_open, 0);
  CHECK_EQ(c.n_close, 0);
  CHECK_EQ(bun_tcp_socket_ready_state(s), -1);
  CHECK(bun_tcp_socket_data(s) == NULL);
  CHECK_NEG(bun_tcp_socket_write(s, (const uint8_t *)"x", 1));
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);

  close(holder);
  bun_tcp_loop_free(loop);
  rec_free(&c);
  return test_pass();
}
