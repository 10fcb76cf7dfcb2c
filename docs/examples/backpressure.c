/* backpressure: Bun's unbuffered write + drain, then the buffered helpers (beyond Bun): write_all,
 * buffered_amount and cork.
 *
 * The server pauses reading, so the kernel buffers fill. Phase 1: the client sends 16 MiB with
 * bun_tcp_socket_write; the first call is a short write (0 < n < len), and every time `drain` fires
 * the client resends from where it stopped. Phase 2: write_all accepts another 16 MiB at once,
 * queues what the kernel did not take (buffered_amount > 0), and `drain` fires when the queue is
 * empty. Phase 3: while corked, three small writes are queued and leave together at uncork.
 * The server checks that every byte arrived, in order. Exits 0 only if all of this happened. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)
#define BIG (16u << 20)

static uint8_t *payload;                 /* BIG bytes; byte i is (uint8_t)(i * 7) */
static size_t sent;                      /* phase 1: bytes of payload the kernel took so far */
static int64_t first_write = -1;
static int phase = 1, drains;
static size_t received, mismatches;      /* server side */
static bun_tcp_socket server_sock;

static void pump(bun_tcp_socket s) {     /* phase 1: send until a short write */
  while (sent < BIG) {
    int64_t n = bun_tcp_socket_write(s, payload + sent, BIG - sent);
    CHECK(n >= 0);                       /* negative: the connection broke; close follows */
    if (sent == 0) first_write = n;
    sent += (size_t)n;
    if (sent < BIG) return;              /* short write: `drain` will call us again */
  }
}
static void cli_open(bun_tcp_socket s, void *data) { pump(s); }
static void cli_drain(bun_tcp_socket s, void *data) {
  drains++;
  if (phase == 1) { pump(s); return; }
  if (phase == 2) {                      /* write_all's queue is empty again */
    CHECK(bun_tcp_socket_buffered_amount(s) == 0);
    printf("phase 2: drain with an empty queue\n");
    phase = 3;
  }
}

static void srv_open(bun_tcp_socket s, void *data) {
  server_sock = s;
  bun_tcp_socket_pause(s);               /* read nothing until main() resumes us */
}
static void srv_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  for (size_t i = 0; i < len; i++, received++) {        /* 2 x payload, then "abc" */
    size_t at = received;
    uint8_t want = at < 2 * (size_t)BIG ? (uint8_t)((at % BIG) * 7) : (uint8_t)"abc"[at - 2 * BIG];
    if (bytes[i] != want) mismatches++;
  }
}

int main(void) {
  payload = malloc(BIG);
  for (size_t i = 0; i < BIG; i++) payload[i] = (uint8_t)(i * 7);
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers sh = {.open = srv_open, .data = srv_data};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1"};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &sh, &l) == 0);
  bun_tcp_handlers ch = {.open = cli_open, .drain = cli_drain};   /* no `data`: `drain` is enough */
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(l)};
  bun_tcp_socket c;
  CHECK(bun_tcp_connect(loop, &co, &ch, &c) == 0);

  for (int i = 0; i < 100 && sent == 0; i++) bun_tcp_poll(loop, 50);
  printf("first write: %lld of %u bytes\n", (long long)first_write, BIG);
  CHECK(first_write > 0 && first_write < BIG);
  for (int i = 0; i < 4; i++) bun_tcp_poll(loop, 50);
  CHECK(sent < BIG);                     /* stuck: the server is paused, the buffers are full */
  CHECK(bun_tcp_socket_resume(server_sock) == 0);
  for (int i = 0; i < 1000 && sent < BIG; i++) bun_tcp_poll(loop, 50);
  CHECK(sent == BIG);
  printf("phase 1: %u bytes through write + drain, %d drains\n", BIG, drains);

  /* Phase 2: the server is paused again; write_all takes everything anyway. */
  for (int i = 0; i < 1000 && received < BIG; i++) bun_tcp_poll(loop, 50);
  CHECK(bun_tcp_socket_pause(server_sock) == 0);
  phase = 2;
  CHECK(bun_tcp_socket_write_all(c, payload, BIG) == BIG);
  size_t queued = bun_tcp_socket_buffered_amount(c);
  printf("phase 2: write_all returned %u, %zu bytes queued\n", BIG, queued);
  CHECK(queued > 0);
  CHECK(bun_tcp_socket_write(c, (const uint8_t *)"x", 1) == 0); /* would jump the queue: refused */
  CHECK(bun_tcp_socket_resume(server_sock) == 0);
  for (int i = 0; i < 1000 && phase == 2; i++) bun_tcp_poll(loop, 50);
  CHECK(phase == 3);
  for (int i = 0; i < 1000 && received < 2 * (size_t)BIG; i++) bun_tcp_poll(loop, 50);

  /* Phase 3: cork; three writes are queued (each returns its length) and leave in one writev. */
  CHECK(bun_tcp_socket_cork(c) == 0);
  CHECK(bun_tcp_socket_write(c, (const uint8_t *)"a", 1) == 1);
  CHECK(bun_tcp_socket_write_all(c, (const uint8_t *)"b", 1) == 1);
  CHECK(bun_tcp_socket_write(c, (const uint8_t *)"c", 1) == 1);
  CHECK(bun_tcp_socket_buffered_amount(c) == 3);
  CHECK(bun_tcp_socket_uncork(c) == 0);
  CHECK(bun_tcp_socket_buffered_amount(c) == 0);
  for (int i = 0; i < 1000 && received < 2 * (size_t)BIG + 3; i++) bun_tcp_poll(loop, 50);
  printf("server received %zu bytes, %zu out of place\n", received, mismatches);
  CHECK(received == 2 * (size_t)BIG + 3 && mismatches == 0);
  CHECK(bun_tcp_socket_bytes_written(c) == 2 * (uint64_t)BIG + 3);

  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  free(payload);
  printf("ok\n");
  return 0;
}
