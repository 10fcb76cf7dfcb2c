/* http_server: a minimal HTTP/1.1 server. GET answers with a greeting, POST echoes its body.
 *
 *   usage: http_server [port] [host]        (defaults: 0 = any free port, 127.0.0.1)
 *
 * Prints "listening on HOST:PORT"; SIGINT / SIGTERM close every connection and exit 0.
 *
 * Connections are kept alive (HTTP/1.1's default) until the client sends "Connection: close",
 * speaks HTTP/1.0 without "Connection: keep-alive", or stays idle for IDLE_SECONDS. Pipelined
 * requests are answered in order (their replies corked into one send). Bodies are read by
 * Content-Length; chunked bodies are not supported (501). Bad input is answered and the
 * connection closed: 400 for a malformed request, 431 when the head passes MAX_HEAD, 413 for a
 * body over MAX_BODY. */
#define _GNU_SOURCE /* memmem */
#include "stop_on_signal.h"
#include <bun_tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEAD (8u << 10)  /* request line + headers */
#define MAX_BODY (1u << 20)
#define IDLE_SECONDS 10
#define HIGH_WATER (1u << 20) /* pause a client with 1 MiB of responses not yet sent */

typedef struct { uint8_t *bytes; size_t len, cap; } pending; /* an incomplete request */

typedef struct {
  const char *method, *target;
  int method_len, target_len;
  size_t head_len, body_len; /* the head ends with its blank line; the body follows */
  bool keep_alive;
} request;

enum { NEED_MORE = 0, COMPLETE = 1 }; /* or an HTTP error status */

static bool header_is(const char *line, size_t name_len, const char *name) {
  return name_len == strlen(name) && strncasecmp(line, name, name_len) == 0;
}

/* Parses the request head at p; returns NEED_MORE, COMPLETE or an error status (400, 413, ...). */
static int parse_head(const char *p, size_t n, request *r) {
  const char *end = memmem(p, n, "\r\n\r\n", 4);
  if (!end) return n > MAX_HEAD ? 431 : NEED_MORE;
  if ((size_t)(end - p) + 4 > MAX_HEAD) return 431;
  *r = (request){.head_len = (size_t)(end - p) + 4};
  /* request line: METHOD SP TARGET SP HTTP/1.x */
  const char *eol = memmem(p, n, "\r\n", 2), *sp1 = memchr(p, ' ', (size_t)(eol - p));
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
  if (!sp2 || sp1 == p || sp2 == sp1 + 1 || eol - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
      (sp2[8] != '0' && sp2[8] != '1'))
    return 400;
  *r = (request){.method = p, .method_len = (int)(sp1 - p), .target = sp1 + 1,
                 .target_len = (int)(sp2 - sp1 - 1), .head_len = r->head_len,
                 .keep_alive = sp2[8] == '1'};
  bool has_length = false;
  for (const char *line = eol + 2; line < end + 2; line = eol + 2) {
    eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    size_t name_len = colon ? (size_t)(colon - line) : 0;
    if (name_len == 0 || memchr(line, ' ', name_len) || memchr(line, '\t', name_len)) return 400;
    const char *v = colon + 1, *v_end = eol;
    while (v < v_end && (*v == ' ' || *v == '\t')) v++;
    while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t')) v_end--;
    size_t v_len = (size_t)(v_end - v);
    if (header_is(line, name_len, "Content-Length")) {
      size_t length = 0;
      if (has_length || v_len == 0) return 400; /* a repeated length could smuggle a request */
      for (const char *d = v; d < v_end; d++) {
        if (*d < '0' || *d > '9') return 400;
        if (length <= MAX_BODY) length = length * 10 + (size_t)(*d - '0');
      }
      if (length > MAX_BODY) return 413;
      r->body_len = length;
      has_length = true;
    } else if (header_is(line, name_len, "Transfer-Encoding")) {
      return 501;
    } else if (header_is(line, name_len, "Connection")) {
      if (v_len == 5 && !strncasecmp(v, "close", 5)) r->keep_alive = false;
      if (v_len == 10 && !strncasecmp(v, "keep-alive", 10)) r->keep_alive = true;
    }
  }
  return COMPLETE;
}

static void respond(bun_tcp_socket s, int status, const char *reason, bool keep_alive,
                    const void *body, size_t body_len) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n",
                   status, reason, body_len, keep_alive ? "" : "Connection: close\r\n");
  bun_tcp_socket_write_all(s, (const uint8_t *)head, (size_t)n);
  if (keep_alive) bun_tcp_socket_write_all(s, body, body_len);
  else bun_tcp_socket_end(s, body, body_len); /* FIN once the response is out */
}

static void respond_error(bun_tcp_socket s, int status) {
  const char *reason = status == 400   ? "Bad Request"
                       : status == 413 ? "Content Too Large"
                       : status == 431 ? "Request Header Fields Too Large"
                                       : "Not Implemented";
  char body[64];
  int n = snprintf(body, sizeof body, "%d %s\n", status, reason);
  respond(s, status, reason, false, body, (size_t)n);
}

static void handle(bun_tcp_socket s, const request *r, const char *body) {
  char text[MAX_HEAD + 64];
  if (r->method_len == 3 && !memcmp(r->method, "GET", 3)) {
    int n = snprintf(text, sizeof text, "hello from bun_tcp: GET %.*s\n", r->target_len, r->target);
    respond(s, 200, "OK", r->keep_alive, text, (size_t)n);
  } else if (r->method_len == 4 && !memcmp(r->method, "POST", 4)) {
    respond(s, 200, "OK", r->keep_alive, body, r->body_len);
  } else {
    respond(s, 405, "Method Not Allowed", r->keep_alive, "use GET or POST\n", 16);
  }
}

/* Answers every complete request in p; returns the bytes used, or n + 1 once the connection is
 * ended. */
static size_t serve_requests(bun_tcp_socket s, const char *p, size_t n) {
  size_t done = 0;
  request r;
  while (done < n) {
    int status = parse_head(p + done, n - done, &r);
    if (status == NEED_MORE || (status == COMPLETE && n - done < r.head_len + r.body_len))
      return done;
    if (status != COMPLETE) {
      respond_error(s, status);
      return n + 1;
    }
    handle(s, &r, p + done + r.head_len);
    if (!r.keep_alive) return n + 1;
    done += r.head_len + r.body_len;
  }
  return done;
}

static bool keep(pending *c, const uint8_t *bytes, size_t len) {
  if (len == 0) return true;
  if (c->len + len > c->cap) {
    size_t cap = (c->len + len) * 2;
    uint8_t *grown = realloc(c->bytes, cap);
    if (!grown) return false;
    c->bytes = grown;
    c->cap = cap;
  }
  memcpy(c->bytes + c->len, bytes, len);
  c->len += len;
  return true;
}

static void on_open(bun_tcp_socket s, void *unused) {
  pending *c = calloc(1, sizeof *c);
  if (!c) {
    bun_tcp_socket_terminate(s);
    return;
  }
  bun_tcp_socket_set_data(s, c);
  bun_tcp_socket_timeout(s, IDLE_SECONDS);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  pending *c = data;
  if (bun_tcp_socket_ready_state(s) != BUN_TCP_STATE_OPEN) return; /* ended: ignore the rest */
  if (c->len && !keep(c, bytes, len)) { /* complete the earlier tail first */
    bun_tcp_socket_terminate(s);
    return;
  }
  const uint8_t *p = c->len ? c->bytes : bytes;
  size_t n = c->len ? c->len : len;
  bun_tcp_socket_cork(s); /* all responses to this read leave in one send */
  size_t used = serve_requests(s, (const char *)p, n);
  if (used > n) return;
  if (c->len) {
    memmove(c->bytes, c->bytes + used, c->len - used);
    c->len -= used;
  } else if (!keep(c, bytes + used, len - used)) {
    bun_tcp_socket_terminate(s);
    return;
  }
  if (bun_tcp_socket_buffered_amount(s) > HIGH_WATER) bun_tcp_socket_pause(s);
}

static void on_drain(bun_tcp_socket s, void *data) {
  bun_tcp_socket_resume(s);
}

static void on_timeout(bun_tcp_socket s, void *data) {
  bun_tcp_socket_close(s); /* idle keep-alive connection */
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  pending *c = data;
  if (c) free(c->bytes);
  free(c);
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
  bun_tcp_handlers handlers = {.open = on_open, .data = on_data, .drain = on_drain,
                               .timeout = on_timeout, .close = on_close};
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
