/* connect_options: binding the local end, a connect timeout, and keep-alive in full.
 *
 * 1. local_address + local_port: the server sees the client come from exactly 127.0.0.1:<port>.
 * 2. connect_timeout_ms: a target that never answers (a listener whose accept queue is full drops
 *    further SYNs) ends with connect_error ETIMEDOUT, syscall "connect", after 200 ms or more.
 * 3. bun_tcp_socket_set_keep_alive_ex: idle 60 s, a probe every 10 s, 5 probes; the kernel reports
 *    those values, and an out-of-range count is refused with nothing changed.
 * Exits 0 only if all of this happened. */
#include <bun_tcp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int peer_port = -1, opened, failed;
static char failure[128];

static void srv_open(bun_tcp_socket s, void *d) { peer_port = bun_tcp_socket_remote_port(s); }
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void cli_open(bun_tcp_socket s, void *d) { opened++; }
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void cli_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *err) {
  failed++;
  snprintf(failure, sizeof failure, "%s, syscall %s", err->name, err->syscall);
}

/* A port nobody holds right now (bound to port 0, read, closed). */
static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0);
  close(fd);
  return ntohs(a.sin_port);
}

static int tcp_opt(int fd, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  CHECK(getsockopt(fd, IPPROTO_TCP, name, &v, &len) == 0);
  return v;
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers sh = {.open = srv_open, .data = srv_data};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1"};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &sh, &l) == 0);
  bun_tcp_handlers ch = {.open = cli_open, .data = cli_data, .connect_error = cli_connect_error};

  /* 1. the local end */
  uint16_t port = free_port();
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(l),
                                .local_address = "127.0.0.1", .local_port = port};
  bun_tcp_socket c;
  CHECK(bun_tcp_connect(loop, &co, &ch, &c) == 0);
  for (int i = 0; i < 200 && (peer_port < 0 || !opened); i++) bun_tcp_poll(loop, 50);
  printf("the server sees the client's port: %s\n", peer_port == port ? "the one asked for" : "another");
  CHECK(peer_port == port && opened == 1);

  /* 3. keep-alive in full, on the connection just made */
  CHECK(bun_tcp_socket_set_keep_alive_ex(c, true, 60, 10, 5) == 0);
  int fd = bun_tcp_socket_fd(c);
  printf("TCP_KEEPIDLE %d, TCP_KEEPINTVL %d, TCP_KEEPCNT %d\n", tcp_opt(fd, TCP_KEEPIDLE),
         tcp_opt(fd, TCP_KEEPINTVL), tcp_opt(fd, TCP_KEEPCNT));
  CHECK(tcp_opt(fd, TCP_KEEPIDLE) == 60 && tcp_opt(fd, TCP_KEEPINTVL) == 10 && tcp_opt(fd, TCP_KEEPCNT) == 5);
  CHECK(bun_tcp_socket_set_keep_alive_ex(c, true, 60, 10, 500) == BUN_TCP_EINVAL); /* TCP_KEEPCNT <= 127 */
  CHECK(tcp_opt(fd, TCP_KEEPCNT) == 5);
  CHECK(bun_tcp_socket_close(c) == 0);

  /* 2. a connect timeout against a target that never answers */
  int silent = socket(AF_INET, SOCK_STREAM, 0), filler = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  CHECK(bind(silent, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(silent, 0) == 0);
  CHECK(getsockname(silent, (struct sockaddr *)&sa, &len) == 0);
  CHECK(connect(filler, (struct sockaddr *)&sa, sizeof sa) == 0); /* the queue is full now */
  bun_tcp_connect_options to = {.hostname = "127.0.0.1", .port = ntohs(sa.sin_port),
                                .connect_timeout_ms = 200};
  double t0 = now_ms();
  CHECK(bun_tcp_connect(loop, &to, &ch, &c) == 0);
  while (!failed) bun_tcp_poll(loop, -1);
  double waited = now_ms() - t0;
  printf("connect_error: %s\n", failure);
  CHECK(strcmp(failure, "ETIMEDOUT, syscall connect") == 0 && waited >= 200 && opened == 1);

  close(filler);
  close(silent);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  return 0;
}
