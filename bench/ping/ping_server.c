/* ping_server: a minimal Redis-protocol PING server on bun_tcp, for redis-benchmark.
 *
 *   usage: ping_server [port] [host]     (port also from $PORT; defaults 6380, 127.0.0.1)
 *
 * Every command gets one reply: PING -> "+PONG\r\n", anything else -> "-ERR ...\r\n".
 * Commands arrive inline ("PING\r\n", what `redis-benchmark -t ping_inline` sends, possibly many
 * per read with -P) or as RESP arrays ("*1\r\n$4\r\nPING\r\n", e.g. redis-benchmark's start-up
 * CONFIG GET). Lines may be split across reads: the unfinished tail is kept per socket.
 * All replies to one `data` call leave in a single bun_tcp_socket_write_all().
 * bench/ping/server.js is the same program for Bun. */
#include <bun_tcp.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LINE 1024

typedef struct {
  char line[MAX_LINE]; /* unfinished line from the previous read */
  size_t line_len;
  long array_left;     /* lines still to come of a RESP array ("$len" + payload per element) */
  long array_index;    /* lines of the current array seen so far */
  int array_is_ping;
} conn;

/* Reply buffer shared by all sockets (one thread): grown as needed. */
static char *out;
static size_t out_len, out_cap;

static void reply(const char *s, size_t n) {
  if (out_len + n > out_cap) {
    size_t cap = out_cap ? out_cap * 2 : 65536;
    while (cap < out_len + n) cap *= 2;
    char *p = realloc(out, cap);
    if (!p) abort();
    out = p;
    out_cap = cap;
  }
  memcpy(out + out_len, s, n);
  out_len += n;
}

#define PONG "+PONG\r\n"
#define ERR "-ERR only PING is supported\r\n"

static int is_ping(const char *s, size_t n) {
  return n == 4 && strncasecmp(s, "PING", 4) == 0;
}

/* One complete line, without its "\r\n". */
static void on_line(conn *c, const char *s, size_t n) {
  if (n && s[n - 1] == '\r') n--;
  if (c->array_left > 0) {                 /* inside a RESP array */
    if (c->array_index++ == 1) c->array_is_ping = is_ping(s, n); /* line 1 = command name */
    if (--c->array_left == 0) {
      if (c->array_is_ping) reply(PONG, sizeof PONG - 1);
      else reply(ERR, sizeof ERR - 1);
    }
  } else if (n > 0 && s[0] == '*') {       /* "*N": a RESP array of N bulk strings follows */
    long elems = strtol(s + 1, NULL, 10);
    if (elems > 0) {
      c->array_left = 2 * elems;
      c->array_index = 0;
      c->array_is_ping = 0;
    }
  } else if (n > 0) {                      /* inline command: the first word counts */
    size_t w = 0;
    while (w < n && !isspace((unsigned char)s[w])) w++;
    if (is_ping(s, w)) reply(PONG, sizeof PONG - 1);
    else reply(ERR, sizeof ERR - 1);
  }
}

static void on_open(bun_tcp_socket s, void *data) {
  conn *c = calloc(1, sizeof *c);
  if (!c) {
    bun_tcp_socket_close(s);
    return;
  }
  bun_tcp_socket_set_data(s, c);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  conn *c = data;
  const char *p = (const char *)bytes, *end = p + len;
  out_len = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) { /* keep the unfinished tail for the next read */
      size_t n = (size_t)(end - p);
      if (c->line_len + n > MAX_LINE) {
        bun_tcp_socket_close(s); /* no such long lines in this protocol */
        return;
      }
      memcpy(c->line + c->line_len, p, n);
      c->line_len += n;
      break;
    }
    if (c->line_len) { /* finish the line started in an earlier read */
      size_t n = (size_t)(nl - p);
      if (c->line_len + n > MAX_LINE) {
        bun_tcp_socket_close(s);
        return;
      }
      memcpy(c->line + c->line_len, p, n);
      on_line(c, c->line, c->line_len + n);
      c->line_len = 0;
    } else {
      on_line(c, p, (size_t)(nl - p));
    }
    p = nl + 1;
  }
  if (out_len) bun_tcp_socket_write_all(s, (const uint8_t *)out, out_len);
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  free(data); /* NULL if open never got to allocate: fine */
}

int main(int argc, char **argv) {
  const char *env_port = getenv("PORT");
  int port = argc > 1 ? atoi(argv[1]) : env_port ? atoi(env_port) : 6380;
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";
  setvbuf(stdout, NULL, _IOLBF, 0);

  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) return 1;
  bun_tcp_handlers handlers = {.open = on_open, .data = on_data, .close = on_close};
  bun_tcp_listen_options opts = {.hostname = host, .port = (uint16_t)port};
  bun_tcp_listener l;
  int32_t rc = bun_tcp_listen(loop, &opts, &handlers, &l);
  if (rc != 0) {
    fprintf(stderr, "listen %s:%d: %s (%s)\n", host, port, bun_tcp_err_name(rc),
            bun_tcp_last_error_message());
    return 1;
  }
  printf("ping_server (bun_tcp %s) listening on %s:%u\n", bun_tcp_version(), host,
         (unsigned)bun_tcp_listener_port(l));
  rc = bun_tcp_run(loop);
  bun_tcp_loop_free(loop);
  free(out);
  return rc < 0 ? 1 : 0;
}
