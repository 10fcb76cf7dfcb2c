/* Connecting by host name: "localhost" resolves and opens (the success path of the resolver), and
 * the lookup runs off the loop thread (the header: bun_tcp_connect: never a blocking getaddrinfo inside bun_tcp_poll):
 * this program interposes getaddrinfo (the library is linked statically into it) and records the
 * calling thread of every lookup made after the listener exists. listen() itself is synchronous and
 * may resolve on the calling thread. */
#include "harness.h"
#include <dlfcn.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/syscall.h>

static pid_t main_tid;
static int lookups, lookups_on_main;
static bool recording;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
  pthread_mutex_lock(&mu);
  if (recording && !(hints && (hints->ai_flags & AI_NUMERICHOST))) {
    lookups++;
    if ((pid_t)syscall(SYS_gettid) == main_tid) lookups_on_main++;
  }
  pthread_mutex_unlock(&mu);
  void *sym = dlsym(RTLD_NEXT, "getaddrinfo");
  if (!sym) return EAI_FAIL;
  gai_fn real;
  memcpy(&real, &sym, sizeof real);
  return real(node, service, hints, res);
}

static srv_t sv;
static rec_t c, bad;

int main(void) {
  test_init("connect_hostname", 30);
  main_tid = (pid_t)syscall(SYS_gettid);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  rec_init(&bad);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "localhost";
  o.data = &sv;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, &h, &l));
  uint16_t port = bun_tcp_listener_port(l);

  bool nx = resolver_reports_nxdomain(); /* probe before recording starts */
  pthread_mutex_lock(&mu);
  recording = true;
  pthread_mutex_unlock(&mu);

  test_case("connect(\"localhost\") opens");
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "localhost";
  co.port = port;
  co.data = &c;
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &c.s));
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), 2);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  char addr[64];
  CHECK_CMP(bun_tcp_socket_remote_address(c.s, addr, sizeof addr), >, 0);
  printf("    connected to %s:%d\n", addr, bun_tcp_socket_remote_port(c.s));
  CHECK_MSG(strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0, "remote address %s", addr);
  CHECK_EQ(bun_tcp_socket_end(c.s, (const uint8_t *)"hi", 2), 2);
  RUN_UNTIL(loop, c.n_close == 1 && sv.socks[0].n_close == 1);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:hi,end,close");

  test_case("a failing lookup also runs off the loop thread");
  if (nx) {
    co.hostname = UNRESOLVABLE_HOST;
    co.data = &bad;
    CHECK_OK(bun_tcp_connect(loop, &co, &h, &bad.s));
    RUN_UNTIL(loop, bad.n_connect_error == 1);
  }

  pthread_mutex_lock(&mu);
  int n = lookups, on_main = lookups_on_main;
  pthread_mutex_unlock(&mu);
  printf("    %d lookups seen, %d on the loop thread\n", n, on_main);
  if (n == 0) printf("    NOTE: no lookup went through the interposed getaddrinfo\n");
  CHECK_EQ(on_main, 0);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  rec_free(&bad);
  srv_free(&sv);
  return test_pass();
}
