/* libuv_server: the PING and HTTP servers of the benchmark on libuv (the event loop of Node.js).
 *
 *   usage: libuv_server ping|http [port] [host]     (defaults 6380, 127.0.0.1)
 *
 * Protocols in proto.h (the same parsers as the other C servers). All replies to one read leave
 * in one write: uv_try_write first (no copy, no request), and the part it did not send goes
 * through uv_write from a copy, which libuv keeps in order. Accepted sockets get TCP_NODELAY.
 * SIGTERM/SIGINT stop the loop and end with exit status 0 (so valgrind writes its profile). */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
  uv_tcp_t tcp; /* first: the handle pointer is the connection pointer */
  ping_state ping;
  http_state http;
} conn;

typedef struct {
  uv_write_t req;
  char data[]; /* the copy uv_write sends */
} write_req;

static int http_mode;
static char rbuf[65536]; /* one read at a time (one thread): shared */
static out_buf out;      /* replies of the current read, shared */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  *buf = uv_buf_init(rbuf, sizeof rbuf);
}

static void on_closed(uv_handle_t *h) { /* connections only */
  ping_state_release(&((conn *)h)->ping);
  free(h);
}

static void on_written(uv_write_t *req, int status) { free(req); }

static void send_batch(conn *c) {
  uv_buf_t buf = uv_buf_init(out.data, (unsigned)out.len);
  int n = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
  if (n < 0) n = 0; /* UV_EAGAIN (or writes already queued): all of it goes to uv_write */
  if ((size_t)n == out.len) return;
  size_t rest = out.len - (size_t)n;
  write_req *w = malloc(sizeof *w + rest);
  if (!w) abort();
  memcpy(w->data, out.data + n, rest);
  buf = uv_buf_init(w->data, (unsigned)rest);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) < 0) free(w);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  conn *c = (conn *)s;
  if (n < 0) { /* UV_EOF or an error */
    uv_close((uv_handle_t *)s, on_closed);
    return;
  }
  out.len = 0;
  if (http_mode) {
    http_replies(http_feed(&c->http, buf->base, (size_t)n), &out);
  } else if (ping_feed(&c->ping, buf->base, (size_t)n, &out) < 0) {
    uv_close((uv_handle_t *)s, on_closed);
    return;
  }
  if (out.len) send_batch(c);
}

static void on_connection(uv_stream_t *server, int status) {
  if (status < 0) return;
  conn *c = calloc(1, sizeof *c);
  if (!c) return;
  uv_tcp_init(server->loop, &c->tcp);
  if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
    uv_close((uv_handle_t *)&c->tcp, on_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_signal(uv_signal_t *sig, int signum) { uv_stop(sig->loop); }

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "ping") && strcmp(argv[1], "http"))) {
    fprintf(stderr, "usage: %s ping|http [port] [host]\n", argv[0]);
    return 2;
  }
  http_mode = strcmp(argv[1], "http") == 0;
  int port = argc > 2 ? atoi(argv[2]) : 6380;
  const char *host = argc > 3 ? argv[3] : "127.0.0.1";
  setvbuf(stdout, NULL, _IOLBF, 0);

  uv_loop_t *loop = uv_default_loop();
  struct sockaddr_in addr;
  uv_tcp_t server;
  int rc = uv_ip4_addr(host, port, &addr);
  if (!rc) rc = uv_tcp_init(loop, &server);
  if (!rc) rc = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
  if (!rc) rc = uv_listen((uv_stream_t *)&server, 4096, on_connection);
  if (rc) {
    fprintf(stderr, "listen %s:%d: %s\n", host, port, uv_strerror(rc));
    return 1;
  }
  uv_signal_t sigterm, sigint;
  uv_signal_init(loop, &sigterm);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  uv_unref((uv_handle_t *)&sigterm);
  uv_signal_init(loop, &sigint);
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_unref((uv_handle_t *)&sigint);
  printf("libuv_server (%s, libuv %s) listening on %s:%d\n", argv[1], uv_version_string(), host,
         port);
  uv_run(loop, UV_RUN_DEFAULT);
  free(out.data);
  return 0;
}
