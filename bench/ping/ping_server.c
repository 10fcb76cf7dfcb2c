/* ping_server: a minimal Redis-protocol PING server on bun_tcp, for redis-benchmark.
 *
 *   usage: ping_server [port] [host]     (port also from $PORT; defaults 6380, 127.0.0.1)
 *
 * Every command gets one reply: PING -> "+PONG\r\n", anything else -> "-ERR ...\r\n".
 * Commands arrive inline ("PING\r\n", what `redis-benchmark -t ping_inline` sends, possibly many
 * per read with -P) or as RESP arrays ("*1\r\n$4\r\nPING\r\n", e.g. redis-benchmark's start-up
 * CONFIG GET). Lines may be split across reads: the unfinished tail is kept per socket. The parser
 * is bench/servers/proto.h's, shared with the epoll and libuv servers (same work per request).
 * All replies to one `data` call leave in a single bun_tcp_socket_write_all().
 * bench/ping/server.js is the same program for Bun. */
#include "../servers/proto.h"

#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>

static out_buf out; /* replies of the current `data` call, shared (one thread) */

static void on_open(bun_tcp_socket s, void *data) {
  ping_state *c = calloc(1, sizeof *c);
  if (!c) {
    bun_tcp_socket_close(s);
    return;
  }
  bun_tcp_socket_set_data(s, c);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  out.len = 0;
  if (ping_feed(data, (const char *)bytes, len, &out) < 0) {
    bun_tcp_socket_close(s); /* no such long lines in this protocol */
    return;
  }
  if (out.len) bun_tcp_socket_write_all(s, (const uint8_t *)out.data, out.len);
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  if (data) ping_state_release(data);
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
  free(out.data);
  return rc < 0 ? 1 : 0;
}
