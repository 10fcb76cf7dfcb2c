/* wakeup_latency: how long a loop blocked in bun_tcp_poll(loop, -1) takes to react to another
 * thread.
 *
 *   usage: wakeup_latency [round_trips]      (default 10000)
 *
 * Two measurements, each over `round_trips` rounds, CLOCK_MONOTONIC:
 *   post:   t0 before bun_tcp_loop_post(loop, f), t1 when f starts on the loop thread;
 *   wakeup: t0 before bun_tcp_loop_wakeup(loop), t1 when bun_tcp_poll(loop, -1) has returned.
 * Before each round the sender waits until the loop thread is asleep (its state in
 * /proc/self/task/<tid>/stat is 'S'), so every figure is a real wake-up from epoll_wait, not a
 * hand-off to a thread that is still running. Prints median, p99 and max in microseconds. */
#define _GNU_SOURCE 1
#include <bun_tcp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_POST, MODE_WAKEUP, MODE_QUIT };

static bun_tcp_loop *g_loop;
static pid_t g_loop_tid;
static sem_t g_loop_ready, g_round_done;
static _Atomic int g_mode = MODE_POST;
static atomic_bool g_wakeup_sent;
static double g_received_ns; /* t1, written by the loop thread before g_round_done */

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void on_posted(void *arg) {
  g_received_ns = now_ns();
  sem_post(&g_round_done);
}

static void *run_loop(void *arg) {
  g_loop = bun_tcp_loop_new();
  g_loop_tid = (pid_t)syscall(SYS_gettid);
  sem_post(&g_loop_ready);
  while (atomic_load(&g_mode) != MODE_QUIT) {
    if (bun_tcp_poll(g_loop, -1) < 0) abort();
    /* a wakeup runs no handler: the poll returning is the event */
    if (atomic_exchange(&g_wakeup_sent, false)) {
      g_received_ns = now_ns();
      sem_post(&g_round_done);
    }
  }
  bun_tcp_loop_free(g_loop);
  return NULL;
}

/* Spins (yielding) until the loop thread sleeps, i.e. is blocked in epoll_wait. */
static void wait_until_loop_sleeps(void) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)g_loop_tid);
  for (;;) {
    FILE *f = fopen(path, "r");
    if (!f) abort();
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    const char *state = strrchr(line, ')'); /* "tid (comm) S ..." */
    if (state && state[1] == ' ' && state[2] == 'S') return;
    sched_yield();
  }
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void measure(enum mode mode, const char *name, int rounds, double *us) {
  atomic_store(&g_mode, mode);
  for (int i = 0; i < rounds; i++) {
    wait_until_loop_sleeps();
    double t0 = now_ns();
    if (mode == MODE_POST) {
      if (bun_tcp_loop_post(g_loop, on_posted, NULL) != 0) abort();
    } else {
      atomic_store(&g_wakeup_sent, true);
      if (bun_tcp_loop_wakeup(g_loop) != 0) abort();
    }
    sem_wait(&g_round_done);
    us[i] = (g_received_ns - t0) / 1000.0;
  }
  qsort(us, (size_t)rounds, sizeof *us, by_value);
  int p99 = (int)((double)rounds * 0.99);
  if (p99 >= rounds) p99 = rounds - 1;
  printf("%-7s %d round trips: median %.1f us, p99 %.1f us, max %.1f us\n", name, rounds,
         us[rounds / 2], us[p99], us[rounds - 1]);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 10000;
  if (rounds < 1) rounds = 1;
  double *us = malloc((size_t)rounds * sizeof *us);
  if (!us) return 1;
  sem_init(&g_loop_ready, 0, 0);
  sem_init(&g_round_done, 0, 0);
  pthread_t loop_thread;
  pthread_create(&loop_thread, NULL, run_loop, NULL);
  sem_wait(&g_loop_ready);
  if (!g_loop) return 1;

  measure(MODE_POST, "post", rounds, us);
  measure(MODE_WAKEUP, "wakeup", rounds, us);

  atomic_store(&g_mode, MODE_QUIT);
  bun_tcp_loop_wakeup(g_loop);
  pthread_join(loop_thread, NULL);
  free(us);
  return 0;
}
