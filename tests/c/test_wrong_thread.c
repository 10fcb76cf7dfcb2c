/* Calls from a thread that does not own the loop return BUN_TCP_EWRONGTHREAD (or, for calls that
 * return a value, an error/neutral value) and change nothing: socket write/end/close/set_data/
 * reload/timeout, listener stop/reload/set_data, listen, connect, poll, run. Afterwards the socket and
 * the listener still work on the owning thread. The other thread's last_error_message is its own. */
#include "harness.h"
#include <pthread.h>

static srv_t sv;
static rec_t c, c2;
static bun_tcp_loop *g_loop;
static bun_tcp_listener g_l;

static void *other_thread(void *arg) {
  (void)arg;
  bun_tcp_socket s = c.s;
  const uint8_t *x = (const uint8_t *)"xx";
  bun_tcp_handlers h = rec_handlers();
  CHECK_RC(bun_tcp_socket_write(s, x, 2), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_write_all(s, x, 2), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_end(s, x, 2), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_close(s), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_terminate(s), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_shutdown(s, false), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_set_data(s, NULL), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_reload(s, &h), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_timeout(s, 1), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_pause(s), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_socket_unref(s), BUN_TCP_EWRONGTHREAD);
  CHECK_NEG(bun_tcp_socket_ready_state(s));
  CHECK_RC(bun_tcp_listener_stop(g_l, true), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_listener_reload(g_l, &h), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_listener_set_data(g_l, NULL), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_listener_unref(g_l), BUN_TCP_EWRONGTHREAD);
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  lo.data = &sv;
  bun_tcp_listener l2 = {0};
  CHECK_RC(bun_tcp_listen(g_loop, &lo, &h, &l2), BUN_TCP_EWRONGTHREAD);
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = bun_tcp_listener_port(g_l) ? bun_tcp_listener_port(g_l) : 1;
  co.data = &c2;
  bun_tcp_socket s2 = {0};
  CHECK_RC(bun_tcp_connect(g_loop, &co, &h, &s2), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_poll(g_loop, 0), BUN_TCP_EWRONGTHREAD);
  CHECK_RC(bun_tcp_run(g_loop), BUN_TCP_EWRONGTHREAD);
  CHECK(strlen(bun_tcp_last_error_message()) > 0);
  return (void *)1;
}

int main(void) {
  test_init("wrong_thread", 30);
  bun_tcp_loop *loop = g_loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  rec_init(&c2);
  bun_tcp_handlers h = rec_handlers();
  g_l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(g_l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);

  test_case("calls from another thread");
  pthread_t t;
  CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0);
  void *ret = NULL;
  CHECK(pthread_join(t, &ret) == 0);
  CHECK(ret == (void *)1);

  test_case("nothing changed on the owning thread");
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), 1);
  CHECK(bun_tcp_socket_data(c.s) == &c);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 1);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 2);
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ok");
  CHECK_EQ(c2.total_calls, 0);
  CHECK_EQ(c.n_timeout, 0);
  /* the listener still accepts */
  connect_rec(loop, bun_tcp_listener_port(g_l), &c2, &h, false);
  RUN_UNTIL(loop, c2.n_open == 1 && sv.n_accepted == 2);

  CHECK_OK(bun_tcp_listener_stop(g_l, true));
  RUN_UNTIL(loop, c.n_close == 1 && c2.n_close == 1);
  bun_tcp_loop_free(loop);
  rec_free(&c);
  rec_free(&c2);
  srv_free(&sv);
  return test_pass();
}
