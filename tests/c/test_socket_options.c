/* Socket options reach the kernel (getsockopt on bun_tcp_socket_fd): TCP_NODELAY is on by default for
 * connected and accepted sockets; set_no_delay(false/true) toggles it; set_keep_alive(true, 5000)
 * sets SO_KEEPALIVE and TCP_KEEPIDLE = 5 s; set_keep_alive(false, 0) clears SO_KEEPALIVE. */
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
  test_init("socket_options", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  int cfd = bun_tcp_socket_fd(c.s);
  int sfd = bun_tcp_socket_fd(sv.socks[0].s);
  CHECK_CMP(cfd, >=, 0);
  CHECK_CMP(sfd, >=, 0);
  CHECK_CMP(cfd, !=, sfd);

  test_case("TCP_NODELAY on by default");
  CHECK_MSG(opt(cfd, IPPROTO_TCP, TCP_NODELAY) != 0, "client socket has TCP_NODELAY off");
  CHECK_MSG(opt(sfd, IPPROTO_TCP, TCP_NODELAY) != 0, "accepted socket has TCP_NODELAY off");

  test_case("set_no_delay");
  CHECK_OK(bun_tcp_socket_set_no_delay(c.s, false));
  CHECK_EQ(opt(cfd, IPPROTO_TCP, TCP_NODELAY), 0);
  CHECK_OK(bun_tcp_socket_set_no_delay(c.s, true));
  CHECK(opt(cfd, IPPROTO_TCP, TCP_NODELAY) != 0);

  test_case("set_keep_alive");
  CHECK_OK(bun_tcp_socket_set_keep_alive(c.s, true, 5000));
  CHECK(opt(cfd, SOL_SOCKET, SO_KEEPALIVE) != 0);
  CHECK_EQ(opt(cfd, IPPROTO_TCP, TCP_KEEPIDLE), 5);
  CHECK_OK(bun_tcp_socket_set_keep_alive(sv.socks[0].s, true, 61000));
  CHECK(opt(sfd, SOL_SOCKET, SO_KEEPALIVE) != 0);
  CHECK_EQ(opt(sfd, IPPROTO_TCP, TCP_KEEPIDLE), 61);
  CHECK_OK(bun_tcp_socket_set_keep_alive(c.s, false, 0));
  CHECK_EQ(opt(cfd, SOL_SOCKET, SO_KEEPALIVE), 0);

  test_case("the socket still works; stale handles are refused");
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_NEG(bun_tcp_socket_set_no_delay(c.s, true));
  CHECK_NEG(bun_tcp_socket_set_keep_alive(c.s, true, 1000));
  CHECK_NEG(bun_tcp_socket_fd(c.s));

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
