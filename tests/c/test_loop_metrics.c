/* the header: bun_tcp_loop_metrics and bun_tcp_loop_time_handlers, exact counts after a scripted
 * exchange.
 *
 *   - a new loop: every counter 0;
 *   - one exchange (the client writes "ping", the server answers "pong!", the client ends, the
 *     server has no `end` handler): accepts 1, connects 1, closes 2, connect_errors 0, bytes_read
 *     9, bytes_written 9, bytes_queued 0; iterations = the polls made; handler_calls = the sum of
 *     what they returned; events >= 1; handler_ns 0 (timing off);
 *   - a refused connect: connect_errors 1, nothing else of the above moves;
 *   - a paused peer and write_all(8 MiB): bytes_queued = buffered_amount (> 0), bytes_written =
 *     9 + the client's bytes_written; after both close, bytes_queued 0 and bytes_written keeps
 *     what the closed sockets sent;
 *   - handler timing on: a handler that spins 5 ms makes handler_ns >= 5 ms; off: it stays put;
 *   - errors: NULL out, NULL / freed loop: BUN_TCP_EINVAL with *out untouched; another thread:
 *     BUN_TCP_EWRONGTHREAD (tests/c/test_loop_trace.c). */
#include "harness.h"

static long g_polls, g_calls;
static bool g_spin;

/* bun_tcp_poll, counted */
static void step(bun_tcp_loop *loop) {
  int32_t n = bun_tcp_poll(loop, 20);
  CHECK_CMP(n, >=, 0);
  g_polls++;
  g_calls += n;
}

#define PUMP_UNTIL(loop, cond)                                                                     \
  do {                                                                                             \
    double _deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();                          \
    while (!(cond)) {                                                                              \
      if (now_ms() > _deadline) FAIL("timed out waiting for %s", #cond);                           \
      step(loop);                                                                                  \
    }                                                                                              \
  } while (0)

static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)"ping", 4), 4);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->bytes_in == 5) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->bytes_in == 4) CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)"pong!", 5), 5);
  if (g_spin) {
    double until = now_ms() + 5.0;
    while (now_ms() < until) {
    }
  }
}

static bun_tcp_metrics metrics(bun_tcp_loop *loop) {
  bun_tcp_metrics m;
  memset(&m, 0xab, sizeof m);
  CHECK_OK(bun_tcp_loop_metrics(loop, &m));
  return m;
}

int main(void) {
  test_init("test_loop_metrics", 60);
  bun_tcp_loop *loop = new_loop();

  test_case("a new loop counts nothing");
  bun_tcp_metrics m = metrics(loop);
  bun_tcp_metrics zero;
  memset(&zero, 0, sizeof zero);
  CHECK(memcmp(&m, &zero, sizeof m) == 0);

  test_case("one exchange");
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.data = srv_data;
  sh.end = NULL;
  bun_tcp_listener l = listen_srv(loop, &sv, &sh, false);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  ch.data = cli_data;
  connect_rec(loop, bun_tcp_listener_port(l), &cr, &ch, false);
  PUMP_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  step(loop); /* the closed sockets' slots are released: their bytes move to the loop's total */
  CHECK_TRACE(&cr.tr, "open,data:pong!,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ping,close");
  m = metrics(loop);
  printf("    iterations %llu, events %llu, handler_calls %llu\n", (unsigned long long)m.iterations,
         (unsigned long long)m.events, (unsigned long long)m.handler_calls);
  CHECK_EQ(m.iterations, (uint64_t)g_polls);
  CHECK_EQ(m.handler_calls, (uint64_t)g_calls);
  CHECK_EQ(m.handler_calls, 7); /* open, data, close on each side, and the client's end */
  CHECK_CMP(m.events, >=, 1);
  CHECK_EQ(m.accepts, 1);
  CHECK_EQ(m.connects, 1);
  CHECK_EQ(m.connect_errors, 0);
  CHECK_EQ(m.closes, 2);
  CHECK_EQ(m.bytes_read, 9);
  CHECK_EQ(m.bytes_written, 9);
  CHECK_EQ(m.bytes_queued, 0);
  CHECK_EQ(m.handler_ns, 0);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);

  test_case("a refused connect");
  uint16_t port;
  int hold = raw_tcp_bound(false, &port);
  rec_t rr;
  rec_init(&rr);
  bun_tcp_handlers rh = rec_handlers();
  connect_rec(loop, port, &rr, &rh, false);
  PUMP_UNTIL(loop, rr.n_connect_error == 1);
  close(hold);
  bun_tcp_metrics m2 = metrics(loop);
  CHECK_EQ(m2.connect_errors, 1);
  CHECK_EQ(m2.connects, 1);
  CHECK_EQ(m2.accepts, 1);
  CHECK_EQ(m2.closes, 2);
  CHECK_EQ(m2.bytes_read, 9);
  CHECK_EQ(m2.bytes_written, 9);
  CHECK_EQ(m2.iterations, (uint64_t)g_polls);
  CHECK_EQ(m2.handler_calls, (uint64_t)g_calls);

  test_case("bytes queued to a paused peer");
  sv.pause_on_open = true;
  rec_t qr;
  rec_init(&qr);
  bun_tcp_handlers qh = rec_handlers();
  bun_tcp_socket qs = connect_rec(loop, bun_tcp_listener_port(l), &qr, &qh, false);
  PUMP_UNTIL(loop, qr.n_open == 1 && sv.n_accepted == 2);
  size_t big = 8u << 20;
  uint8_t *buf = calloc(1, big);
  CHECK(buf != NULL);
  CHECK_EQ(bun_tcp_socket_write_all(qs, buf, big), (int64_t)big);
  free(buf);
  m = metrics(loop);
  CHECK_CMP(bun_tcp_socket_buffered_amount(qs), >, 0);
  CHECK_EQ(m.bytes_queued, bun_tcp_socket_buffered_amount(qs));
  uint64_t sent = (uint64_t)bun_tcp_socket_bytes_written(qs);
  CHECK_EQ(m.bytes_written, 9 + sent);
  CHECK_OK(bun_tcp_socket_terminate(qs));
  PUMP_UNTIL(loop, qr.n_close == 1 && sv.socks[1].n_close == 1);
  step(loop);
  m = metrics(loop);
  CHECK_EQ(m.bytes_queued, 0);
  CHECK_EQ(m.bytes_written, 9 + sent);
  CHECK_EQ(m.closes, 4);
  CHECK_EQ(m.accepts, 2);
  CHECK_EQ(m.connects, 2);
  sv.pause_on_open = false;

  test_case("handler timing");
  CHECK_OK(bun_tcp_loop_time_handlers(loop, true));
  g_spin = true;
  rec_t tr;
  rec_init(&tr);
  connect_rec(loop, bun_tcp_listener_port(l), &tr, &ch, false);
  PUMP_UNTIL(loop, tr.n_close == 1 && sv.n_accepted == 3 && sv.socks[2].n_close == 1);
  m = metrics(loop);
  printf("    handler_ns with a 5 ms handler: %llu\n", (unsigned long long)m.handler_ns);
  CHECK_CMP(m.handler_ns, >=, 5000000);
  CHECK_OK(bun_tcp_loop_time_handlers(loop, false));
  rec_t tr2;
  rec_init(&tr2);
  connect_rec(loop, bun_tcp_listener_port(l), &tr2, &ch, false);
  PUMP_UNTIL(loop, tr2.n_close == 1 && sv.n_accepted == 4 && sv.socks[3].n_close == 1);
  CHECK_EQ(metrics(loop).handler_ns, m.handler_ns); /* off: not measured */
  g_spin = false;

  test_case("errors leave *out untouched");
  bun_tcp_metrics untouched;
  memset(&untouched, 0xab, sizeof untouched);
  bun_tcp_metrics probe = untouched;
  CHECK_EQ(bun_tcp_loop_metrics(loop, NULL), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_loop_metrics(NULL, &probe), BUN_TCP_EINVAL);
  CHECK(memcmp(&probe, &untouched, sizeof probe) == 0);
  CHECK_EQ(bun_tcp_loop_time_handlers(NULL, true), BUN_TCP_EINVAL);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  CHECK_EQ(bun_tcp_loop_metrics(loop, &probe), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_loop_time_handlers(loop, true), BUN_TCP_EINVAL);
  CHECK(memcmp(&probe, &untouched, sizeof probe) == 0);
  srv_free(&sv);
  rec_free(&cr);
  rec_free(&rr);
  rec_free(&qr);
  rec_free(&tr);
  rec_free(&tr2);
  return test_pass();
}
