/* A freed loop pointer is BUN_TCP_EINVAL (or the documented neutral value) forever, even after
 * hundreds of new loops were created: it never resolves to a newer loop that malloc could have
 * placed at the same address. A second bun_tcp_loop_free of it changes nothing; a call posted to
 * it never runs. */
#include "harness.h"

#define CYCLES 300

static int ran;
static void posted(void *arg) {
  (void)arg;
  ran++;
}

static void check_freed(bun_tcp_loop *old) {
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = 1;
  bun_tcp_listener l = {0};
  bun_tcp_socket s = {0};
  CHECK_RC(bun_tcp_loop_post(old, posted, NULL), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_loop_wakeup(old), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_poll(old, 0), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_run(old), BUN_TCP_EINVAL);
  CHECK(!bun_tcp_loop_alive(old));
  CHECK_RC(bun_tcp_loop_fd(old), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_loop_next_timeout_ms(old), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_loop_socket_count(old), 0);
  CHECK_EQ(bun_tcp_loop_listener_count(old), 0);
  CHECK_RC(bun_tcp_listen(old, &lo, &h, &l), BUN_TCP_EINVAL);
  CHECK_EQ(l.id, 0);
  CHECK_RC(bun_tcp_connect(old, &co, &h, &s), BUN_TCP_EINVAL);
  CHECK_EQ(s.id, 0);
  int pair[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  CHECK_RC(bun_tcp_socket_adopt(old, pair[0], &h, NULL, false, &s), BUN_TCP_EINVAL);
  CHECK(fcntl(pair[0], F_GETFD) >= 0); /* still the caller's */
  close(pair[0]);
  close(pair[1]);
  bun_tcp_loop_free(old); /* a double free: refused, changes nothing */
}

int main(void) {
  test_init("loop_freed_pointer", 60);
  bun_tcp_loop *freed[CYCLES];
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers h = rec_handlers();

  test_case("every freed pointer stays invalid while new loops come and go");
  for (int i = 0; i < CYCLES; i++) {
    bun_tcp_loop *loop = new_loop();
    bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
    for (int j = 0; j < i; j++) {
      CHECK_RC(bun_tcp_loop_post(freed[j], posted, NULL), BUN_TCP_EINVAL);
      CHECK_RC(bun_tcp_loop_wakeup(freed[j]), BUN_TCP_EINVAL);
      CHECK(!bun_tcp_loop_alive(freed[j]));
    }
    if (i > 0) check_freed(freed[i - 1]);
    /* the double free above did not free this loop */
    CHECK(bun_tcp_loop_alive(loop));
    CHECK_EQ(bun_tcp_loop_listener_count(loop), 1);
    CHECK(poll_ok(loop, 0) >= 0);
    CHECK_OK(bun_tcp_listener_stop(l, true));
    bun_tcp_loop_free(loop);
    freed[i] = loop;
  }
  for (int j = 0; j < CYCLES; j++) check_freed(freed[j]);

  test_case("made-up pointers: small values, a stack and a heap address");
  int on_stack = 0;
  void *on_heap = malloc(64);
  bun_tcp_loop *made_up[] = {(bun_tcp_loop *)(uintptr_t)1, (bun_tcp_loop *)(uintptr_t)16,
                             (bun_tcp_loop *)(uintptr_t)4096, (bun_tcp_loop *)&on_stack,
                             (bun_tcp_loop *)on_heap};
  bun_tcp_loop *live = new_loop(); /* a live loop must not make any of them valid */
  for (size_t i = 0; i < sizeof made_up / sizeof made_up[0]; i++) check_freed(made_up[i]);
  CHECK(bun_tcp_loop_alive(live) == false && poll_ok(live, 0) == 0);
  bun_tcp_loop_free(live);
  free(on_heap);

  test_case("no posted call ran");
  bun_tcp_loop *loop = new_loop();
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_EQ(ran, 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  return test_pass();
}
