/* bun_tcp_loop_fd (embedding): the fd is valid, becomes readable (poll(2)) when the loop has work
 * (incoming data for a socket), and bun_tcp_poll(loop, 0) then dispatches it; when idle it is not
 * readable. */
#include "harness.h"
#include <poll.h>

static srv_t sv;
static rec_t c;

static bool fd_readable(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, ms);
  if (r < 0) FAIL("poll(2): %s", strerror(errno));
  return r == 1 && (p.revents & POLLIN);
}

int main(void) {
  test_init("loop_fd", 30);
  bun_tcp_loop *loop = new_loop();
  int fd = bun_tcp_loop_fd(loop);
  CHECK_CMP(fd, >=, 0);
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1 && sv.socks[0].n_open == 1);
  run_for(loop, 50);

  test_case("idle: not readable");
  CHECK(!fd_readable(fd, 100));

  test_case("incoming data makes it readable; poll(loop, 0) dispatches it");
  int raw_fd = bun_tcp_socket_fd(sv.socks[0].s);
  CHECK_CMP(raw_fd, >=, 0);
  CHECK_EQ(bun_tcp_socket_write(sv.socks[0].s, (const uint8_t *)"wake", 4), 4);
  CHECK_MSG(fd_readable(fd, 2000), "loop fd not readable although data is waiting");
  int calls = 0;
  for (int i = 0; i < 10 && c.bytes_in < 4; i++) calls += poll_ok(loop, 0);
  CHECK_EQ(c.bytes_in, 4);
  CHECK_CMP(calls, >=, 1);
  CHECK_TRACE(&c.tr, "open,data:wake");

  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
