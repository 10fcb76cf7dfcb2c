/* timeouts: bun_tcp_socket_timeout is an idle timeout (beyond Bun).
 *
 * The client arms 300 ms with bun_tcp_socket_timeout_ms (bun_tcp_socket_timeout takes seconds).
 * 1. While the server sends a tick every 100 ms, the timeout never fires: every read pushes the
 *    deadline back.
 * 2. Once the ticks stop, `timeout` fires 300 ms after the last read (within 100 ms), once; the
 *    socket is not closed and stays quiet while it stays idle.
 * 3. A write is activity too: it re-arms the timer, which fires again 300 ms later.
 * 4. 0 disables it. Exits 0 only if all of this happened, on time. */
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
static void poll_for(bun_tcp_loop *loop, double ms) {
  for (double end = now_ms() + ms; now_ms() < end;) bun_tcp_poll(loop, 10);
}

static bun_tcp_socket server_sock;
static int timeouts;
static double last_activity, fired_at;

static void srv_open(bun_tcp_socket s, void *d) { server_sock = s; }
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void cli_open(bun_tcp_socket s, void *d) {
  CHECK(bun_tcp_socket_timeout_ms(s, 300) == 0);
  last_activity = now_ms();
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { last_activity = now_ms(); }
static void cli_timeout(bun_tcp_socket s, void *d) {
  timeouts++;
  fired_at = now_ms();
  printf("timeout %d, %.0f ms after the last activity\n", timeouts, fired_at - last_activity);
}

static void check_on_time(void) {
  const char *env = getenv("BUN_TCP_TEST_TIMER_TOLERANCE_MS");  /* raised for valgrind runs */
  double late = fired_at - last_activity - 300, tolerance = env ? atof(env) : 100;
  CHECK(late >= -5 && late <= tolerance);
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers sh = {.open = srv_open, .data = srv_data};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1"};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &sh, &l) == 0);
  bun_tcp_handlers ch = {.open = cli_open, .data = cli_data, .timeout = cli_timeout};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(l)};
  bun_tcp_socket c;
  CHECK(bun_tcp_connect(loop, &co, &ch, &c) == 0);
  for (int i = 0; i < 100 && (server_sock.id == 0 || last_activity == 0); i++) bun_tcp_poll(loop, 50);

  for (int tick = 0; tick < 8; tick++) {                 /* 1. 800 ms of traffic */
    CHECK(bun_tcp_socket_write(server_sock, (const uint8_t *)"tick", 4) == 4);
    poll_for(loop, 100);
  }
  printf("8 ticks, 100 ms apart: %d timeouts\n", timeouts);
  CHECK(timeouts == 0);

  poll_for(loop, 1000);                                  /* 2. idle */
  CHECK(timeouts == 1);
  check_on_time();
  CHECK(bun_tcp_socket_ready_state(c) == BUN_TCP_STATE_OPEN);

  CHECK(bun_tcp_socket_write(c, (const uint8_t *)"x", 1) == 1);   /* 3. activity re-arms */
  last_activity = now_ms();
  poll_for(loop, 600);
  CHECK(timeouts == 2);
  check_on_time();

  CHECK(bun_tcp_socket_timeout_ms(c, 0) == 0);           /* 4. disabled */
  CHECK(bun_tcp_socket_write(c, (const uint8_t *)"y", 1) == 1);
  poll_for(loop, 600);
  CHECK(timeouts == 2);

  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  printf("ok\n");
  return 0;
}
