/* ref/unref are idempotent flags, not counters (the header: ref / unref): unref twice + ref once is ref'd; ref twice
 * + unref once is unref'd; for listeners and sockets alike. ref after stop is a no-op. */
#include "harness.h"

static srv_t sv;
static rec_t c;

int main(void) {
  test_init("ref_unref_idempotent", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);

  test_case("listener");
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_listener_unref(l));
  CHECK_OK(bun_tcp_listener_unref(l));
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_listener_ref(l));
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_listener_ref(l));
  CHECK_OK(bun_tcp_listener_ref(l));
  CHECK_OK(bun_tcp_listener_unref(l));
  CHECK(!bun_tcp_loop_alive(loop));

  test_case("sockets");
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1 && sv.socks[0].n_open == 1);
  bun_tcp_socket ss = sv.socks[0].s;
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_socket_unref(c.s));
  CHECK_OK(bun_tcp_socket_unref(c.s));
  CHECK(bun_tcp_loop_alive(loop)); /* the server socket still holds it */
  CHECK_OK(bun_tcp_socket_unref(ss));
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_socket_ref(c.s));
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_socket_ref(c.s));
  CHECK_OK(bun_tcp_socket_ref(c.s));
  CHECK_OK(bun_tcp_socket_unref(c.s));
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_socket_ref(ss));
  CHECK(bun_tcp_loop_alive(loop));

  test_case("an unref'd socket still works");
  CHECK_OK(bun_tcp_socket_unref(ss));
  CHECK_EQ(bun_tcp_socket_write(ss, (const uint8_t *)"hi", 2), 2);
  RUN_UNTIL(loop, c.bytes_in == 2);

  test_case("ref after stop is a no-op");
  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_ref(l));
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_listener_stop(l, true));
  int32_t rc = bun_tcp_listener_ref(l);
  printf("    ref after stop returned %d\n", (int)rc);
  CHECK(!bun_tcp_loop_alive(loop));
  poll_ok(loop, 0);
  bun_tcp_listener_ref(l);
  CHECK(!bun_tcp_loop_alive(loop));

  test_case("ref on a closed socket is a no-op");
  bun_tcp_socket_ref(c.s);
  CHECK(!bun_tcp_loop_alive(loop));

  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
