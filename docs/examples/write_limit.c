/* write_limit: bound the memory a slow reader can cost (beyond Bun).
 *
 * The server pauses reading, so the client's kernel buffers fill. The client has a write limit of
 * 64 KiB: write_all accepts 4 KiB chunks until the next one would take the queue past the limit,
 * then returns -ENOBUFS having sent and queued nothing. An `end` that does not fit is refused the
 * same way and the socket stays open. When the server reads again, `drain` fires with an empty
 * queue and the client ends there. The server checks that it received exactly the accepted bytes.
 * Exits 0 only if all of this happened. */
#include <bun_tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)
#define LIMIT (64u << 10)
#define CHUNK 4096u

static uint8_t chunk[CHUNK];
static size_t accepted, received;        /* bytes the client's calls took; bytes the server got */
static int drains, closes;
static bun_tcp_socket server_sock;

static void cli_drain(bun_tcp_socket s, void *data) {
  drains++;
  CHECK(bun_tcp_socket_buffered_amount(s) == 0);
  CHECK(bun_tcp_socket_end(s, chunk, CHUNK) == CHUNK); /* fits now */
  accepted += CHUNK;
}
static void cli_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) { closes++; }
static void srv_open(bun_tcp_socket s, void *data) {
  server_sock = s;
  bun_tcp_socket_pause(s);               /* a slow reader: reads nothing until main() resumes it */
}
static void srv_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) { received += len; }
static void srv_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) { closes++; }

int main(void) {
  memset(chunk, 'x', sizeof chunk);
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers sh = {.open = srv_open, .data = srv_data, .close = srv_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1"};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &sh, &l) == 0);
  bun_tcp_handlers ch = {.drain = cli_drain, .close = cli_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(l)};
  bun_tcp_socket c;
  CHECK(bun_tcp_connect(loop, &co, &ch, &c) == 0);
  while (server_sock.id == 0 || bun_tcp_socket_ready_state(c) != BUN_TCP_STATE_OPEN) bun_tcp_poll(loop, 50);

  CHECK(bun_tcp_socket_set_write_limit(c, LIMIT) == 0);
  int64_t rc;
  while ((rc = bun_tcp_socket_write_all(c, chunk, CHUNK)) == CHUNK) accepted += CHUNK;
  CHECK(rc == -ENOBUFS);                  /* the queue would pass the limit: nothing taken */
  size_t queued = bun_tcp_socket_buffered_amount(c);
  CHECK(queued <= LIMIT && queued + CHUNK > LIMIT);
  CHECK(bun_tcp_socket_end(c, chunk, CHUNK) == -ENOBUFS);
  CHECK(bun_tcp_socket_ready_state(c) == BUN_TCP_STATE_OPEN);   /* refused: no FIN, still open */
  printf("accepted %zu bytes, %zu queued, then -ENOBUFS\n", accepted, queued);

  CHECK(bun_tcp_socket_resume(server_sock) == 0);
  while (closes < 2) bun_tcp_poll(loop, 50);
  printf("server received %zu bytes, %d drain\n", received, drains);
  CHECK(received == accepted && drains == 1);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  return 0;
}
