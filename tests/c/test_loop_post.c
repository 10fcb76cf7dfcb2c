/* bun_tcp_loop_post: four threads each post 5000 calls to one loop while it polls; every call
 * runs exactly once, on the loop's thread, in the order each thread posted them. */
#include "harness.h"
#include <pthread.h>

#define THREADS 4
#define PER_THREAD 5000

static bun_tcp_loop *g_loop;
static pthread_t g_loop_thread;
static int g_ran, g_wrong_thread, g_out_of_order;
static int g_next[THREADS];

typedef struct { int thread, seq; } call_t;
static call_t g_calls[THREADS][PER_THREAD];

static void on_call(void *arg) {
  call_t *c = arg;
  if (!pthread_equal(pthread_self(), g_loop_thread)) g_wrong_thread++;
  if (c->seq != g_next[c->thread]) g_out_of_order++;
  g_next[c->thread] = c->seq + 1;
  g_ran++;
}

static void *poster(void *arg) {
  int t = (int)(intptr_t)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    g_calls[t][i].thread = t;
    g_calls[t][i].seq = i;
    if (bun_tcp_loop_post(g_loop, on_call, &g_calls[t][i]) != 0) abort();
  }
  return NULL;
}

int main(void) {
  test_init("loop_post", 60);
  g_loop = new_loop();
  g_loop_thread = pthread_self();

  test_case("bad arguments");
  CHECK_RC(bun_tcp_loop_post(NULL, on_call, NULL), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_loop_post(g_loop, NULL, NULL), BUN_TCP_EINVAL);

  test_case("4 threads x 5000 posts while the loop blocks in poll(-1)");
  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, poster, (void *)(intptr_t)t);
  double start = now_ms();
  while (g_ran < THREADS * PER_THREAD) {
    int n = bun_tcp_poll(g_loop, -1); /* nothing else keeps it busy: only the posts wake it */
    CHECK_CMP(n, >=, 0);
    CHECK_MSG(now_ms() - start < 30000, "only %d of %d calls ran", g_ran, THREADS * PER_THREAD);
  }
  for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
  CHECK_EQ(g_ran, THREADS * PER_THREAD);
  CHECK_EQ(g_wrong_thread, 0);
  CHECK_EQ(g_out_of_order, 0);
  CHECK_EQ(bun_tcp_poll(g_loop, 0), 0); /* nothing ran twice */

  bun_tcp_loop_free(g_loop);
  CHECK_RC(bun_tcp_loop_post(g_loop, on_call, NULL), BUN_TCP_EINVAL); /* freed */
  return test_pass();
}
