/* reload: hot-swapping handler tables, for a whole listener and for one socket.
 *
 * The server answers every message with the name of the table that handled it ("v1", "v2", ...).
 *   1. Client A talks to a server socket that uses the listener's table v1.
 *   2. bun_tcp_listener_reload(v2): A's live server socket answers "v2" from its next event, and
 *      so does client B, accepted afterwards.
 *   3. bun_tcp_socket_reload(A's server socket, v3): that one socket gets its own table; B is
 *      unaffected.
 *   4. bun_tcp_listener_reload(v4): B follows the listener; A keeps its own table v3.
 * Exits 0 only if every answer names the table the guide says. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

typedef struct { bun_tcp_socket s; char reply[8]; } client;
static bun_tcp_socket accepted[2];
static int n_accepted;

static void answer(bun_tcp_socket s, const char *table) {
  bun_tcp_socket_write_all(s, (const uint8_t *)table, strlen(table));
}
static void v1_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { answer(s, "v1"); }
static void v2_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { answer(s, "v2"); }
static void v3_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { answer(s, "v3"); }
static void v4_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { answer(s, "v4"); }
static void srv_open(bun_tcp_socket s, void *d) { accepted[n_accepted++] = s; }

static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  client *c = d;
  snprintf(c->reply, sizeof c->reply, "%.*s", (int)n, (const char *)b);
}

/* Sends one message and returns the table name that came back. */
static const char *ask(bun_tcp_loop *loop, client *c) {
  c->reply[0] = 0;
  CHECK(bun_tcp_socket_write(c->s, (const uint8_t *)"?", 1) == 1);
  for (int i = 0; i < 200 && !c->reply[0]; i++) bun_tcp_poll(loop, 50);
  return c->reply;
}
static void connect_client(bun_tcp_loop *loop, uint16_t port, client *c) {
  bun_tcp_handlers h = {.data = cli_data};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port, .data = c};
  int before = n_accepted;
  CHECK(bun_tcp_connect(loop, &co, &h, &c->s) == 0);
  for (int i = 0; i < 200 && n_accepted == before; i++) bun_tcp_poll(loop, 50);
  CHECK(n_accepted == before + 1);
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers v1 = {.open = srv_open, .data = v1_data};
  bun_tcp_handlers v2 = {.open = srv_open, .data = v2_data};
  bun_tcp_handlers v3 = {.data = v3_data};
  bun_tcp_handlers v4 = {.open = srv_open, .data = v4_data};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1"};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &v1, &l) == 0);
  client a = {0}, b = {0};

  connect_client(loop, bun_tcp_listener_port(l), &a);
  printf("1. A: %s\n", ask(loop, &a));
  CHECK(strcmp(a.reply, "v1") == 0);

  CHECK(bun_tcp_listener_reload(l, &v2) == 0);
  connect_client(loop, bun_tcp_listener_port(l), &b);
  printf("2. A: %s", ask(loop, &a));
  printf(", B: %s\n", ask(loop, &b));
  CHECK(strcmp(a.reply, "v2") == 0 && strcmp(b.reply, "v2") == 0);

  CHECK(bun_tcp_socket_reload(accepted[0], &v3) == 0);
  printf("3. A: %s", ask(loop, &a));
  printf(", B: %s\n", ask(loop, &b));
  CHECK(strcmp(a.reply, "v3") == 0 && strcmp(b.reply, "v2") == 0);

  CHECK(bun_tcp_listener_reload(l, &v4) == 0);
  printf("4. A: %s", ask(loop, &a));
  printf(", B: %s\n", ask(loop, &b));
  CHECK(strcmp(a.reply, "v3") == 0 && strcmp(b.reply, "v4") == 0);

  bun_tcp_handlers empty = {.open = srv_open};           /* neither data nor drain */
  CHECK(bun_tcp_listener_reload(l, &empty) == BUN_TCP_EINVAL);
  CHECK(bun_tcp_listener_stop(l, true) == 0);
  bun_tcp_loop_free(loop);
  printf("ok\n");
  return 0;
}
