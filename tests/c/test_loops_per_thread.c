/* Many loops, one per thread (the header: handles): two threads each run their own loop with a listener and a
 * client doing 200 echo rounds concurrently; both finish with exact counts. A call from one loop's
 * thread on the other loop's socket returns BUN_TCP_EWRONGTHREAD. */
#include "harness.h"
#include <pthread.h>

#define ROUNDS 200
static pthread_barrier_t barrier;
typedef struct worker {
  int id;
  bun_tcp_loop *loop;
  bun_tcp_socket client;
  int rounds, s_close, c_close, drains;
  struct worker *other;
  int32_t cross_rc;
} worker_t;

static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  (void)d;
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)s; CHECK(e == NULL); ((worker_t *)d)->s_close++;
}
static void c_open(bun_tcp_socket s, void *d) {
  (void)d;
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"r", 1), 1);
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  worker_t *w = (worker_t *)d;
  (void)b;
  for (size_t i = 0; i < n; i++) {
    w->rounds++;
    if (w->rounds < ROUNDS)
      CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"r", 1), 1);
    else if (w->rounds == ROUNDS)
      CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
  }
}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)s; CHECK(e == NULL); ((worker_t *)d)->c_close++;
}
static void any_drain(bun_tcp_socket s, void *d) { (void)s; ((worker_t *)d)->drains++; }

static void *run_worker(void *arg) {
  worker_t *w = (worker_t *)arg;
  w->loop = new_loop();
  bun_tcp_handlers hs, hc;
  memset(&hs, 0, sizeof hs);
  memset(&hc, 0, sizeof hc);
  hs.data = s_data; hs.close = s_close; hs.drain = any_drain;
  hc.open = c_open; hc.data = c_data; hc.close = c_close; hc.drain = any_drain;
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  lo.data = w;
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen(w->loop, &lo, &hs, &l));
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = bun_tcp_listener_port(l);
  co.data = w;
  CHECK_OK(bun_tcp_connect(w->loop, &co, &hc, &w->client));
  /* both clients exist (connecting); cross-loop call on the other worker's client, then wait until
   * both cross calls are done so that no loop is freed while the other thread still uses a handle */
  pthread_barrier_wait(&barrier);
  w->cross_rc = bun_tcp_socket_write(w->other->client, (const uint8_t *)"!", 1);
  pthread_barrier_wait(&barrier);
  RUN_UNTIL(w->loop, w->c_close == 1 && w->s_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_OK(bun_tcp_run(w->loop));
  bun_tcp_loop_free(w->loop);
  return NULL;
}

int main(void) {
  test_init("loops_per_thread", 60);
  static worker_t w[2];
  w[0].id = 0; w[1].id = 1;
  w[0].other = &w[1]; w[1].other = &w[0];
  pthread_t t[2];
  CHECK(pthread_barrier_init(&barrier, NULL, 2) == 0);
  for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, run_worker, &w[i]) == 0);
  for (int i = 0; i < 2; i++) CHECK(pthread_join(t[i], NULL) == 0);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(w[i].rounds, ROUNDS);
    CHECK_EQ(w[i].c_close, 1);
    CHECK_EQ(w[i].s_close, 1);
    CHECK_EQ(w[i].drains, 0);
    CHECK_MSG(w[i].cross_rc == BUN_TCP_EWRONGTHREAD,
              "worker %d: write on the other loop's socket returned %d (%s)", i, (int)w[i].cross_rc,
              bun_tcp_err_name(w[i].cross_rc));
  }
  pthread_barrier_destroy(&barrier);
  return test_pass();
}
