/* tracing: see why a connection closed, and what the loop did (beyond Bun).
 *
 * A trace callback gets one event per handler call, right before the handler runs, with the
 * socket, the handler's name and the error it carries; `event->line` is the same event as one
 * line of text (what BUN_TCP_TRACE=1 prints on stderr). Here a client connects to a port nobody
 * listens on, and a second client talks to a server that resets it: the trace shows
 * connect_error ECONNREFUSED for the first and close ECONNRESET for the second, whose handler
 * table has no close handler at all. Then bun_tcp_loop_metrics counts what happened. Exits 0 only if
 * the trace and the counts are as described. */
#include <bun_tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

static int refused, resets;

static void on_trace(const bun_tcp_trace_event *ev, void *data) {
  printf("%s\n", ev->line);
  if (ev->error && strcmp(ev->handler, "connect_error") == 0 && ev->error->code == -ECONNREFUSED) refused++;
  if (ev->error && strcmp(ev->handler, "close") == 0 && strcmp(ev->error->name, "ECONNRESET") == 0) resets++;
}

static void srv_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  bun_tcp_socket_terminate(s);           /* a server that resets whoever talks to it */
}
static void cli_open(bun_tcp_socket s, void *data) { bun_tcp_socket_write(s, (const uint8_t *)"hi", 2); }
static void cli_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  CHECK(bun_tcp_loop_set_trace(loop, on_trace, NULL) == 0);

  bun_tcp_handlers sh = {.data = srv_data};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1"};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &sh, &l) == 0);
  bun_tcp_handlers ch = {.open = cli_open, .data = cli_data};  /* no close, no connect_error */
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = 1};   /* nobody listens */
  bun_tcp_socket c1, c2;
  CHECK(bun_tcp_connect(loop, &co, &ch, &c1) == 0);
  co.port = bun_tcp_listener_port(l);
  CHECK(bun_tcp_connect(loop, &co, &ch, &c2) == 0);
  while (refused < 1 || resets < 1) bun_tcp_poll(loop, 50);
  bun_tcp_listener_stop(l, true);
  for (int i = 0; i < 20 && bun_tcp_loop_socket_count(loop) > 0; i++) bun_tcp_poll(loop, 50);

  bun_tcp_metrics m;
  CHECK(bun_tcp_loop_metrics(loop, &m) == 0);
  printf("iterations %llu, accepts %llu, connects %llu, connect_errors %llu, closes %llu, "
         "bytes_read %llu, bytes_written %llu\n",
         (unsigned long long)m.iterations, (unsigned long long)m.accepts, (unsigned long long)m.connects,
         (unsigned long long)m.connect_errors, (unsigned long long)m.closes,
         (unsigned long long)m.bytes_read, (unsigned long long)m.bytes_written);
  CHECK(m.accepts == 1 && m.connects == 1 && m.connect_errors == 1 && m.closes == 2);
  CHECK(m.bytes_read == 2 && m.bytes_written == 2 && m.bytes_queued == 0 && m.handler_ns > 0);
  bun_tcp_loop_free(loop);
  return 0;
}
