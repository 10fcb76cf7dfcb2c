/* redis_server: a tiny server speaking the Redis protocol (RESP2): PING, ECHO and QUIT.
 *
 *   usage: redis_server [port] [host]        (defaults: 0 = any free port, 127.0.0.1)
 *
 * Prints "listening on HOST:PORT"; SIGINT / SIGTERM close every connection and exit 0. Works with
 * redis-cli and redis-benchmark. Commands come as arrays of bulk strings (*2\r\n$4\r\nECHO...) or
 * as inline lines (PING\r\n). Unknown commands get an error reply; malformed input gets
 * "-ERR Protocol error" and the connection is ended.
 *
 * Pipelining: one read may hold many commands, and a command may be split over several reads.
 * Bytes are parsed straight from the read buffer; only an incomplete tail is copied, into a
 * per-connection buffer, to be completed by the next read. Replies to one read are corked into
 * one send. A client that sends faster than it reads is paused until its replies drain. */
#include "stop_on_signal.h"
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BULK (16u << 20)   /* largest argument */
#define MAX_INLINE (64u << 10) /* longest inline command line */
#define MAX_ARGS 1024
#define MAX_COMMAND (32u << 20) /* largest command, all arguments together */
#define HIGH_WATER (1u << 20) /* pause a client with 1 MiB of replies not yet sent */

typedef struct { const uint8_t *ptr; size_t len; } arg;
typedef struct { uint8_t *bytes; size_t len, cap; } pending; /* an incomplete command */

enum { NEED_MORE = 0, COMPLETE = 1, MALFORMED = -1 };

/* The line starting at p (up to \n, without \r\n): its length, or -1 when no \n yet. */
static long line_length(const uint8_t *p, size_t n, size_t *next) {
  const uint8_t *nl = memchr(p, '\n', n);
  if (!nl) return -1;
  *next = (size_t)(nl - p) + 1;
  return (long)(nl - p) - (nl > p && nl[-1] == '\r');
}

/* "<digits>\r\n" after a type byte; returns the value, -1 when malformed. */
static long header_number(const uint8_t *p, long len) {
  long v = 0;
  if (len < 2) return -1;
  for (long i = 1; i < len; i++) {
    if (p[i] < '0' || p[i] > '9' || v > MAX_BULK) return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

/* Parses one command from p; fills args (the first `max` of them) and *argc, *used. */
static int parse_command(const uint8_t *p, size_t n, arg *args, size_t max, size_t *argc,
                         size_t *used) {
  size_t next, at = 0;
  long len = line_length(p, n, &next);
  if (p[0] != '*') { /* inline: words separated by spaces */
    if (len < 0) return n > MAX_INLINE ? MALFORMED : NEED_MORE;
    *argc = 0;
    for (long i = 0; i < len;) {
      while (i < len && p[i] == ' ') i++;
      long start = i;
      while (i < len && p[i] != ' ') i++;
      if (i > start && *argc < max) args[*argc] = (arg){p + start, (size_t)(i - start)};
      if (i > start) ++*argc;
    }
    *used = next;
    return COMPLETE;
  }
  if (len < 0) return n > 32 ? MALFORMED : NEED_MORE; /* "*<count>\r\n" is short */
  long count = header_number(p, len);
  if (count < 0 || count > MAX_ARGS) return MALFORMED;
  at = next;
  for (long i = 0; i < count; i++) {
    len = line_length(p + at, n - at, &next);
    if (len < 0) return n - at > 32 ? MALFORMED : NEED_MORE; /* "$<len>\r\n" is short */
    long size = p[at] == '$' ? header_number(p + at, len) : -1;
    if (size < 0 || size > (long)MAX_BULK) return MALFORMED;
    at += next;
    if (at + (size_t)size > MAX_COMMAND) return MALFORMED;
    if (n - at < (size_t)size + 2) return NEED_MORE;
    if (p[at + size] != '\r' || p[at + size + 1] != '\n') return MALFORMED;
    if ((size_t)i < max) args[i] = (arg){p + at, (size_t)size};
    at += (size_t)size + 2;
  }
  *argc = (size_t)count;
  *used = at;
  return COMPLETE;
}

static void reply(bun_tcp_socket s, const char *text) {
  bun_tcp_socket_write_all(s, (const uint8_t *)text, strlen(text));
}

static void reply_bulk(bun_tcp_socket s, arg a) {
  char header[32];
  int n = snprintf(header, sizeof header, "$%zu\r\n", a.len);
  bun_tcp_socket_write_all(s, (const uint8_t *)header, (size_t)n);
  bun_tcp_socket_write_all(s, a.ptr, a.len);
  reply(s, "\r\n");
}

static bool is(arg a, const char *name) {
  return a.len == strlen(name) && strncasecmp((const char *)a.ptr, name, a.len) == 0;
}

/* Runs one command; returns false when the connection is to be ended. */
static bool run_command(bun_tcp_socket s, const arg *args, size_t argc) {
  if (argc == 0) return true; /* an empty inline line: nothing to do, as in Redis */
  if (is(args[0], "PING") && argc <= 2) {
    if (argc == 1) reply(s, "+PONG\r\n");
    else reply_bulk(s, args[1]);
  } else if (is(args[0], "ECHO") && argc == 2) {
    reply_bulk(s, args[1]);
  } else if (is(args[0], "QUIT")) {
    reply(s, "+OK\r\n");
    return false;
  } else if (is(args[0], "PING") || is(args[0], "ECHO")) {
    reply(s, "-ERR wrong number of arguments\r\n");
  } else {
    char text[128];
    int name_len = args[0].len > 64 ? 64 : (int)args[0].len;
    snprintf(text, sizeof text, "-ERR unknown command '%.*s'\r\n", name_len, args[0].ptr);
    for (char *c = text + 1; *c != '\r'; c++)
      if (*c < ' ') *c = '?'; /* a reply line cannot hold control characters */
    reply(s, text);
  }
  return true;
}

/* Runs every complete command in p; returns the bytes used, or n + 1 once the client is ended. */
static size_t run_commands(bun_tcp_socket s, const uint8_t *p, size_t n) {
  size_t done = 0, argc, used;
  arg args[3];
  while (done < n) {
    int r = parse_command(p + done, n - done, args, 3, &argc, &used);
    if (r == NEED_MORE) return done;
    if (r == MALFORMED) reply(s, "-ERR Protocol error\r\n");
    if (r == MALFORMED || !run_command(s, args, argc)) {
      bun_tcp_socket_end(s, NULL, 0);
      return n + 1;
    }
    done += used;
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
  if (c) bun_tcp_socket_set_data(s, c);
  else bun_tcp_socket_terminate(s);
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
  bun_tcp_socket_cork(s); /* all replies to this read leave in one send */
  size_t used = run_commands(s, p, n);
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
  bun_tcp_handlers handlers = {
      .open = on_open, .data = on_data, .drain = on_drain, .close = on_close};
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
