/* chat_server: a line-based chat room. Every line a client sends goes to every other client.
 *
 *   usage: chat_server [port] [host]        (defaults: 0 = any free port, 127.0.0.1)
 *
 * Prints "listening on HOST:PORT", then "joined #N (K online)" / "left #N (K online)" as clients
 * come and go. A client is told "* you are #N"; the others see "* #N joined", "#N: <line>" for
 * each of its lines and "* #N left". SIGINT / SIGTERM close every connection and exit 0.
 *
 * Slow readers: messages go out with write_all, which queues what a client's kernel buffer cannot
 * take, so nobody waits for the slowest reader and nothing is dropped. Each client's queue is
 * bounded by a write limit of MAX_BACKLOG bytes: a message that does not fit is refused
 * (-ENOBUFS) and that client is disconnected rather than allowed to grow the server without bound.
 * A line longer than MAX_LINE disconnects its sender too. */
#include "stop_on_signal.h"
#include <bun_tcp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096
#define MAX_BACKLOG (16u << 20) /* bytes queued for one client before it counts as stuck */

typedef struct client {
  struct client *prev, *next;
  bun_tcp_socket socket;
  int id;
  bool too_slow;
  size_t line_len; /* bytes of an unfinished line in `line` */
  char line[MAX_LINE];
} client;

static client *clients; /* everyone connected, newest first */
static int online, last_id;

static void disconnect_slow_readers(void) {
  for (client *c = clients; c;) {
    if (!c->too_slow) {
      c = c->next;
      continue;
    }
    c->too_slow = false;
    bun_tcp_socket_close(c->socket); /* its close handler unlinks it and tells the others */
    c = clients;                     /* so the list changed under us: start over */
  }
}

/* Sends text to every client except `from` (NULL: to everyone). */
static void broadcast(const client *from, const char *text, size_t len) {
  for (client *c = clients; c; c = c->next) {
    if (c == from) continue;
    if (bun_tcp_socket_write_all(c->socket, (const uint8_t *)text, len) == -ENOBUFS) c->too_slow = true;
  }
  disconnect_slow_readers();
}

static void on_open(bun_tcp_socket s, void *unused) {
  client *c = calloc(1, sizeof *c);
  if (!c) {
    bun_tcp_socket_terminate(s);
    return;
  }
  *c = (client){.next = clients, .socket = s, .id = ++last_id};
  if (clients) clients->prev = c;
  clients = c;
  bun_tcp_socket_set_data(s, c);
  bun_tcp_socket_timeout(s, 0); /* chat clients may stay quiet for as long as they like */
  bun_tcp_socket_set_write_limit(s, MAX_BACKLOG); /* a reader this far behind is dropped */
  printf("joined #%d (%d online)\n", c->id, ++online);
  char text[32];
  int n = snprintf(text, sizeof text, "* you are #%d\n", c->id);
  bun_tcp_socket_write_all(s, (const uint8_t *)text, (size_t)n);
  n = snprintf(text, sizeof text, "* #%d joined\n", c->id);
  broadcast(c, text, (size_t)n);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  client *c = data;
  if (bun_tcp_socket_ready_state(s) != BUN_TCP_STATE_OPEN) return; /* ended: ignore the rest */
  while (len > 0) {
    const uint8_t *newline = memchr(bytes, '\n', len);
    size_t piece = newline ? (size_t)(newline - bytes) : len;
    if (c->line_len + piece >= MAX_LINE) {
      bun_tcp_socket_end(s, (const uint8_t *)"* line too long\n", 16);
      return;
    }
    memcpy(c->line + c->line_len, bytes, piece);
    c->line_len += piece;
    if (!newline) return; /* the rest of this line comes with a later read */
    int n = (int)c->line_len;
    if (n > 0 && c->line[n - 1] == '\r') n--;
    char text[MAX_LINE + 32];
    n = snprintf(text, sizeof text, "#%d: %.*s\n", c->id, n, c->line);
    broadcast(c, text, (size_t)n); /* never closes c: only clients with a too large queue */
    c->line_len = 0;
    bytes += piece + 1;
    len -= piece + 1;
  }
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  client *c = data;
  if (!c) return;
  if (c->prev) c->prev->next = c->next;
  else clients = c->next;
  if (c->next) c->next->prev = c->prev;
  printf("left #%d (%d online)\n", c->id, --online);
  char text[32];
  int n = snprintf(text, sizeof text, "* #%d left\n", c->id);
  free(c);
  broadcast(NULL, text, (size_t)n);
}

static void shut_down(void *listener) {
  bun_tcp_listener_stop(*(bun_tcp_listener *)listener, true);
}

int main(int argc, char **argv) {
  uint16_t port = (uint16_t)(argc > 1 ? atoi(argv[1]) : 0);
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";
  setvbuf(stdout, NULL, _IOLBF, 0); /* line-buffered even into a pipe, so scripts see each line */
  block_stop_signals();

  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) {
    fprintf(stderr, "bun_tcp_loop_new: %s\n", bun_tcp_last_error_message());
    return 1;
  }
  bun_tcp_handlers handlers = {.open = on_open, .data = on_data, .close = on_close};
  bun_tcp_listen_options opts = {.hostname = host, .port = port};
  bun_tcp_listener listener;
  int32_t rc = bun_tcp_listen(loop, &opts, &handlers, &listener);
  if (rc != 0) {
    fprintf(stderr, "listen on %s:%u failed: %s (%s)\n", host, (unsigned)port,
            bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }
  printf("listening on %s:%u\n", host, (unsigned)bun_tcp_listener_port(listener));
  stop_on_signal(loop, shut_down, &listener);

  rc = bun_tcp_run(loop); /* until a signal stops the listener and its connections */
  bun_tcp_loop_free(loop);
  return rc < 0 ? 1 : 0;
}
