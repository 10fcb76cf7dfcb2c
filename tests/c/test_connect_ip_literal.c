/* IP literals connect directly, without a DNS lookup. This program interposes getaddrinfo (the
 * library is linked statically into it, so its calls resolve here) and counts lookups that are not
 * AI_NUMERICHOST: connecting to "127.0.0.1" and "::1" must make none. A sanity case checks the
 * interposer sees lookups for a real host name; if it does not (the library resolves some other way),
 * the zero-count assertion cannot prove anything and the test says so. */
#include "harness.h"
#include <dlfcn.h>
#include <netdb.h>

static int gai_calls; /* accessed with __atomic builtins: lookups run off the loop thread */
static char gai_last[256];

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
  if (!(hints && (hints->ai_flags & AI_NUMERICHOST))) {
    __atomic_add_fetch(&gai_calls, 1, __ATOMIC_SEQ_CST);
    snprintf(gai_last, sizeof gai_last, "%s", node ? node : "(null)");
  }
  void *sym = dlsym(RTLD_NEXT, "getaddrinfo");
  if (!sym) return EAI_FAIL;
  gai_fn real;
  memcpy(&real, &sym, sizeof real); /* object -> function pointer, the POSIX way */
  return real(node, service, hints, res);
}

static srv_t sv4, sv6;
static rec_t c4, c6, cbad;

int main(void) {
  test_init("connect_ip_literal", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv4);
  srv_init(&sv6);
  rec_init(&c4);
  rec_init(&c6);
  rec_init(&cbad);
  bun_tcp_handlers h = rec_handlers();

  bun_tcp_listener l4 = listen_srv(loop, &sv4, &h, false);
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "::1";
  o.data = &sv6;
  bun_tcp_listener l6 = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, &h, &l6));

  bool nx = resolver_reports_nxdomain(); /* probe (it calls getaddrinfo) before counting starts */
  int before = __atomic_load_n(&gai_calls, __ATOMIC_SEQ_CST);

  test_case("127.0.0.1 and ::1 connect without a lookup");
  connect_rec(loop, bun_tcp_listener_port(l4), &c4, &h, false);
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "::1";
  co.port = bun_tcp_listener_port(l6);
  co.data = &c6;
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &c6.s));
  RUN_UNTIL(loop, c4.n_open == 1 && c6.n_open == 1);
  int literal_calls = __atomic_load_n(&gai_calls, __ATOMIC_SEQ_CST) - before;

  test_case("sanity: a host name does go through getaddrinfo");
  memset(&co, 0, sizeof co);
  co.hostname = nx ? UNRESOLVABLE_HOST : "localhost";
  co.port = 1;
  co.data = &cbad;
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &cbad.s));
  RUN_UNTIL(loop, cbad.n_connect_error == 1);
  int name_calls = __atomic_load_n(&gai_calls, __ATOMIC_SEQ_CST) - before - literal_calls;
  if (name_calls == 0) {
    printf("    NOTE: the interposed getaddrinfo saw no lookup for a host name; the library resolves "
           "another way, so the literal check below is vacuous\n");
  }
  CHECK_MSG(literal_calls == 0, "%d getaddrinfo lookups (last: \"%s\") while connecting to IP literals",
            literal_calls, gai_last);

  CHECK_OK(bun_tcp_socket_close(c4.s));
  CHECK_OK(bun_tcp_socket_close(c6.s));
  CHECK_OK(bun_tcp_listener_stop(l4, true));
  CHECK_OK(bun_tcp_listener_stop(l6, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c4);
  rec_free(&c6);
  rec_free(&cbad);
  srv_free(&sv4);
  srv_free(&sv6);
  return test_pass();
}
