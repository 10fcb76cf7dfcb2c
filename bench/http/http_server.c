/* http_server: a minimal HTTP/1.1 keep-alive server on bun_tcp, for wrk.
 *
 *   usage: http_server [port] [host]     (port also from $PORT; defaults 8080, 127.0.0.1)
 *
 * Each request (it ends at "\r\n\r\n"; no bodies) gets the fixed response HTTP_RESPONSE of
 * bench/servers/proto.h ("Hello, World!"), the parser the other C servers use too; requests may
 * be pipelined or split across reads. All responses to one `data` call leave in a single
 * bun_tcp_socket_write_all(). bench/http/server.js is the same program for Bun. */
#include "../servers/proto.h"

#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>

static out_buf out; /* responses of the current `data` call, shared (one thread) */

static void on_open(bun_tcp_socket s, void *data) {
  http_state *st = calloc(1, sizeof *st);
  if (!st) {
    bun_tcp_socket_close(s);
    return;
  }
  bun_tcp_socket_set_data(s, st);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  out.len = 0;
  http_replies(http_feed(data, (const char *)bytes, len), &out);
  if (out.len) bun_tcp_socket_write_all(s, (const uint8_t *)out.data, out.len);
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) { free(data); }

int main(int argc, char **argv) {
  const char *env_port = getenv("PORT");
  int port = argc > 1 ? atoi(argv[1]) : env_port ? atoi(env_port) : 8080;
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
  printf("http_server (bun_tcp %s) listening on %s:%u\n", bun_tcp_version(), host,
         (unsigned)bun_tcp_listener_port(l));
  rc = bun_tcp_run(loop);
  bun_tcp_loop_free(loop);
  free(out.data);
  return rc < 0 ? 1 : 0;
}
