/* set_keep_alive checks its arguments against the kernel's limits before touching the socket:
 * TCP_KEEPIDLE is 1..32767 s on Linux, initial_delay_ms is rounded down to seconds (at least 1),
 * so 0..32767999 ms are accepted and anything larger returns BUN_TCP_EINVAL with SO_KEEPALIVE and
 * TCP_KEEPIDLE exactly as they were (nothing half-applied). With enable false the delay is ignored. */
#include "harness.h"

static srv_t sv;
static rec_t c;

static int opt(int fd, int level, int name) {
  int v = -1;
  socklen_t l = sizeof v;
  if (getsockopt(fd, level, name, &v, &l) != 0) FAIL("getsockopt: %s", strerror(errno));
  return v;
}

int main(void) {
  test_init("keep_alive_limits", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  int fd = bun_tcp_socket_fd(c.s);
  CHECK_CMP(fd, >=, 0);
  int idle_before = opt(fd, IPPROTO_TCP, TCP_KEEPIDLE);

  test_case("too large while off: EINVAL, nothing applied");
  CHECK_EQ(opt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  CHECK_RC(bun_tcp_socket_set_keep_alive(c.s, true, UINT32_MAX), BUN_TCP_EINVAL);
  CHECK_EQ(opt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  CHECK_EQ(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), idle_before);
  CHECK_RC(bun_tcp_socket_set_keep_alive(c.s, true, 32768000), BUN_TCP_EINVAL);
  CHECK_EQ(opt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  CHECK_EQ(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), idle_before);

  test_case("the largest accepted delay; rounding down");
  CHECK_OK(bun_tcp_socket_set_keep_alive(c.s, true, 32767999));
  CHECK(opt(fd, SOL_SOCKET, SO_KEEPALIVE) != 0);
  CHECK_EQ(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 32767);
  CHECK_OK(bun_tcp_socket_set_keep_alive(c.s, true, 1999));
  CHECK_EQ(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 1);
  CHECK_OK(bun_tcp_socket_set_keep_alive(c.s, true, 0));
  CHECK_EQ(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 1);
  CHECK_OK(bun_tcp_socket_set_keep_alive(c.s, true, 7000));
  CHECK_EQ(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);

  test_case("too large while on: EINVAL, the old delay stays");
  CHECK_RC(bun_tcp_socket_set_keep_alive(c.s, true, UINT32_MAX), BUN_TCP_EINVAL);
  CHECK(opt(fd, SOL_SOCKET, SO_KEEPALIVE) != 0);
  CHECK_EQ(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);

  test_case("off ignores the delay");
  CHECK_OK(bun_tcp_socket_set_keep_alive(c.s, false, UINT32_MAX));
  CHECK_EQ(opt(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  CHECK_EQ(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);

  test_case("nothing fired; the socket still works");
  CHECK_TRACE(&c.tr, "open");
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
