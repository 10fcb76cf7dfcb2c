/* Listen on port 0 picks an ephemeral port, reported by bun_tcp_listener_port, and that port really
 * accepts connections; two ephemeral listeners get different ports. */
#include "harness.h"

static srv_t sv1, sv2;
static rec_t c1, c2;

int main(void) {
  test_init("listen_ephemeral_port", 30);
  bun_tcp_loop *loop = new_loop();
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);

  srv_init(&sv1);
  srv_init(&sv2);
  rec_init(&c1);
  rec_init(&c2);
  bun_tcp_handlers h = rec_handlers();

  test_case("port 0 gives a real port");
  bun_tcp_listener l1 = listen_srv(loop, &sv1, &h, false);
  uint16_t p1 = bun_tcp_listener_port(l1);
  CHECK_CMP(p1, >, 0);
  CHECK(bun_tcp_loop_alive(loop)); /* a listening listener keeps the loop alive */
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 1);

  test_case("a second ephemeral listener gets another port");
  bun_tcp_listener l2 = listen_srv(loop, &sv2, &h, false);
  uint16_t p2 = bun_tcp_listener_port(l2);
  CHECK_CMP(p2, >, 0);
  CHECK_CMP(p1, !=, p2);
  CHECK(l1.id != l2.id);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 2);

  test_case("each port reaches its own listener");
  connect_rec(loop, p1, &c1, &h, false);
  connect_rec(loop, p2, &c2, &h, false);
  RUN_UNTIL(loop, c1.n_open == 1 && c2.n_open == 1 && sv1.n_accepted == 1 && sv2.n_accepted == 1);
  CHECK_EQ(bun_tcp_socket_remote_port(c1.s), p1);
  CHECK_EQ(bun_tcp_socket_remote_port(c2.s), p2);
  CHECK_EQ(bun_tcp_socket_local_port(sv1.socks[0].s), p1);
  CHECK_EQ(bun_tcp_socket_local_port(sv2.socks[0].s), p2);

  test_case("clean shutdown");
  CHECK_OK(bun_tcp_socket_close(c1.s));
  CHECK_OK(bun_tcp_socket_close(c2.s));
  RUN_UNTIL(loop, sv1.socks[0].n_close == 1 && sv2.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l1, false));
  CHECK_OK(bun_tcp_listener_stop(l2, false));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  check_closed_once(&c1, "client 1");
  check_closed_once(&c2, "client 2");
  check_closed_once(&sv1.socks[0], "server 1");
  check_closed_once(&sv2.socks[0], "server 2");
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);

  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  srv_free(&sv1);
  srv_free(&sv2);
  return test_pass();
}
