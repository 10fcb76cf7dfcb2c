/* A thread that ends with a live loop (a listener, a connected client and the socket it
 * accepted) abandons it: every descriptor of the loop is closed (epoll, eventfd, sockets), no
 * handler runs, and from then on the loop pointer is BUN_TCP_EINVAL (post, wakeup) and its
 * handles are BUN_TCP_ECLOSED (not BUN_TCP_EWRONGTHREAD: no thread owns them any more). */
#include "harness.h"
#include <pthread.h>

static srv_t sv;
static rec_t c;
static bun_tcp_loop *g_loop;
static bun_tcp_listener g_l;
static int ran;

static void posted(void *arg) {
  (void)arg;
  ran++;
}

static void *owner_thread(void *arg) {
  (void)arg;
  bun_tcp_loop *loop = g_loop = new_loop();
  bun_tcp_handlers h = rec_handlers();
  g_l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(g_l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 2);
  return (void *)1; /* ends without bun_tcp_loop_free */
}

int main(void) {
  test_init("loop_thread_exit", 30);
  srv_init(&sv);
  rec_init(&c);
  int fds_before = count_open_fds();

  test_case("the owner thread ends with its loop alive");
  pthread_t t;
  CHECK(pthread_create(&t, NULL, owner_thread, NULL) == 0);
  void *ret = NULL;
  CHECK(pthread_join(t, &ret) == 0);
  CHECK(ret == (void *)1);

  test_case("every descriptor of the loop is closed");
  CHECK_EQ(count_open_fds(), fds_before);
  CHECK_EQ(c.n_close, 0); /* abandoned: no handler runs */
  CHECK_EQ(sv.socks[0].n_close, 0);

  test_case("the loop is gone from every list");
  CHECK_RC(bun_tcp_loop_post(g_loop, posted, NULL), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_loop_wakeup(g_loop), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_poll(g_loop, 0), BUN_TCP_EINVAL);
  CHECK(!bun_tcp_loop_alive(g_loop));
  bun_tcp_loop_free(g_loop); /* refused: changes nothing */
  CHECK_RC(bun_tcp_socket_write(c.s, (const uint8_t *)"x", 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_close(c.s), BUN_TCP_ECLOSED);
  CHECK(bun_tcp_socket_data(c.s) == NULL);
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), BUN_TCP_STATE_CLOSED);
  CHECK_RC(bun_tcp_listener_stop(g_l, true), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_listener_ref(g_l), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_listener_port(g_l), 0);

  test_case("a new loop on this thread works and never runs the posted call");
  bun_tcp_loop *loop = new_loop();
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_EQ(ran, 0);
  bun_tcp_loop_free(loop);
  CHECK_EQ(count_open_fds(), fds_before);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
