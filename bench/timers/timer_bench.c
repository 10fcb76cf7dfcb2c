/* timer_bench: the cost of starting and stopping a timer while many others are pending, bun_tcp
 * against libuv, in one process and one run.
 *
 *   usage: timer_bench [ops] [pending...]     (defaults: 1000000 ops; 1000 100000 1000000 pending)
 *
 * For each pending count P, on a fresh loop of each library: P timers are started with delays
 * spread uniformly over [1 h, 2 h) (they never fire during the run); then, timed with
 * CLOCK_MONOTONIC, two workloads of `ops` start+stop pairs each, with delays from the same range:
 *   pair:  start one timer and stop it at once (a timeout armed and cancelled, the common case);
 *   batch: start 1000 timers, then stop them in start order (stops that do not hit the earliest).
 * Both libraries get the same delays (one xorshift stream per workload). Prints ns per operation
 * (a start or a stop: the pair's time / 2) for each library and the ratio. Each figure is the
 * best of 3 repetitions, to keep a shared machine's noise out. */
#define _GNU_SOURCE 1
#include <bun_tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define BATCH 1000
#define REPS 3
#define HOUR_MS 3600000ull

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t g_rng;
static uint64_t next_delay(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return HOUR_MS + g_rng % HOUR_MS;
}

static void die(const char *what, int rc) {
  fprintf(stderr, "timer_bench: %s failed: %d\n", what, rc);
  exit(1);
}

/* ---- bun_tcp ---- */

static void bt_fire(bun_tcp_timer t, void *data) {
  (void)t, (void)data;
  fprintf(stderr, "timer_bench: a bun_tcp timer fired (the run took over an hour?)\n");
  exit(1);
}

static bun_tcp_timer g_bt_batch[BATCH];

static double bt_run(bun_tcp_loop *loop, size_t ops, int batch) {
  g_rng = batch ? 0x5eed2 : 0x5eed1;
  double t0 = now_ns();
  if (!batch) {
    for (size_t i = 0; i < ops; i++) {
      bun_tcp_timer t;
      int rc = bun_tcp_timer_start(loop, next_delay(), 0, bt_fire, NULL, &t);
      if (rc) die("bun_tcp_timer_start", rc);
      rc = bun_tcp_timer_stop(t);
      if (rc) die("bun_tcp_timer_stop", rc);
    }
  } else {
    for (size_t done = 0; done < ops; done += BATCH) {
      for (int i = 0; i < BATCH; i++) {
        int rc = bun_tcp_timer_start(loop, next_delay(), 0, bt_fire, NULL, &g_bt_batch[i]);
        if (rc) die("bun_tcp_timer_start", rc);
      }
      for (int i = 0; i < BATCH; i++) {
        int rc = bun_tcp_timer_stop(g_bt_batch[i]);
        if (rc) die("bun_tcp_timer_stop", rc);
      }
    }
  }
  return (now_ns() - t0) / (double)(2 * ops);
}

static void bt_measure(size_t pending, size_t ops, double out[2]) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) die("bun_tcp_loop_new", -1);
  g_rng = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < pending; i++) {
    bun_tcp_timer t;
    int rc = bun_tcp_timer_start(loop, next_delay(), 0, bt_fire, NULL, &t);
    if (rc) die("bun_tcp_timer_start (pending)", rc);
  }
  for (int w = 0; w < 2; w++) {
    out[w] = 1e30;
    for (int r = 0; r < REPS; r++) {
      double ns = bt_run(loop, ops, w);
      if (ns < out[w]) out[w] = ns;
    }
  }
  int32_t next = bun_tcp_loop_next_timeout_ms(loop);
  if (next < (int32_t)(HOUR_MS - 60000)) die("bun_tcp: the earliest pending timer moved", next);
  bun_tcp_loop_free(loop); /* drops the pending timers uncalled */
}

/* ---- libuv ---- */

static void uv_fire(uv_timer_t *t) {
  (void)t;
  fprintf(stderr, "timer_bench: a libuv timer fired\n");
  exit(1);
}

static double uv_run_ops(uv_loop_t *loop, size_t ops, int batch, uv_timer_t *batch_timers) {
  g_rng = batch ? 0x5eed2 : 0x5eed1;
  uv_timer_t one;
  uv_timer_init(loop, &one);
  double t0 = now_ns();
  if (!batch) {
    for (size_t i = 0; i < ops; i++) {
      int rc = uv_timer_start(&one, uv_fire, next_delay(), 0);
      if (rc) die("uv_timer_start", rc);
      uv_timer_stop(&one);
    }
  } else {
    for (size_t done = 0; done < ops; done += BATCH) {
      for (int i = 0; i < BATCH; i++) {
        int rc = uv_timer_start(&batch_timers[i], uv_fire, next_delay(), 0);
        if (rc) die("uv_timer_start", rc);
      }
      for (int i = 0; i < BATCH; i++) uv_timer_stop(&batch_timers[i]);
    }
  }
  double ns = (now_ns() - t0) / (double)(2 * ops);
  uv_close((uv_handle_t *)&one, NULL);
  uv_run(loop, UV_RUN_NOWAIT); /* runs the close callback */
  return ns;
}

static void uv_measure(size_t pending, size_t ops, double out[2]) {
  uv_loop_t loop;
  if (uv_loop_init(&loop)) die("uv_loop_init", -1);
  uv_timer_t *timers = calloc(pending ? pending : 1, sizeof *timers);
  uv_timer_t *batch_timers = calloc(BATCH, sizeof *batch_timers);
  if (!timers || !batch_timers) die("calloc", -1);
  g_rng = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < pending; i++) {
    uv_timer_init(&loop, &timers[i]);
    int rc = uv_timer_start(&timers[i], uv_fire, next_delay(), 0);
    if (rc) die("uv_timer_start (pending)", rc);
  }
  for (int i = 0; i < BATCH; i++) uv_timer_init(&loop, &batch_timers[i]);
  for (int w = 0; w < 2; w++) {
    out[w] = 1e30;
    for (int r = 0; r < REPS; r++) {
      double ns = uv_run_ops(&loop, ops, w, batch_timers);
      if (ns < out[w]) out[w] = ns;
    }
  }
  for (size_t i = 0; i < pending; i++) uv_close((uv_handle_t *)&timers[i], NULL);
  for (int i = 0; i < BATCH; i++) uv_close((uv_handle_t *)&batch_timers[i], NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
  if (uv_loop_close(&loop)) die("uv_loop_close", -1);
  free(timers);
  free(batch_timers);
}

int main(int argc, char **argv) {
  size_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
  ops = ops < BATCH ? BATCH : ops / BATCH * BATCH;
  size_t defaults[] = {1000, 100000, 1000000};
  size_t counts[16];
  int n = 0;
  for (int i = 2; i < argc && n < 16; i++) counts[n++] = strtoull(argv[i], NULL, 10);
  if (n == 0)
    for (; n < 3; n++) counts[n] = defaults[n];
  printf("timer start+stop, ns per operation (start or stop), best of %d; %zu start+stop pairs per figure\n", REPS, ops);
  printf("%-10s %-6s %10s %10s %8s\n", "pending", "load", "bun_tcp", "libuv", "ratio");
  fflush(stdout);
  for (int i = 0; i < n; i++) {
    double bt[2], uv[2];
    bt_measure(counts[i], ops, bt);
    uv_measure(counts[i], ops, uv);
    const char *names[2] = {"pair", "batch"};
    for (int w = 0; w < 2; w++)
      printf("%-10zu %-6s %10.1f %10.1f %8.2f\n", counts[i], names[w], bt[w], uv[w], bt[w] / uv[w]);
    fflush(stdout);
  }
  return 0;
}
