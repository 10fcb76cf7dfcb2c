/* half_close: end() as a true half-close, allow_half_open, and shutdown().
 *
 * Case 1: the client sends "question" with bun_tcp_socket_end (data, then FIN) and keeps reading.
 * The server listens with allow_half_open and an `end` handler, so after the client's FIN it stays
 * writable; main() answers later, from outside any handler, with end("answer"). The client still
 * receives the answer, then `end`, then `close`.
 * Case 2: a listener with no `end` handler. The client sends "ping" and shuts its write side with
 * bun_tcp_socket_shutdown(s, false); the server's socket closes on that FIN, and the client sees
 * `end` and `close`. Exits 0 only if both traces are exactly these. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

typedef struct { char trace[128]; bun_tcp_socket s; int closed; } side;
static side srv1, cli1, srv2, cli2;

static void note(side *x, const char *ev, const uint8_t *bytes, size_t len) {
  char item[64];
  snprintf(item, sizeof item, "%s%s%.*s", x->trace[0] ? " " : "", ev, (int)len, bytes ? (const char *)bytes : "");
  strcat(x->trace, item);
}
static void on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { note(d, "data:", b, n); }
static void on_end(bun_tcp_socket s, void *d) { note(d, "end", NULL, 0); }
static void on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  CHECK(e == NULL);
  note(d, "close", NULL, 0);
  ((side *)d)->closed = 1;
}
static void srv_open(bun_tcp_socket s, void *d) { ((side *)d)->s = s; note(d, "open", NULL, 0); }

static void cli1_open(bun_tcp_socket s, void *d) {
  note(d, "open", NULL, 0);
  CHECK(bun_tcp_socket_end(s, (const uint8_t *)"question", 8) == 8);   /* all 8 accepted */
  int state = bun_tcp_socket_ready_state(s);          /* CLOSING while the tail is queued */
  CHECK(state == BUN_TCP_STATE_CLOSING || state == BUN_TCP_STATE_WRITE_SHUT);
  CHECK(bun_tcp_socket_write(s, (const uint8_t *)"more", 4) == BUN_TCP_EENDED);
}
static void cli2_open(bun_tcp_socket s, void *d) {
  note(d, "open", NULL, 0);
  CHECK(bun_tcp_socket_write(s, (const uint8_t *)"ping", 4) == 4);
  CHECK(bun_tcp_socket_shutdown(s, false) == 0);      /* SHUT_WR now: FIN */
  CHECK(bun_tcp_socket_ready_state(s) == BUN_TCP_STATE_WRITE_SHUT);
}

static bun_tcp_listener listen_on(bun_tcp_loop *loop, side *srv, bool half_open, bool with_end) {
  bun_tcp_handlers h = {.open = srv_open, .data = on_data, .close = on_close};
  if (with_end) h.end = on_end;
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .data = srv, .allow_half_open = half_open};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &h, &l) == 0);
  return l;
}
static void connect_to(bun_tcp_loop *loop, bun_tcp_listener l, side *cli,
                       void (*open)(bun_tcp_socket, void *)) {
  bun_tcp_handlers h = {.open = open, .data = on_data, .end = on_end, .close = on_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(l), .data = cli};
  CHECK(bun_tcp_connect(loop, &co, &h, &cli->s) == 0);
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_listener l1 = listen_on(loop, &srv1, true, true);
  connect_to(loop, l1, &cli1, cli1_open);
  for (int i = 0; i < 200 && !strstr(srv1.trace, "end"); i++) bun_tcp_poll(loop, 50);
  bun_tcp_poll(loop, 100);                               /* nothing more happens on its own */
  CHECK(strcmp(srv1.trace, "open data:question end") == 0);
  CHECK(bun_tcp_socket_ready_state(srv1.s) == BUN_TCP_STATE_OPEN);   /* still writable */
  CHECK(bun_tcp_socket_end(srv1.s, (const uint8_t *)"answer", 6) == 6);
  for (int i = 0; i < 200 && !(srv1.closed && cli1.closed); i++) bun_tcp_poll(loop, 50);

  bun_tcp_listener l2 = listen_on(loop, &srv2, false, false);
  connect_to(loop, l2, &cli2, cli2_open);
  for (int i = 0; i < 200 && !(srv2.closed && cli2.closed); i++) bun_tcp_poll(loop, 50);

  printf("case 1 server: %s\ncase 1 client: %s\n", srv1.trace, cli1.trace);
  printf("case 2 server: %s\ncase 2 client: %s\n", srv2.trace, cli2.trace);
  CHECK(strcmp(srv1.trace, "open data:question end close") == 0);
  CHECK(strcmp(cli1.trace, "open data:answer end close") == 0);
  CHECK(strcmp(srv2.trace, "open data:ping close") == 0);
  CHECK(strcmp(cli2.trace, "open end close") == 0);
  bun_tcp_listener_stop(l1, true);
  bun_tcp_listener_stop(l2, true);
  bun_tcp_loop_free(loop);
  printf("ok\n");
  return 0;
}
