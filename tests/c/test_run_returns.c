/* bun_tcp_run returns once nothing ref'd is left:
 *  a. an empty loop: returns 0 at once;
 *  b. only an unref'd listener: returns at once;
 *  c. an unref'd listener with a client that ends: returns after both sockets closed;
 *  d. an open connection whose two sockets are unref'd: returns while they are still open; loop_free
 *     then closes them (close handlers run).
 * A hang is caught by the global deadline, which names the case. */
#include "harness.h"

static srv_t sv;
static rec_t c1, c2;

int main(void) {
  test_init("run_returns", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c1);
  rec_init(&c2);
  bun_tcp_handlers h = rec_handlers();

  test_case("a: empty loop");
  CHECK_OK(bun_tcp_run(loop));

  test_case("b: unref'd listener only");
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_listener_unref(l));
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_run(loop));

  test_case("c: a client that ends");
  connect_rec(loop, bun_tcp_listener_port(l), &c1, &h, false);
  CHECK(bun_tcp_loop_alive(loop));
  RUN_UNTIL(loop, c1.n_open == 1);
  CHECK_EQ(bun_tcp_socket_end(c1.s, (const uint8_t *)"bye", 3), 3);
  CHECK_OK(bun_tcp_run(loop));
  CHECK_EQ(c1.n_close, 1);
  CHECK_EQ(sv.n_accepted, 1);
  CHECK_EQ(sv.socks[0].n_close, 1);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:bye,end,close");
  CHECK(!bun_tcp_loop_alive(loop));

  test_case("d: open but unref'd sockets");
  connect_rec(loop, bun_tcp_listener_port(l), &c2, &h, false);
  RUN_UNTIL(loop, c2.n_open == 1 && sv.n_accepted == 2 && sv.socks[1].n_open == 1);
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_socket_unref(c2.s));
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_socket_unref(sv.socks[1].s));
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_run(loop));
  CHECK_EQ(bun_tcp_socket_ready_state(c2.s), 1);
  CHECK_EQ(c2.n_close + sv.socks[1].n_close, 0);

  test_case("loop_free closes what is left");
  bun_tcp_loop_free(loop);
  CHECK_EQ(c2.n_close, 1);
  CHECK_EQ(sv.socks[1].n_close, 1);
  rec_free(&c1);
  rec_free(&c2);
  srv_free(&sv);
  return test_pass();
}
