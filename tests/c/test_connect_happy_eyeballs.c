/* Happy Eyeballs (RFC 8305) through the C API: a host name with an IPv6 and an IPv4 address.
 * This program interposes getaddrinfo (the library is linked statically into it) so that the name
 * "racing.test" resolves to [::1] then 127.0.0.1, in that order. The IPv6 address is "silent": a
 * listener with backlog 0 whose queue one connection already fills, so the kernel drops further
 * SYNs and a connect there stays in flight.
 *   1. silent IPv6 + live IPv4: open fires once, on 127.0.0.1, no earlier than the attempt delay
 *      (250 ms), and the losing attempt's descriptor is closed;
 *   2. both refused: one connect_error ECONNREFUSED, nothing else;
 *   3. both silent, closed by the user: one connect_error ECANCELED, every descriptor closed. */
#include "harness.h"
#include <dlfcn.h>
#include <netdb.h>

#define RACING_NAME "racing.test"
#define ATTEMPT_DELAY_MS 250

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

static gai_fn real_getaddrinfo(void) {
  void *sym = dlsym(RTLD_NEXT, "getaddrinfo");
  gai_fn real = NULL;
  if (sym) memcpy(&real, &sym, sizeof real);
  return real;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
  gai_fn real = real_getaddrinfo();
  if (!real) return EAI_FAIL;
  if (!node || strcmp(node, RACING_NAME) != 0) return real(node, service, hints, res);
  /* Two numeric answers chained: freeaddrinfo frees a list node by node. */
  struct addrinfo numeric;
  memset(&numeric, 0, sizeof numeric);
  numeric.ai_flags = AI_NUMERICHOST;
  numeric.ai_socktype = SOCK_STREAM;
  struct addrinfo *v6 = NULL, *v4 = NULL;
  if (real("::1", service, &numeric, &v6) != 0) return EAI_FAIL;
  if (real("127.0.0.1", service, &numeric, &v4) != 0) {
    freeaddrinfo(v6);
    return EAI_FAIL;
  }
  struct addrinfo *tail = v6;
  while (tail->ai_next) tail = tail->ai_next;
  tail->ai_next = v4;
  *res = v6;
  return 0;
}

/* A listener on [::1]:port that answers no more SYNs. */
typedef struct silent {
  int listener, filler;
} silent_t;

static silent_t silent_v6(uint16_t port) {
  silent_t s;
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  a.sin6_port = htons(port);
  int one = 1;
  s.listener = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(s.listener >= 0);
  CHECK_OK(setsockopt(s.listener, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
  CHECK_MSG(bind(s.listener, (struct sockaddr *)&a, sizeof a) == 0, "bind [::1]:%u: %s", port, strerror(errno));
  CHECK_OK(listen(s.listener, 0));
  socklen_t len = sizeof a;
  CHECK_OK(getsockname(s.listener, (struct sockaddr *)&a, &len)); /* the port, if it was 0 */
  s.filler = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(s.filler >= 0);
  CHECK_MSG(connect(s.filler, (struct sockaddr *)&a, sizeof a) == 0, "connect filler: %s", strerror(errno));
  return s;
}

static void silent_close(silent_t s) {
  close(s.filler);
  close(s.listener);
}

static bun_tcp_connect_options racing_to(uint16_t port, void *data) {
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = RACING_NAME;
  co.port = port;
  co.data = data;
  return co;
}

/* A port with nothing listening on 127.0.0.1 or [::1]: listen, note the port, stop. */
static uint16_t closed_port(bun_tcp_loop *loop, const bun_tcp_handlers *h) {
  srv_t probe;
  srv_init(&probe);
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "::";
  o.data = &probe;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, h, &l));
  uint16_t port = bun_tcp_listener_port(l);
  CHECK_OK(bun_tcp_listener_stop(l, false));
  return port;
}

static srv_t sv;
static rec_t won, refused, cancelled;

int main(void) {
  test_init("connect_happy_eyeballs", 30);
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers h = rec_handlers();

  test_case("a silent IPv6 address loses to IPv4 started after the attempt delay");
  srv_init(&sv);
  rec_init(&won);
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.data = &sv;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, &h, &l));
  uint16_t port = bun_tcp_listener_port(l);
  silent_t quiet = silent_v6(port);
  int fds_before = count_open_fds();
  bun_tcp_connect_options co = racing_to(port, &won);
  double started = now_ms();
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &won.s));
  RUN_UNTIL(loop, won.n_open == 1 && sv.n_accepted == 1);
  double waited = now_ms() - started;
  char addr[64];
  CHECK_CMP(bun_tcp_socket_remote_address(won.s, addr, sizeof addr), >, 0);
  printf("    open after %.0f ms, on %s\n", waited, addr);
  CHECK_STR(addr, "127.0.0.1");
  CHECK_MSG(waited >= ATTEMPT_DELAY_MS, "the IPv4 attempt started after %.0f ms", waited);
  CHECK_EQ(count_open_fds(), fds_before + 2); /* the client and the accepted socket */
  CHECK_OK(bun_tcp_socket_close(won.s));
  CHECK_TRACE(&won.tr, "open,close");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  silent_close(quiet);

  test_case("every address refused: one connect_error with the last error");
  rec_init(&refused);
  co = racing_to(closed_port(loop, &h), &refused);
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &refused.s));
  RUN_UNTIL(loop, refused.n_connect_error == 1);
  poll_ok(loop, 0);
  CHECK_TRACE(&refused.tr, "connect_error:ECONNREFUSED");
  CHECK_EQ(refused.total_calls, 1);

  test_case("closing while both attempts are in flight cancels both");
  rec_init(&cancelled);
  silent_t a = silent_v6(0);
  struct sockaddr_in6 bound;
  socklen_t len = sizeof bound;
  CHECK_OK(getsockname(a.listener, (struct sockaddr *)&bound, &len));
  uint16_t silent_port = ntohs(bound.sin6_port);
  /* 127.0.0.1 on the same port number: bound, backlog 0, one filler: silent too. */
  int v4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), v4_filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a4;
  memset(&a4, 0, sizeof a4);
  a4.sin_family = AF_INET;
  a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a4.sin_port = htons(silent_port);
  CHECK_MSG(bind(v4, (struct sockaddr *)&a4, sizeof a4) == 0, "bind 127.0.0.1:%u: %s", silent_port, strerror(errno));
  CHECK_OK(listen(v4, 0));
  CHECK_OK(connect(v4_filler, (struct sockaddr *)&a4, sizeof a4));
  fds_before = count_open_fds();
  co = racing_to(silent_port, &cancelled);
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &cancelled.s));
  RUN_UNTIL(loop, count_open_fds() == fds_before + 2);
  CHECK_EQ(cancelled.total_calls, 0);
  CHECK_EQ(bun_tcp_socket_ready_state(cancelled.s), 2);
  CHECK_OK(bun_tcp_socket_close(cancelled.s));
  CHECK_TRACE(&cancelled.tr, "connect_error:ECANCELED");
  CHECK_EQ(count_open_fds(), fds_before);
  close(v4_filler);
  close(v4);
  silent_close(a);

  poll_ok(loop, 0);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  return test_pass();
}
