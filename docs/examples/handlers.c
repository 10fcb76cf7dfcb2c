/* handlers: one handler table shared by a listener and every socket it accepts, user data per
 * listener and per socket, and the order in which handlers fire.
 *
 * Two clients connect to one listener, send a line, read the echo and end their side. The server
 * keeps one `conn` per accepted socket (set with bun_tcp_socket_set_data in `open`); the listener's
 * own data (`server`) is what every accepted socket starts with. At the end a third connect goes
 * to the stopped listener's port and fails: `connect_error` only, never `open` or `close`.
 * Prints each socket's trace; exits 0 only if every trace is exactly as docs/guide.md says. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

typedef struct { char name[24]; char trace[128]; } conn;       /* one per socket */
typedef struct { int accepted; conn conns[2]; } server;        /* the listener's data */

static server srv;
static bun_tcp_listener listener;

static void note(void *data, const char *event) {
  conn *c = data;
  if (c->trace[0]) strcat(c->trace, " ");
  strcat(c->trace, event);
}

/* ---- the server's table: every accepted socket uses it ---- */
static void srv_open(bun_tcp_socket s, void *data) {
  CHECK(data == &srv);                                   /* starts as the listener's data */
  CHECK(bun_tcp_socket_listener(s).id == listener.id);
  conn *c = &srv.conns[srv.accepted++];
  snprintf(c->name, sizeof c->name, "server %d", srv.accepted);
  CHECK(bun_tcp_socket_set_data(s, c) == 0);             /* every later handler gets `c` */
  note(c, "open");
}
static void srv_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  note(data, "data");
  bun_tcp_socket_write_all(s, bytes, len);               /* echo */
}
static void srv_end(bun_tcp_socket s, void *data) { note(data, "end"); }
static void srv_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  CHECK(err == NULL);
  note(data, "close");
}

/* ---- the clients' table: copied into each client socket; data is the socket's own conn ---- */
static void cli_open(bun_tcp_socket s, void *data) {
  note(data, "open");
  const char *line = "hello\n";
  bun_tcp_socket_write_all(s, (const uint8_t *)line, strlen(line));
}
static void cli_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  note(data, "data");
  bun_tcp_socket_end(s, NULL, 0);                        /* FIN; we keep reading */
}
static void cli_end(bun_tcp_socket s, void *data) { note(data, "end"); }
static void cli_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) { note(data, "close"); }
static void cli_connect_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  CHECK(strcmp(err->name, "ECONNREFUSED") == 0 && strcmp(err->syscall, "connect") == 0);
  note(data, "connect_error");
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers sh = {.open = srv_open, .data = srv_data, .end = srv_end, .close = srv_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0, .data = &srv};
  CHECK(bun_tcp_listen(loop, &lo, &sh, &listener) == 0);
  CHECK(bun_tcp_listener_data(listener) == &srv);

  bun_tcp_handlers ch = {.open = cli_open, .data = cli_data, .end = cli_end,
                         .close = cli_close, .connect_error = cli_connect_error};
  conn clients[3] = {{.name = "client 1"}, {.name = "client 2"}, {.name = "client 3"}};
  for (int i = 0; i < 2; i++) {
    bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(listener),
                                  .data = &clients[i]};
    bun_tcp_socket s;
    CHECK(bun_tcp_connect(loop, &co, &ch, &s) == 0);
    CHECK(bun_tcp_socket_ready_state(s) == BUN_TCP_STATE_CONNECTING);
  }
  /* The listener keeps the loop alive, so poll until both server sockets have closed. */
  for (int i = 0; i < 400 && bun_tcp_loop_socket_count(loop) > 0; i++) bun_tcp_poll(loop, 50);
  uint16_t port = bun_tcp_listener_port(listener);
  CHECK(bun_tcp_listener_stop(listener, true) == 0);

  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port, .data = &clients[2]};
  bun_tcp_socket s;
  CHECK(bun_tcp_connect(loop, &co, &ch, &s) == 0);       /* fails later, from the loop */
  CHECK(bun_tcp_run(loop) == 0);                         /* returns: nothing keeps the loop alive */
  CHECK(bun_tcp_socket_ready_state(s) == BUN_TCP_STATE_CLOSED);

  for (int i = 0; i < 2; i++) printf("%-9s %s\n", srv.conns[i].name, srv.conns[i].trace);
  for (int i = 0; i < 3; i++) printf("%-9s %s\n", clients[i].name, clients[i].trace);
  CHECK(srv.accepted == 2);
  for (int i = 0; i < 2; i++) {
    CHECK(strcmp(srv.conns[i].trace, "open data end close") == 0);
    CHECK(strcmp(clients[i].trace, "open data end close") == 0);
  }
  CHECK(strcmp(clients[2].trace, "connect_error") == 0);
  bun_tcp_loop_free(loop);
  printf("ok\n");
  return 0;
}
