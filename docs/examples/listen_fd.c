/* listen_fd: serving a listening socket made by someone else, and handing it on.
 *
 *   1. A socket bound the way systemd binds one (socket + bind, no listen, blocking, no
 *      FD_CLOEXEC) becomes a listener with bun_tcp_listen_fd; its address comes from the socket.
 *   2. A handover, here between two loops of one process (between processes the descriptor
 *      travels over SCM_RIGHTS: c-examples/handover.c): the new owner listens on a duplicate of
 *      the descriptor, the old one stops accepting without closing its connection, which keeps
 *      being served; new connections go to the new owner; nothing is refused.
 *   3. stop closes the descriptor the listener owns.
 * Exits 0 only if all of that happened. */
#include <bun_tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

typedef struct { const char *name; int accepted; } server;
typedef struct { bun_tcp_socket s; char reply[16]; } client;
/* the descriptor numbers are checked right after each stop: a new socket may reuse a number */

/* the server answers with the name of the loop that serves the connection */
static void srv_open(bun_tcp_socket s, void *d) { ((server *)d)->accepted++; }
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  const char *name = ((server *)d)->name;
  bun_tcp_socket_write_all(s, (const uint8_t *)name, strlen(name));
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  snprintf(((client *)d)->reply, sizeof ((client *)d)->reply, "%.*s", (int)n, (const char *)b);
}

static bun_tcp_loop *old_loop, *new_loop, *client_loop;

static void poll_all(void) {
  bun_tcp_poll(client_loop, 5);
  if (old_loop) bun_tcp_poll(old_loop, 0);
  bun_tcp_poll(new_loop, 0);
}

/* Connects (if c->s is zero) and asks who serves; returns the answer. */
static const char *ask(uint16_t port, client *c) {
  bun_tcp_handlers h = {.data = cli_data};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port, .data = c};
  if (c->s.id == 0) CHECK(bun_tcp_connect(client_loop, &co, &h, &c->s) == 0);
  c->reply[0] = 0;
  for (int i = 0; i < 400 && bun_tcp_socket_ready_state(c->s) == BUN_TCP_STATE_CONNECTING; i++) poll_all();
  CHECK(bun_tcp_socket_write(c->s, (const uint8_t *)"?", 1) == 1);
  for (int i = 0; i < 400 && !c->reply[0]; i++) poll_all();
  return c->reply;
}

int main(void) {
  old_loop = bun_tcp_loop_new();
  new_loop = bun_tcp_loop_new();
  client_loop = bun_tcp_loop_new();

  /* 1. what systemd passes: a bound socket (here made by hand) */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
  server old_srv = {.name = "old"}, new_srv = {.name = "new"};
  bun_tcp_handlers h = {.open = srv_open, .data = srv_data};
  bun_tcp_listen_options opts = {.data = &old_srv}; /* no hostname, port or unix_path */
  bun_tcp_listener old_l;
  CHECK(bun_tcp_listen_fd(old_loop, fd, &opts, &h, &old_l) == 0);
  char addr[64];
  bun_tcp_listener_address(old_l, addr, sizeof addr);
  uint16_t port = bun_tcp_listener_port(old_l);
  printf("1. listening on %s:%u (%s)\n", addr, (unsigned)port,
         bun_tcp_listener_family(old_l) == AF_INET ? "AF_INET" : "?");
  client first = {0};
  printf("   first client served by: %s\n", ask(port, &first));
  CHECK(strcmp(first.reply, "old") == 0);

  /* 2. handover: the new owner listens on the same socket, then the old one stops accepting */
  int handed = fcntl(fd, F_DUPFD_CLOEXEC, 0); /* between processes: sendmsg/recvmsg SCM_RIGHTS */
  bun_tcp_listener new_l;
  bun_tcp_listen_options new_opts = {.data = &new_srv};
  CHECK(bun_tcp_listen_fd(new_loop, handed, &new_opts, &h, &new_l) == 0);
  CHECK(bun_tcp_listener_stop(old_l, false) == 0); /* keeps the first client's connection */
  CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF); /* stop closed the old owner's descriptor */
  client second = {0};
  printf("2. second client served by: %s", ask(port, &second));
  printf(", first client still served by: %s\n", ask(port, &first));
  CHECK(strcmp(second.reply, "new") == 0 && strcmp(first.reply, "old") == 0);
  CHECK(old_srv.accepted == 1 && new_srv.accepted == 1);

  /* 3. stop closes the descriptor the listener owns (and here the served connections) */
  CHECK(bun_tcp_listener_stop(new_l, true) == 0);
  CHECK(fcntl(handed, F_GETFD) == -1 && errno == EBADF);
  printf("3. stop closed both descriptors\n");

  bun_tcp_loop_free(client_loop);
  bun_tcp_loop_free(old_loop);
  bun_tcp_loop_free(new_loop);
  return 0;
}
