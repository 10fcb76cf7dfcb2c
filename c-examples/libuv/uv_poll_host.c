/* uv_poll_host: a bun_tcp loop embedded in a libuv program.
 *
 *   usage: uv_poll_host        (no arguments; exits 0 when the demo succeeded, 1 otherwise)
 *
 * libuv owns the thread. A uv_poll_t watches bun_tcp_loop_fd (readable when bun_tcp has I/O or a
 * wakeup) and a uv_timer_t is armed from bun_tcp_loop_next_timeout_ms (so socket timeouts fire
 * and work left for a later pass is not forgotten); both just call bun_tcp_poll(loop, 0).
 *
 * The demo: an echo server and a client in the same loop. The client sends "hello", checks the
 * echo, then stays silent with a 300 ms idle timeout; when `timeout` fires it ends the
 * connection, the server is stopped and every libuv handle is closed, so uv_run returns. */
#include <bun_tcp.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#define IDLE_TIMEOUT_MS 300

typedef struct host {
  bun_tcp_loop *loop;
  uv_poll_t io;        /* bun_tcp_loop_fd is readable */
  uv_timer_t deadline; /* bun_tcp's next timer is due */
  uv_timer_t watchdog; /* gives up if the demo stalls */
  bun_tcp_listener listener;
  int echoed, timed_out, closed, failed, finished;
  uint64_t silent_since_ns;
} host;

static host g_host;

/* ---- driving bun_tcp from libuv ------------------------------------------------------------ */

static void on_deadline(uv_timer_t *timer);

/* After every bun_tcp_poll: sleep no longer than bun_tcp's next timer (0 = work is pending). */
static void arm_deadline(host *h) {
  int32_t ms = bun_tcp_loop_next_timeout_ms(h->loop);
  if (ms >= 0)
    uv_timer_start(&h->deadline, on_deadline, (uint64_t)ms, 0);
  else
    uv_timer_stop(&h->deadline); /* only I/O can bring work: the uv_poll_t covers it */
}

static void run_bun_tcp(host *h) {
  if (bun_tcp_poll(h->loop, 0) < 0) h->failed = 1;
  if (!h->finished) arm_deadline(h);
}

static void on_loop_fd_readable(uv_poll_t *io, int status, int events) { run_bun_tcp(&g_host); }
static void on_deadline(uv_timer_t *timer) { run_bun_tcp(&g_host); }

/* Closes the libuv handles so uv_run returns. */
static void finish(host *h) {
  if (h->finished) return; /* e.g. the watchdog fired, then loop_free closes the client */
  h->finished = 1;
  uv_poll_stop(&h->io);
  uv_close((uv_handle_t *)&h->io, NULL);
  uv_close((uv_handle_t *)&h->deadline, NULL);
  uv_close((uv_handle_t *)&h->watchdog, NULL);
}

static void on_watchdog(uv_timer_t *timer) {
  fprintf(stderr, "uv_poll_host: the demo did not finish in time\n");
  g_host.failed = 1;
  finish(&g_host);
}

/* ---- the echo server and its client --------------------------------------------------------- */

static void server_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  bun_tcp_socket_write_all(s, bytes, len);
}

static void client_open(bun_tcp_socket s, void *data) {
  bun_tcp_socket_write_all(s, (const uint8_t *)"hello", 5);
}

static void client_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  host *h = data;
  printf("client got \"%.*s\"\n", (int)len, (const char *)bytes);
  if (len != 5 || memcmp(bytes, "hello", 5) != 0) h->failed = 1;
  h->echoed = 1;
  h->silent_since_ns = uv_hrtime();
  bun_tcp_socket_timeout_ms(s, IDLE_TIMEOUT_MS);
}

static void client_timeout(bun_tcp_socket s, void *data) {
  host *h = data;
  uint64_t idle_ms = (uv_hrtime() - h->silent_since_ns) / 1000000;
  printf("client idle timeout after %llu ms\n", (unsigned long long)idle_ms);
  if (idle_ms < IDLE_TIMEOUT_MS - 1) h->failed = 1; /* it may be late, never early */
  h->timed_out = 1;
  bun_tcp_socket_end(s, NULL, 0);
}

static void client_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  host *h = data;
  printf("client closed%s%s\n", err ? ": " : "", err ? err->name : "");
  if (err) h->failed = 1;
  h->closed = 1;
  bun_tcp_listener_stop(h->listener, true);
  finish(h);
}

static void client_connect_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  fprintf(stderr, "connect failed: %s\n", err->name);
  ((host *)data)->failed = 1;
  finish(data);
}

int main(void) {
  host *h = &g_host;
  uv_loop_t *uv = uv_default_loop();
  h->loop = bun_tcp_loop_new();
  if (!h->loop) return 1;

  bun_tcp_handlers server = {.data = server_data};
  bun_tcp_listen_options listen_opts = {.hostname = "127.0.0.1"};
  if (bun_tcp_listen(h->loop, &listen_opts, &server, &h->listener) != 0) return 1;
  bun_tcp_handlers client = {.open = client_open,
                             .data = client_data,
                             .timeout = client_timeout,
                             .close = client_close,
                             .connect_error = client_connect_error};
  bun_tcp_connect_options connect_opts = {
      .hostname = "127.0.0.1", .port = bun_tcp_listener_port(h->listener), .data = h};
  bun_tcp_socket socket;
  if (bun_tcp_connect(h->loop, &connect_opts, &client, &socket) != 0) return 1;

  uv_poll_init(uv, &h->io, bun_tcp_loop_fd(h->loop));
  uv_poll_start(&h->io, UV_READABLE, on_loop_fd_readable);
  uv_timer_init(uv, &h->deadline);
  arm_deadline(h);
  uv_timer_init(uv, &h->watchdog);
  uv_timer_start(&h->watchdog, on_watchdog, 10000, 0);

  uv_run(uv, UV_RUN_DEFAULT); /* returns once finish() closed the three handles */

  bun_tcp_loop_free(h->loop);
  uv_loop_close(uv);
  int ok = !h->failed && h->echoed && h->timed_out && h->closed;
  printf("%s\n", ok ? "uv_poll_host: OK" : "uv_poll_host: FAILED");
  return ok ? 0 : 1;
}
