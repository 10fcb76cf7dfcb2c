/* Addresses: bun_tcp_listener_address / bun_tcp_listener_family, and the address family of both
 * ends of a socket (bun_tcp_socket_remote_family / bun_tcp_socket_local_family).
 *   - 127.0.0.1: "127.0.0.1", AF_INET; both ends of client and accepted socket AF_INET;
 *   - NULL hostname: "0.0.0.0", AF_INET;
 *   - ::1: "::1", AF_INET6; both ends AF_INET6;
 *   - "::" (dual-stack) reached over IPv4: the listener is "::", AF_INET6; the accepted socket's
 *     ends are IPv4-mapped and count as AF_INET, as its addresses print ("127.0.0.1");
 *   - a unix path: the path, AF_UNIX, port 0; both ends AF_UNIX; an abstract name: "@name";
 *   - the buffer rules: -ENOSPC one byte short (nothing written), exact size works, NULL buf
 *     BUN_TCP_EINVAL; after stop the address is still known while an accepted socket keeps the
 *     handle valid; a released handle gives BUN_TCP_ECLOSED. */
#include "harness.h"
#include "listen_fd_common.h"

static bun_tcp_loop *g_loop;

static void check_listener(bun_tcp_listener l, const char *want, int family) {
  char buf[128];
  size_t n = strlen(want);
  CHECK_EQ(bun_tcp_listener_address(l, buf, sizeof buf), (long long)n);
  CHECK(memcmp(buf, want, n) == 0 && buf[n] == '\0');
  memset(buf, 'Z', sizeof buf);
  CHECK_RC(bun_tcp_listener_address(l, buf, n), -ENOSPC); /* no room for the NUL */
  CHECK(buf[0] == 'Z');
  CHECK_EQ(bun_tcp_listener_address(l, buf, n + 1), (long long)n);
  CHECK_RC(bun_tcp_listener_address(l, NULL, sizeof buf), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_listener_family(l), family);
}

/* listen with `o`, connect with `co`, check the listener and both ends of both sockets */
static void pair_case(const char *name, bun_tcp_listen_options o, bun_tcp_connect_options co, const char *want_addr,
                      int listener_family, int socket_family) {
  test_case(name);
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers h = rec_handlers();
  o.data = &sv;
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen(g_loop, &o, &h, &l));
  check_listener(l, want_addr, listener_family);
  if (!co.unix_path) co.port = bun_tcp_listener_port(l);
  co.data = &cr;
  CHECK_OK(bun_tcp_connect(g_loop, &co, &h, &cr.s));
  RUN_UNTIL(g_loop, cr.n_open == 1 && sv.n_accepted == 1);
  bun_tcp_socket server_side = sv.socks[0].s;
  CHECK_EQ(bun_tcp_socket_remote_family(cr.s), socket_family);
  CHECK_EQ(bun_tcp_socket_local_family(cr.s), socket_family);
  CHECK_EQ(bun_tcp_socket_remote_family(server_side), socket_family);
  CHECK_EQ(bun_tcp_socket_local_family(server_side), socket_family);
  if (socket_family != AF_UNIX) {
    char a[64];
    CHECK_CMP(bun_tcp_socket_remote_address(server_side, a, sizeof a), >, 0);
    CHECK_STR(a, socket_family == AF_INET ? "127.0.0.1" : "::1");
  }
  /* stopped, with an accepted socket open: the handle is valid, the address still known */
  CHECK_OK(bun_tcp_listener_stop(l, false));
  run_for(g_loop, 5);
  check_listener(l, want_addr, listener_family);
  CHECK_OK(bun_tcp_socket_close(cr.s));
  RUN_UNTIL(g_loop, sv.socks[0].n_close == 1);
  run_for(g_loop, 5);
  char buf[128];
  CHECK_RC(bun_tcp_listener_address(l, buf, sizeof buf), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_listener_family(l), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_remote_family(cr.s), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_local_family(cr.s), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_remote_family(server_side), BUN_TCP_ECLOSED);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_listener_address_family", 60);
  g_loop = new_loop();
  bun_tcp_listen_options o;
  bun_tcp_connect_options co;
  memset(&o, 0, sizeof o);
  memset(&co, 0, sizeof co);

  o.hostname = "127.0.0.1";
  co.hostname = "127.0.0.1";
  pair_case("IPv4", o, co, "127.0.0.1", AF_INET, AF_INET);
  o.hostname = NULL;
  pair_case("NULL hostname: 0.0.0.0", o, co, "0.0.0.0", AF_INET, AF_INET);
  if (ipv6_loopback_works()) {
    o.hostname = "::1";
    co.hostname = "::1";
    pair_case("IPv6", o, co, "::1", AF_INET6, AF_INET6);
    o.hostname = "::";
    co.hostname = "127.0.0.1";
    pair_case("dual-stack :: over IPv4: mapped ends count as AF_INET", o, co, "::", AF_INET6, AF_INET);
  } else
    printf("    (no IPv6 loopback here: the IPv6 cases are skipped)\n");

  char path[108];
  snprintf(path, sizeof path, "/tmp/bun_tcp_test_%ld_addr.sock", (long)getpid());
  unlink(path);
  memset(&o, 0, sizeof o);
  memset(&co, 0, sizeof co);
  o.unix_path = path;
  co.unix_path = path;
  pair_case("unix path", o, co, path, AF_UNIX, AF_UNIX);
  char abstract_name[64];
  int n = snprintf(abstract_name, sizeof abstract_name, "%cbun_tcp_addr_%ld", '\0', (long)getpid());
  o.unix_path = abstract_name;
  o.unix_path_len = (size_t)n;
  co.unix_path = abstract_name;
  co.unix_path_len = (size_t)n;
  char want[64];
  snprintf(want, sizeof want, "@%s", abstract_name + 1);
  pair_case("unix abstract name", o, co, want, AF_UNIX, AF_UNIX);

  test_case("zero handles");
  char buf[64];
  CHECK_RC(bun_tcp_listener_address((bun_tcp_listener){0}, buf, sizeof buf), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_listener_family((bun_tcp_listener){0}), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_remote_family((bun_tcp_socket){0}), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_local_family((bun_tcp_socket){0}), BUN_TCP_ECLOSED);
  bun_tcp_loop_free(g_loop);
  return test_pass();
}
