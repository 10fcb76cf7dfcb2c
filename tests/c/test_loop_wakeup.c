/* bun_tcp_loop_wakeup from another thread makes a bun_tcp_poll(loop, -1) that is blocked (no timers,
 * no traffic, a listener keeps the loop alive) return, with 0 handler calls. The helper thread waits
 * until the main thread is really asleep (its /proc state is 'S') before waking it; three rounds.
 * wakeup(NULL) is BUN_TCP_EINVAL. A watchdog in the helper fails the test if poll never returns. */
#include "harness.h"
#include <pthread.h>
#include <sys/syscall.h>

static srv_t sv;
static bun_tcp_loop *g_loop;
static pid_t main_tid;
static int round_no;          /* written by main before it polls */
static int returned_round;    /* written by main after poll returns */
static int woken_round;

static char thread_state(pid_t tid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  FILE *f = fopen(path, "r");
  if (!f) return '?';
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : '?';
}

static void *waker(void *arg) {
  (void)arg;
  for (int r = 1; r <= 3; r++) {
    /* wait until main announced round r and sleeps in the kernel */
    double dl = now_ms() + 5000 * harness_time_scale();
    while (__atomic_load_n(&round_no, __ATOMIC_SEQ_CST) < r || thread_state(main_tid) != 'S') {
      if (now_ms() > dl) break; /* wake anyway: poll(-1) must still return */
      sched_yield();
    }
    /* announce before waking: main may return from poll before bun_tcp_loop_wakeup returns here */
    __atomic_store_n(&woken_round, r, __ATOMIC_SEQ_CST);
    CHECK_OK(bun_tcp_loop_wakeup(g_loop));
    dl = now_ms() + 5000 * harness_time_scale();
    while (__atomic_load_n(&returned_round, __ATOMIC_SEQ_CST) < r) {
      if (now_ms() > dl) {
        fprintf(stderr, "FAIL loop_wakeup: bun_tcp_poll(loop, -1) did not return within 5 s of "
                        "bun_tcp_loop_wakeup (round %d)\n", r);
        _exit(1);
      }
      sched_yield();
    }
  }
  return NULL;
}

int main(void) {
  test_init("loop_wakeup", 30);
  main_tid = (pid_t)syscall(SYS_gettid);
  bun_tcp_loop *loop = g_loop = new_loop();
  srv_init(&sv);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  CHECK_RC(bun_tcp_loop_wakeup(NULL), BUN_TCP_EINVAL);

  pthread_t t;
  CHECK(pthread_create(&t, NULL, waker, NULL) == 0);
  for (int r = 1; r <= 3; r++) {
    test_stage("blocked in bun_tcp_poll(loop, -1)");
    __atomic_store_n(&round_no, r, __ATOMIC_SEQ_CST);
    double t0 = now_ms();
    int32_t n = bun_tcp_poll(loop, -1);
    double dt = now_ms() - t0;
    __atomic_store_n(&returned_round, r, __ATOMIC_SEQ_CST);
    printf("    round %d: poll returned %d after %.1f ms\n", r, (int)n, dt);
    CHECK_EQ(n, 0);
    /* it returned because of the wakeup, not spuriously before it */
    CHECK_MSG(__atomic_load_n(&woken_round, __ATOMIC_SEQ_CST) == r,
              "bun_tcp_poll(loop, -1) returned %d in round %d before bun_tcp_loop_wakeup was called "
              "(nothing had happened)", (int)n, r);
  }
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_EQ(sv.n_accepted, 0);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  return test_pass();
}
