/* timers: one-shot and repeating timers on the loop (bun_tcp_timer_start; beyond Bun's socket API,
 * the counterpart of setTimeout / setInterval).
 *
 * 1. Three one-shots started with delays 30, 10 and 20 ms fire in deadline order: 10, 20, 30.
 * 2. A heartbeat every 100 ms stops itself from its own callback after 3 beats; an unref'd 10 s
 *    watchdog does not keep bun_tcp_run going, so run returns right after the third beat.
 * 3. A one-shot's handle is stale once it fired: stop returns BUN_TCP_ECLOSED.
 * Exits 0 only if all of this happened. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static char order[64];
static void once(bun_tcp_timer t, void *data) {
  strcat(order, order[0] ? "," : "");
  strcat(order, (const char *)data);
}

struct app {
  int beats;
  int watchdog_fired;
};

static void heartbeat(bun_tcp_timer t, void *data) {
  struct app *app = data;
  printf("beat %d\n", ++app->beats);
  if (app->beats == 3) CHECK(bun_tcp_timer_stop(t) == 0); /* stop works inside the own callback */
}

static void watchdog(bun_tcp_timer t, void *data) {
  struct app *app = data;
  app->watchdog_fired = 1;
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_timer a, b, c;                                    /* 1. deadline order */
  CHECK(bun_tcp_timer_start(loop, 30, 0, once, "30", &a) == 0);
  CHECK(bun_tcp_timer_start(loop, 10, 0, once, "10", &b) == 0);
  CHECK(bun_tcp_timer_start(loop, 20, 0, once, "20", &c) == 0);
  CHECK(bun_tcp_run(loop) == 0);                            /* until all three fired */
  printf("order: %s\n", order);
  CHECK(strcmp(order, "10,20,30") == 0);

  struct app app = {0};                                     /* 2. heartbeat and watchdog */
  bun_tcp_timer beat, dog;
  double start = now_ms();
  CHECK(bun_tcp_timer_start(loop, 100, 100, heartbeat, &app, &beat) == 0);
  CHECK(bun_tcp_timer_start(loop, 10000, 0, watchdog, &app, &dog) == 0);
  CHECK(bun_tcp_timer_unref(dog) == 0);                     /* does not keep the loop alive */
  CHECK(bun_tcp_run(loop) == 0);                            /* returns after the third beat */
  CHECK(app.beats == 3 && !app.watchdog_fired);
  CHECK(now_ms() - start >= 300);                           /* never early */
  printf("run returned after %d beats; the watchdog is still pending\n", app.beats);
  CHECK(bun_tcp_timer_stop(dog) == 0);

  CHECK(bun_tcp_timer_stop(a) == BUN_TCP_ECLOSED);          /* 3. a fired one-shot is stale */
  bun_tcp_loop_free(loop);
  printf("ok\n");
  return 0;
}
