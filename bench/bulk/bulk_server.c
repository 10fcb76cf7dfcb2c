/* bulk_server: sends BYTES bytes to every client, then ends the connection (bun_tcp).
 *
 *   usage: bulk_server PORT BYTES [CERT KEY]       (with CERT and KEY: over TLS)
 *
 * Bun-style flow control: `write` until the kernel takes less than offered (a short write), then
 * wait for `drain` and go on; after the last byte, `end` (FIN). On close it prints
 * "sent N of BYTES bytes" (for the driver's byte-count check). bench/bulk/server.js is the same
 * program for Bun; bench/bulk/epoll_bulk.c the same without a library. */
#include <bun_tcp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define CHUNK (256u * 1024) /* bytes offered per write: the same in all three servers */

static uint8_t chunk[CHUNK];
static uint64_t total;

typedef struct {
  uint64_t sent;
  int ended;
} conn;

/* Writes until a short write (drain follows) or the end. */
static void pump(bun_tcp_socket s, conn *c) {
  while (c->sent < total) {
    size_t want = total - c->sent < CHUNK ? (size_t)(total - c->sent) : CHUNK;
    int64_t n = bun_tcp_socket_write(s, chunk, want);
    if (n < 0) return; /* broken: close follows */
    c->sent += (uint64_t)n;
    if ((size_t)n < want) return;
  }
  if (!c->ended) {
    c->ended = 1;
    bun_tcp_socket_end(s, NULL, 0);
  }
}

static void on_open(bun_tcp_socket s, void *data) {
  conn *c = calloc(1, sizeof *c);
  if (!c) {
    bun_tcp_socket_close(s);
    return;
  }
  bun_tcp_socket_set_data(s, c);
  pump(s, c);
}

static void on_drain(bun_tcp_socket s, void *data) {
  if (data) pump(s, data);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  /* the client sends nothing */
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  conn *c = data;
  if (!c) return;
  printf("sent %" PRIu64 " of %" PRIu64 " bytes%s%s\n", c->sent, total, err ? " error " : "",
         err ? err->name : "");
  free(c);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 5) {
    fprintf(stderr, "usage: bulk_server PORT BYTES [CERT KEY]\n");
    return 2;
  }
  total = strtoull(argv[2], NULL, 10);
  for (size_t i = 0; i < CHUNK; i++) chunk[i] = (uint8_t)('a' + i % 26);
  setvbuf(stdout, NULL, _IOLBF, 0);

  bun_tcp_tls_options tls = {0};
  bun_tcp_listen_options opts = {.hostname = "127.0.0.1", .port = (uint16_t)atoi(argv[1])};
  if (argc == 5) {
    tls.cert_file = argv[3];
    tls.key_file = argv[4];
    opts.tls = &tls;
  }
  bun_tcp_handlers handlers = {
      .open = on_open, .data = on_data, .drain = on_drain, .close = on_close};
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_listener l;
  int32_t rc = loop ? bun_tcp_listen(loop, &opts, &handlers, &l) : -1;
  if (rc != 0) {
    fprintf(stderr, "listen: %s (%s)\n", bun_tcp_err_name(rc), bun_tcp_last_error_message());
    return 1;
  }
  printf("bulk_server (bun_tcp %s%s) listening on 127.0.0.1:%u\n", bun_tcp_version(),
         argc == 5 ? ", TLS" : "", (unsigned)bun_tcp_listener_port(l));
  rc = bun_tcp_run(loop);
  bun_tcp_loop_free(loop);
  return rc < 0 ? 1 : 0;
}
