/* echo: the C side of the before/after example in docs/migration.md.
 *
 * An echo server that keeps per-connection state (a byte count) as each socket's user data, and
 * reports it when the connection closes: the same program as the Bun script shown next to it.
 * To check itself, main() also connects one client, which sends "hello", reads the echo and ends;
 * exits 0 only if the echo came back and the server's socket counted 5 bytes. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

static size_t last_count;  /* the server's count for the last connection that closed */
static char echoed[16];

typedef struct { size_t bytes; } conn;

static void on_open(bun_tcp_socket s, void *data) {
  conn *c = calloc(1, sizeof *c);              /* socket.data = { bytes: 0 } */
  bun_tcp_socket_set_data(s, c);
}
static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  conn *c = data;
  c->bytes += len;
  bun_tcp_socket_write_all(s, bytes, len);     /* queues what the kernel does not take now */
}
static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  conn *c = data;
  printf("closed after %zu bytes\n", c->bytes);
  last_count = c->bytes;
  free(c);                                     /* close is the last handler: free here */
}

static bun_tcp_listener start_server(bun_tcp_loop *loop) {
  bun_tcp_handlers handlers = {.open = on_open, .data = on_data, .close = on_close};
  bun_tcp_listen_options opts = {.hostname = "127.0.0.1", .port = 0};
  bun_tcp_listener listener;
  int32_t rc = bun_tcp_listen(loop, &opts, &handlers, &listener);
  if (rc != 0) {
    fprintf(stderr, "listen: %s (%s)\n", bun_tcp_err_name(rc), bun_tcp_last_error_message());
    exit(1);
  }
  printf("listening on 127.0.0.1:%u\n", (unsigned)bun_tcp_listener_port(listener));
  return listener;
}

/* ---- the self-check: one client ---- */
static void cli_open(bun_tcp_socket s, void *data) { bun_tcp_socket_write_all(s, (const uint8_t *)"hello", 5); }
static void cli_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  strncat(echoed, (const char *)bytes, len < 5 ? len : 5);
  if (strlen(echoed) == 5) bun_tcp_socket_end(s, NULL, 0);
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_listener listener = start_server(loop);
  bun_tcp_handlers ch = {.open = cli_open, .data = cli_data};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(listener)};
  bun_tcp_socket client;
  CHECK(bun_tcp_connect(loop, &co, &ch, &client) == 0);
  for (int i = 0; i < 200 && last_count == 0; i++) bun_tcp_poll(loop, 50);
  printf("client got \"%s\" back\n", echoed);
  CHECK(strcmp(echoed, "hello") == 0 && last_count == 5);
  bun_tcp_listener_stop(listener, true);
  bun_tcp_loop_free(loop);
  printf("ok\n");
  return 0;
}
