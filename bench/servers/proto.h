/* proto.h: the request parsers of the C benchmark servers (epoll_server.c, libuv_server.c and
 * bench/http/http_server.c), so every C contender does the same protocol work.
 *
 *   ping: redis PING. Each command gets one reply: PING -> "+PONG\r\n", anything else -> "-ERR".
 *         Inline commands ("PING\r\n", what `redis-benchmark -t ping_inline` sends) and RESP
 *         arrays ("*1\r\n$4\r\nPING\r\n", e.g. redis-benchmark's start-up CONFIG GET); lines may
 *         be split across reads (the unfinished tail is kept). Same rules as bench/ping/ping_server.c.
 *   http: a request ends at "\r\n\r\n" (no bodies); each one gets HTTP_RESPONSE, keep-alive.
 *
 * Replies are appended to an out_buf; the caller sends it in one write. Header-only: static. */
#ifndef BENCH_PROTO_H
#define BENCH_PROTO_H

#include <stdlib.h>
#include <string.h>

#define PING_MAX_LINE 1024
#define PONG "+PONG\r\n"
#define PING_ERR "-ERR only PING is supported\r\n"
#define HTTP_RESPONSE "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!"

typedef struct {
  char *data;
  size_t len, cap;
} out_buf;

static inline void out_append(out_buf *o, const char *s, size_t n) {
  if (o->len + n > o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 65536;
    while (cap < o->len + n) cap *= 2;
    char *p = realloc(o->data, cap);
    if (!p) abort();
    o->data = p;
    o->cap = cap;
  }
  memcpy(o->data + o->len, s, n);
  o->len += n;
}

/* ---- ping ------------------------------------------------------------------------------------ */

typedef struct {
  char *line; /* unfinished line from the previous read; allocated when a line is first split,
                 so an idle connection costs a few words, not a line buffer */
  size_t line_len;
  long array_left;  /* lines still to come of a RESP array ("$len" + payload per element) */
  long array_index; /* lines of the current array seen so far */
  int array_is_ping;
} ping_state;

static inline int ping_word(const char *s, size_t n) {
  return n == 4 && (s[0] | 32) == 'p' && (s[1] | 32) == 'i' && (s[2] | 32) == 'n' &&
         (s[3] | 32) == 'g';
}

/* One complete line, without its "\n". */
static inline void ping_line(ping_state *st, const char *s, size_t n, out_buf *o) {
  if (n && s[n - 1] == '\r') n--;
  if (st->array_left > 0) {
    if (st->array_index++ == 1) st->array_is_ping = ping_word(s, n); /* line 1: command name */
    if (--st->array_left == 0) {
      if (st->array_is_ping) out_append(o, PONG, sizeof PONG - 1);
      else out_append(o, PING_ERR, sizeof PING_ERR - 1);
    }
  } else if (n > 0 && s[0] == '*') { /* "*N": N bulk strings ("$len" line + payload line) */
    long elems = strtol(s + 1, NULL, 10);
    if (elems > 0) {
      st->array_left = 2 * elems;
      st->array_index = 0;
      st->array_is_ping = 0;
    }
  } else if (n > 0) { /* inline command: the first word counts */
    size_t w = 0;
    while (w < n && s[w] != ' ' && s[w] != '\t') w++;
    if (ping_word(s, w)) out_append(o, PONG, sizeof PONG - 1);
    else out_append(o, PING_ERR, sizeof PING_ERR - 1);
  }
}

/* Frees what ping_feed allocated (the state itself is the caller's). */
static inline void ping_state_release(ping_state *st) {
  free(st->line);
  st->line = NULL;
}

/* Feeds one read; returns -1 on a line longer than PING_MAX_LINE (close the connection). */
static inline int ping_feed(ping_state *st, const char *p, size_t len, out_buf *o) {
  const char *end = p + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)((nl ? nl : end) - p);
    if (st->line_len || !nl) { /* a line split across reads: gather it in st->line */
      if (st->line_len + n > PING_MAX_LINE) return -1;
      if (!st->line && !(st->line = malloc(PING_MAX_LINE))) abort();
      memcpy(st->line + st->line_len, p, n);
      st->line_len += n;
      if (!nl) break;
      ping_line(st, st->line, st->line_len, o);
      st->line_len = 0;
    } else {
      ping_line(st, p, n, o);
    }
    p = nl + 1;
  }
  return 0;
}

/* ---- http ------------------------------------------------------------------------------------ */

typedef struct {
  int matched; /* how many bytes of "\r\n\r\n" end the data seen so far */
} http_state;

/* Feeds one read; returns the number of requests it completed. */
static inline size_t http_feed(http_state *st, const char *p, size_t len) {
  static const char end_of_head[4] = {'\r', '\n', '\r', '\n'};
  const char *end = p + len;
  size_t requests = 0;
  int m = st->matched;
  while (p < end) {
    if (m == 0) { /* skip to the next '\r' */
      p = memchr(p, '\r', (size_t)(end - p));
      if (!p) break;
    }
    char c = *p++;
    if (c == end_of_head[m]) {
      if (++m == 4) {
        requests++;
        m = 0;
      }
    } else {
      m = c == '\r';
    }
  }
  st->matched = m;
  return requests;
}

static inline void http_replies(size_t requests, out_buf *o) {
  while (requests--) out_append(o, HTTP_RESPONSE, sizeof HTTP_RESPONSE - 1);
}

#endif
