/* Embedding: a host drives the loop from its own epoll, waiting on bun_tcp_loop_fd() for at most
 * bun_tcp_loop_next_timeout_ms() and then calling bun_tcp_poll(loop, 0). Connections, data and
 * an idle timeout all work that way, and the timeout fires within 100 ms of its deadline. */
#include "harness.h"
#include <sys/epoll.h>

static srv_t sv;
static rec_t c;

/* One host iteration: wait on the loop's fd as the loop asks, then poll without waiting. */
static void host_iteration(int epfd, bun_tcp_loop *loop) {
  int timeout = bun_tcp_loop_next_timeout_ms(loop);
  CHECK_CMP(timeout, >=, -1);
  if (timeout < 0 || timeout > 200) timeout = 200; /* the host has its own work too */
  struct epoll_event ev;
  int n = epoll_wait(epfd, &ev, 1, timeout);
  CHECK_CMP(n, >=, 0);
  CHECK_CMP(bun_tcp_poll(loop, 0), >=, 0);
}

int main(void) {
  test_init("loop_embed", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  CHECK(epfd >= 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
  CHECK_OK(epoll_ctl(epfd, EPOLL_CTL_ADD, bun_tcp_loop_fd(loop), &ev));

  test_case("idle loop: no deadline");
  CHECK_EQ(bun_tcp_loop_next_timeout_ms(loop), -1);

  test_case("connect and exchange data through the host's epoll");
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  double start = now_ms();
  while (!(c.n_open == 1 && sv.n_accepted == 1)) {
    CHECK_MSG(now_ms() - start < 10000, "connection did not open");
    host_iteration(epfd, loop);
  }
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"hello", 5), 5);
  while (sv.socks[0].bytes_in < 5) {
    CHECK_MSG(now_ms() - start < 10000, "data did not arrive");
    host_iteration(epfd, loop);
  }

  test_case("an idle timeout fires on time with the host waiting on next_timeout_ms");
  CHECK_OK(bun_tcp_socket_timeout_ms(c.s, 300));
  int ask = bun_tcp_loop_next_timeout_ms(loop);
  CHECK_CMP(ask, >, 0);
  CHECK_CMP(ask, <=, 300);
  double armed = now_ms();
  while (c.n_timeout == 0) {
    CHECK_MSG(now_ms() - armed < 5000, "the timeout never fired");
    host_iteration(epfd, loop);
  }
  double late = now_ms() - armed - 300;
  const char *tol_env = getenv("BUN_TCP_TEST_TIMER_TOLERANCE_MS"); /* raised for valgrind runs */
  double tolerance = tol_env ? atof(tol_env) : 100;
  CHECK_MSG(late >= -5 && late <= tolerance, "timeout fired %.1f ms off its deadline", late);

  test_case("a wakeup makes the loop fd readable for the host");
  CHECK_OK(bun_tcp_loop_wakeup(loop));
  struct epoll_event got;
  CHECK_EQ(epoll_wait(epfd, &got, 1, 1000), 1);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  close(epfd);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
