/* Timers (bun_tcp_timer_start / stop / ref / unref): firing order by deadline with ties in start
 * order, after the iteration's I/O; never early; repeats on their original schedule with no
 * burst after a stall; stop inside the own callback; stale handles after a one-shot fired;
 * ref/unref and bun_tcp_run; bun_tcp_loop_next_timeout_ms; a timer started in a callback fires
 * in a later poll; loop_free drops pending timers uncalled (also from inside a callback); every
 * error code (NULL, zero / stale / forged / other-kind / freed-loop handles, wrong thread). */
#include "harness.h"
#include <poll.h>
#include <pthread.h>

static trace_t g_trace;
static int g_fired;
static long g_poll_no; /* which bun_tcp_poll of the test is running (see poll_counted) */

static int32_t poll_counted(bun_tcp_loop *loop, int32_t ms) {
  g_poll_no++;
  return poll_ok(loop, ms);
}

#define RUN_COUNTED_UNTIL(loop, cond)                                                              \
  do {                                                                                             \
    double _deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();                          \
    while (!(cond)) {                                                                              \
      if (now_ms() > _deadline) FAIL("deadline passed before: %s", #cond);                         \
      poll_counted((loop), 50);                                                                    \
    }                                                                                              \
  } while (0)

/* ---- order ----------------------------------------------------------------------------------- */

typedef struct {
  const char *label;
  uint64_t delay;
  double started;
  double fired_at;
} labelled_t;

static void on_labelled(bun_tcp_timer t, void *data) {
  (void)t;
  labelled_t *l = data;
  l->fired_at = now_ms();
  trace_add(&g_trace, "%s", l->label);
  g_fired++;
}

static bun_tcp_timer g_victim;
static void on_stop_victim(bun_tcp_timer t, void *data) {
  on_labelled(t, data);
  CHECK_OK(bun_tcp_timer_stop(g_victim)); /* due in the same poll: it must not fire */
}

static void case_order(void) {
  test_case("deadline order, ties in start order, never early; a callback stops a due timer");
  bun_tcp_loop *loop = new_loop();
  trace_init(&g_trace);
  g_fired = 0;
  labelled_t timers[] = {{"30", 30, 0, 0}, {"10", 10, 0, 0}, {"20a", 20, 0, 0}, {"0", 0, 0, 0},
                         {"20b", 20, 0, 0}, {"20c", 20, 0, 0}, {"stopper", 25, 0, 0},
                         {"victim", 25, 0, 0}};
  size_t n = sizeof timers / sizeof timers[0];
  for (size_t i = 0; i < n; i++) {
    bun_tcp_timer t = {0};
    timers[i].started = now_ms();
    bun_tcp_timer_fn fn = strcmp(timers[i].label, "stopper") == 0 ? on_stop_victim : on_labelled;
    CHECK_OK(bun_tcp_timer_start(loop, timers[i].delay, 0, fn, &timers[i], &t));
    CHECK(t.id != 0);
    if (strcmp(timers[i].label, "victim") == 0) g_victim = t;
  }
  /* Let them all come due, then fire them in one poll: the order is the deadlines', not luck. */
  double wait_until = now_ms() + 40;
  while (now_ms() < wait_until) { /* busy: no poll, so nothing fires yet */
  }
  CHECK_EQ(g_fired, 0);
  CHECK_EQ(poll_ok(loop, 0), 7); /* the poll's return counts the timer calls */
  CHECK_TRACE(&g_trace, "0,10,20a,20b,20c,stopper,30");
  for (size_t i = 0; i < n; i++) {
    if (strcmp(timers[i].label, "victim") == 0) continue;
    CHECK_MSG(timers[i].fired_at - timers[i].started >= (double)timers[i].delay, "%s fired early",
              timers[i].label);
  }
  CHECK_RC(bun_tcp_timer_stop(g_victim), BUN_TCP_ECLOSED);
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_EQ(run_for(loop, 30), 0);

  test_case("the same order when each timer fires in its own poll");
  trace_init(&g_trace);
  g_fired = 0;
  for (size_t i = 0; i < n; i++) {
    bun_tcp_timer t;
    timers[i].started = now_ms();
    bun_tcp_timer_fn fn = strcmp(timers[i].label, "stopper") == 0 ? on_stop_victim : on_labelled;
    CHECK_OK(bun_tcp_timer_start(loop, timers[i].delay, 0, fn, &timers[i], &t));
    if (strcmp(timers[i].label, "victim") == 0) g_victim = t;
  }
  CHECK_OK(bun_tcp_run(loop)); /* returns once every timer fired or was stopped */
  CHECK_TRACE(&g_trace, "0,10,20a,20b,20c,stopper,30");
  for (size_t i = 0; i < n; i++) {
    if (strcmp(timers[i].label, "victim") == 0) continue;
    CHECK_MSG(timers[i].fired_at - timers[i].started >= (double)timers[i].delay, "%s fired early",
              timers[i].label);
  }
  bun_tcp_loop_free(loop);
}

/* ---- after I/O ------------------------------------------------------------------------------- */

static void on_data_traced(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  (void)s, (void)data, (void)bytes, (void)len;
  trace_add(&g_trace, "data");
}
static void on_open_traced(bun_tcp_socket s, void *data) {
  (void)s, (void)data;
  g_fired++;
}

static void case_after_io(void) {
  test_case("delay 0 fires in the next poll, after that poll's I/O");
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers h = {.open = on_open_traced, .data = on_data_traced};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen(loop, &lo, &h, &l));
  g_fired = 0;
  int fd = raw_tcp_connect(bun_tcp_listener_port(l));
  RUN_UNTIL(loop, g_fired == 1); /* accepted and open */
  trace_init(&g_trace);
  raw_send_all(fd, "x", 1);
  /* Wait until the loop's epoll fd reports the byte: then one poll sees both it and the timer. */
  struct pollfd pfd = {.fd = bun_tcp_loop_fd(loop), .events = POLLIN};
  CHECK_EQ(poll(&pfd, 1, 10000), 1);
  labelled_t t0 = {"timer", 0, now_ms(), 0};
  bun_tcp_timer t;
  CHECK_OK(bun_tcp_timer_start(loop, 0, 0, on_labelled, &t0, &t));
  CHECK_EQ(bun_tcp_loop_next_timeout_ms(loop), 0);
  CHECK_EQ(poll_ok(loop, 1000), 2);
  CHECK_TRACE(&g_trace, "data,timer");
  close(fd);
  bun_tcp_loop_free(loop);
}

/* ---- repeat, stall, no burst ----------------------------------------------------------------- */

#define PERIOD 20
#define STALL 200
#define REPEATS 14
static double g_rep_at[64];
static long g_rep_poll[64];
static int g_reps;
static double g_stall_end;

static void on_repeat(bun_tcp_timer t, void *data) {
  (void)data;
  if (g_reps < 64) {
    g_rep_at[g_reps] = now_ms();
    g_rep_poll[g_reps] = g_poll_no;
  }
  if (++g_reps == REPEATS) CHECK_OK(bun_tcp_timer_stop(t));
}

static void on_stall(bun_tcp_timer t, void *data) {
  (void)t, (void)data;
  double end = now_ms() + STALL; /* blocks the loop thread: the repeat misses ~10 periods */
  while (now_ms() < end) {
  }
  g_stall_end = now_ms();
}

static void case_repeat_stall(void) {
  test_case("a repeat keeps its schedule: never early, no burst after a stall");
  bun_tcp_loop *loop = new_loop();
  g_reps = 0;
  g_stall_end = 0;
  bun_tcp_timer r, s;
  double t0 = now_ms();
  CHECK_OK(bun_tcp_timer_start(loop, PERIOD, PERIOD, on_repeat, NULL, &r));
  CHECK_OK(bun_tcp_timer_start(loop, 3 * PERIOD + PERIOD / 2, 0, on_stall, NULL, &s));
  RUN_COUNTED_UNTIL(loop, !bun_tcp_loop_alive(loop)); /* the repeat stops itself */
  CHECK_EQ(g_reps, REPEATS);
  CHECK(g_stall_end > 0);
  int after_stall = 0, in_stall = 0;
  for (int i = 0; i < g_reps; i++) {
    /* The i-th run is at the earliest the i-th point of the schedule (skipping only delays). */
    CHECK_MSG(g_rep_at[i] - t0 >= (double)PERIOD * (i + 1), "run %d at %.1f ms", i, g_rep_at[i] - t0);
    if (i > 0) CHECK_MSG(g_rep_poll[i] > g_rep_poll[i - 1], "runs %d and %d in one poll", i - 1, i);
    if (g_rep_at[i] >= g_stall_end && g_rep_at[i] <= g_stall_end + PERIOD + 5) after_stall++;
    if (g_rep_at[i] > g_stall_end - STALL && g_rep_at[i] < g_stall_end) in_stall++;
  }
  CHECK_EQ(in_stall, 0);
  /* Right after the stall: the late run, plus at most the two schedule points in 25 ms (a burst
   * would fire the ~10 missed ones). */
  CHECK_MSG(after_stall >= 1 && after_stall <= 3, "%d runs in the %d ms after the stall", after_stall,
            PERIOD + 5);
  /* Missed periods were skipped: 14 runs need more time than 14 periods plus the stall's share. */
  CHECK_MSG(g_rep_at[REPEATS - 1] - t0 >= (double)PERIOD * REPEATS + STALL - 3 * PERIOD,
            "the 14th run came at %.1f ms", g_rep_at[REPEATS - 1] - t0);
  CHECK_RC(bun_tcp_timer_stop(r), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_stop(s), BUN_TCP_ECLOSED);
  bun_tcp_loop_free(loop);
}

/* ---- stop in own callback, stale handles ----------------------------------------------------- */

static int g_self_stops;
static void on_stop_self_at_3(bun_tcp_timer t, void *data) {
  (void)data;
  if (++g_self_stops == 3) {
    CHECK_OK(bun_tcp_timer_stop(t));
    CHECK_RC(bun_tcp_timer_stop(t), BUN_TCP_ECLOSED);
    CHECK_RC(bun_tcp_timer_ref(t), BUN_TCP_ECLOSED);
  }
}
static int g_oneshot_self;
static void on_oneshot_stop_self(bun_tcp_timer t, void *data) {
  (void)data;
  g_oneshot_self++;
  CHECK_OK(bun_tcp_timer_unref(t)); /* still live inside its own callback */
  CHECK_OK(bun_tcp_timer_stop(t));
}
static void on_count(bun_tcp_timer t, void *data) {
  (void)t;
  (*(int *)data)++;
}

static void case_stop_and_stale(void) {
  test_case("stop inside the own callback (repeat and one-shot)");
  bun_tcp_loop *loop = new_loop();
  g_self_stops = 0;
  g_oneshot_self = 0;
  bun_tcp_timer r, o;
  CHECK_OK(bun_tcp_timer_start(loop, 1, 1, on_stop_self_at_3, NULL, &r));
  CHECK_OK(bun_tcp_timer_start(loop, 1, 0, on_oneshot_stop_self, NULL, &o));
  CHECK_OK(bun_tcp_run(loop));
  CHECK_EQ(g_self_stops, 3);
  CHECK_EQ(g_oneshot_self, 1);
  CHECK_EQ(run_for(loop, 30), 0);
  CHECK_RC(bun_tcp_timer_stop(r), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_stop(o), BUN_TCP_ECLOSED);

  test_case("a fired one-shot and a stopped timer are stale; a reused slot is not reachable");
  int fired = 0, other = 0;
  bun_tcp_timer a, b, c;
  CHECK_OK(bun_tcp_timer_start(loop, 1, 0, on_count, &fired, &a));
  RUN_UNTIL(loop, fired == 1);
  CHECK_RC(bun_tcp_timer_stop(a), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_ref(a), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_unref(a), BUN_TCP_ECLOSED);
  CHECK_OK(bun_tcp_timer_start(loop, 10000, 0, on_count, &other, &b));
  CHECK_OK(bun_tcp_timer_stop(b));
  CHECK_RC(bun_tcp_timer_stop(b), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_unref(b), BUN_TCP_ECLOSED);
  CHECK_OK(bun_tcp_timer_start(loop, 5, 0, on_count, &other, &c)); /* reuses the slot */
  CHECK(c.id != a.id && c.id != b.id);
  CHECK_RC(bun_tcp_timer_stop(a), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_stop(b), BUN_TCP_ECLOSED);
  CHECK(bun_tcp_loop_alive(loop)); /* c untouched */
  CHECK_OK(bun_tcp_run(loop));
  CHECK_EQ(other, 1);
  CHECK_EQ(fired, 1);
  bun_tcp_loop_free(loop);
}

/* ---- ref / unref, run, next_timeout_ms ------------------------------------------------------- */

static void case_ref_unref(void) {
  test_case("ref'd timers keep bun_tcp_run going, unref'd do not; next_timeout_ms counts both");
  bun_tcp_loop *loop = new_loop();
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_EQ(bun_tcp_loop_next_timeout_ms(loop), -1);
  int late = 0, early = 0, refd = 0;
  bun_tcp_timer u_late, u_early, r;
  CHECK_OK(bun_tcp_timer_start(loop, 60000, 0, on_count, &late, &u_late));
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_timer_unref(u_late));
  CHECK_OK(bun_tcp_timer_unref(u_late)); /* a flag, not a counter */
  CHECK(!bun_tcp_loop_alive(loop));
  int32_t next = bun_tcp_loop_next_timeout_ms(loop);
  CHECK_MSG(next > 59000 && next <= 60000, "next_timeout_ms %d", next);
  CHECK_OK(bun_tcp_run(loop)); /* returns at once: only an unref'd timer */
  CHECK_EQ(late, 0);
  CHECK_OK(bun_tcp_timer_ref(u_late));
  CHECK_OK(bun_tcp_timer_ref(u_late));
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_timer_unref(u_late));
  CHECK(!bun_tcp_loop_alive(loop));

  CHECK_OK(bun_tcp_timer_start(loop, 20, 0, on_count, &early, &u_early));
  CHECK_OK(bun_tcp_timer_unref(u_early));
  next = bun_tcp_loop_next_timeout_ms(loop);
  CHECK_MSG(next >= 0 && next <= 20, "next_timeout_ms %d", next);
  double start = now_ms();
  CHECK_OK(bun_tcp_timer_start(loop, 60, 0, on_count, &refd, &r));
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_run(loop)); /* until the ref'd one fired; the unref'd one due before it too */
  CHECK(now_ms() - start >= 60);
  CHECK_EQ(refd, 1);
  CHECK_EQ(early, 1);
  CHECK_EQ(late, 0);
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_timer_stop(u_late));
  CHECK_EQ(bun_tcp_loop_next_timeout_ms(loop), -1);
  bun_tcp_loop_free(loop);
}

static int g_unref_after;
static void on_unref_at_2(bun_tcp_timer t, void *data) {
  (void)data;
  if (++g_unref_after == 2) CHECK_OK(bun_tcp_timer_unref(t));
}

static void case_unref_in_callback(void) {
  test_case("a repeat keeps run going until unref'd from its callback");
  bun_tcp_loop *loop = new_loop();
  g_unref_after = 0;
  bun_tcp_timer t;
  CHECK_OK(bun_tcp_timer_start(loop, 2, 2, on_unref_at_2, NULL, &t));
  CHECK_OK(bun_tcp_run(loop));
  CHECK_EQ(g_unref_after, 2);
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_timer_stop(t)); /* still pending (repeating), just unref'd */
  bun_tcp_loop_free(loop);
}

/* ---- started in a callback ------------------------------------------------------------------- */

static bun_tcp_loop *g_loop;
static long g_parent_poll, g_child_poll;
static int g_child_runs;
static void on_child(bun_tcp_timer t, void *data) {
  (void)t, (void)data;
  g_child_poll = g_poll_no;
  g_child_runs++;
}
static void on_parent(bun_tcp_timer t, void *data) {
  (void)t, (void)data;
  g_parent_poll = g_poll_no;
  bun_tcp_timer child;
  CHECK_OK(bun_tcp_timer_start(g_loop, 0, 0, on_child, NULL, &child));
  CHECK_EQ(g_child_runs, 0); /* never recursively */
}

static void case_started_in_callback(void) {
  test_case("a timer started in a callback with delay 0 fires in a later poll");
  g_loop = new_loop();
  g_child_runs = 0;
  bun_tcp_timer p;
  CHECK_OK(bun_tcp_timer_start(g_loop, 0, 0, on_parent, NULL, &p));
  CHECK_EQ(poll_counted(g_loop, 0), 1); /* the parent only */
  CHECK_EQ(g_child_runs, 0);
  CHECK(bun_tcp_loop_alive(g_loop)); /* the child keeps it alive */
  CHECK_EQ(bun_tcp_loop_next_timeout_ms(g_loop), 0);
  CHECK_EQ(poll_counted(g_loop, 0), 1); /* the child */
  CHECK_EQ(g_child_runs, 1);
  CHECK_CMP(g_child_poll, >, g_parent_poll);
  CHECK(!bun_tcp_loop_alive(g_loop));
  bun_tcp_loop_free(g_loop);
}

/* ---- loop_free ------------------------------------------------------------------------------- */

static int g_after_free_calls;
static void on_free_loop(bun_tcp_timer t, void *data) {
  (void)data;
  bun_tcp_loop_free(g_loop);
  CHECK_RC(bun_tcp_timer_stop(t), BUN_TCP_ECLOSED);
}

static void case_loop_free(void) {
  test_case("loop_free drops pending timers without calling them");
  bun_tcp_loop *loop = new_loop();
  int calls = 0;
  bun_tcp_timer t[4];
  CHECK_OK(bun_tcp_timer_start(loop, 0, 0, on_count, &calls, &t[0]));
  CHECK_OK(bun_tcp_timer_start(loop, 1, 1, on_count, &calls, &t[1]));
  CHECK_OK(bun_tcp_timer_start(loop, 100000, 0, on_count, &calls, &t[2]));
  CHECK_OK(bun_tcp_timer_start(loop, 5, 0, on_count, &calls, &t[3]));
  CHECK_OK(bun_tcp_timer_unref(t[3]));
  bun_tcp_loop_free(loop);
  CHECK_EQ(calls, 0);
  for (int i = 0; i < 4; i++) {
    CHECK_RC(bun_tcp_timer_stop(t[i]), BUN_TCP_ECLOSED);
    CHECK_RC(bun_tcp_timer_ref(t[i]), BUN_TCP_ECLOSED);
    CHECK_RC(bun_tcp_timer_unref(t[i]), BUN_TCP_ECLOSED);
  }
  bun_tcp_timer out = {77};
  CHECK_RC(bun_tcp_timer_start(loop, 0, 0, on_count, &calls, &out), BUN_TCP_EINVAL);
  CHECK_EQ(out.id, 77);

  test_case("loop_free from inside a timer callback: later due timers are not called");
  g_loop = new_loop();
  g_after_free_calls = 0;
  bun_tcp_timer f, later;
  CHECK_OK(bun_tcp_timer_start(g_loop, 0, 0, on_free_loop, NULL, &f));
  CHECK_OK(bun_tcp_timer_start(g_loop, 0, 0, on_count, &g_after_free_calls, &later));
  CHECK_EQ(bun_tcp_poll(g_loop, 0), 1);
  CHECK_EQ(g_after_free_calls, 0);
  CHECK_RC(bun_tcp_timer_stop(later), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_poll(g_loop, 0), BUN_TCP_EINVAL);
}

/* ---- bad input, wrong thread ----------------------------------------------------------------- */

typedef struct {
  bun_tcp_loop *loop;
  bun_tcp_timer timer;
  int stop, ref, unref, start;
} foreign_t;

static void *foreign_thread(void *arg) {
  foreign_t *f = arg;
  f->stop = bun_tcp_timer_stop(f->timer);
  f->ref = bun_tcp_timer_ref(f->timer);
  f->unref = bun_tcp_timer_unref(f->timer);
  bun_tcp_timer out;
  int calls = 0;
  f->start = bun_tcp_timer_start(f->loop, 0, 0, on_count, &calls, &out);
  return NULL;
}

static void case_bad_input(void) {
  test_case("bad input: NULL, zero / forged / other-kind handles, wrong thread");
  bun_tcp_loop *loop = new_loop();
  int calls = 0;
  bun_tcp_timer out = {77};
  CHECK_RC(bun_tcp_timer_start(NULL, 0, 0, on_count, &calls, &out), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_timer_start(loop, 0, 0, NULL, &calls, &out), BUN_TCP_EINVAL);
  CHECK_EQ(out.id, 77); /* nothing written on failure */
  CHECK_RC(bun_tcp_timer_start(loop, 0, 0, on_count, &calls, NULL), BUN_TCP_EINVAL);
  CHECK(!bun_tcp_loop_alive(loop)); /* nothing started */

  bun_tcp_timer zero = {0};
  CHECK_RC(bun_tcp_timer_stop(zero), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_ref(zero), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_unref(zero), BUN_TCP_ECLOSED);

  bun_tcp_timer live;
  CHECK_OK(bun_tcp_timer_start(loop, 20, 0, on_count, &calls, &live));
  bun_tcp_timer forged_gen = {live.id + (1ull << 24)};
  bun_tcp_timer forged_slot = {live.id | ((1ull << 22) - 1)};
  bun_tcp_timer forged_loop = {live.id ^ (1ull << 63)};
  bun_tcp_timer all_bits = {UINT64_MAX};
  bun_tcp_timer forged[] = {forged_gen, forged_slot, forged_loop, all_bits};
  for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
    CHECK_RC(bun_tcp_timer_stop(forged[i]), BUN_TCP_ECLOSED);
    CHECK_RC(bun_tcp_timer_ref(forged[i]), BUN_TCP_ECLOSED);
    CHECK_RC(bun_tcp_timer_unref(forged[i]), BUN_TCP_ECLOSED);
  }
  /* A listener's id is no timer (and a timer's id no listener). */
  bun_tcp_handlers h = {.data = on_data_traced};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen(loop, &lo, &h, &l));
  bun_tcp_timer as_timer = {l.id};
  CHECK_RC(bun_tcp_timer_stop(as_timer), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_timer_unref(as_timer), BUN_TCP_ECLOSED);
  bun_tcp_listener as_listener = {live.id};
  CHECK_RC(bun_tcp_listener_stop(as_listener, false), BUN_TCP_ECLOSED);
  CHECK(bun_tcp_listener_port(l) != 0);
  CHECK_OK(bun_tcp_listener_stop(l, false));

  foreign_t f = {loop, live, 0, 0, 0, 0};
  pthread_t th;
  pthread_create(&th, NULL, foreign_thread, &f);
  pthread_join(th, NULL);
  CHECK_RC(f.stop, BUN_TCP_EWRONGTHREAD);
  CHECK_RC(f.ref, BUN_TCP_EWRONGTHREAD);
  CHECK_RC(f.unref, BUN_TCP_EWRONGTHREAD);
  CHECK_RC(f.start, BUN_TCP_EWRONGTHREAD);

  CHECK(bun_tcp_loop_alive(loop)); /* none of that touched the live timer */
  CHECK_OK(bun_tcp_run(loop));
  CHECK_EQ(calls, 1);
  CHECK_RC(bun_tcp_timer_stop(live), BUN_TCP_ECLOSED);
  bun_tcp_loop_free(loop);
}

int main(void) {
  test_init("timers", 60);
  int fds = count_open_fds();
  case_bad_input();
  case_order();
  case_after_io();
  case_repeat_stall();
  case_stop_and_stale();
  case_ref_unref();
  case_unref_in_callback();
  case_started_in_callback();
  case_loop_free();
  CHECK_EQ(count_open_fds(), fds);
  return test_pass();
}
