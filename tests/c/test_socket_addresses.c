/* remote/local address and port of both ends agree: client.remote == server.local == listener port,
 * server.remote == client.local, addresses are the loopback literals, over IPv4 and IPv6. */
#include "harness.h"

static srv_t sv;
static rec_t c;

static void check_pair(bun_tcp_socket cs, bun_tcp_socket ss, uint16_t lport, const char *addr) {
  char buf[128];
  CHECK_EQ(bun_tcp_socket_remote_address(cs, buf, sizeof buf), (long long)strlen(addr));
  CHECK_STR(buf, addr);
  CHECK_EQ(bun_tcp_socket_local_address(cs, buf, sizeof buf), (long long)strlen(addr));
  CHECK_STR(buf, addr);
  CHECK_EQ(bun_tcp_socket_remote_address(ss, buf, sizeof buf), (long long)strlen(addr));
  CHECK_STR(buf, addr);
  CHECK_EQ(bun_tcp_socket_local_address(ss, buf, sizeof buf), (long long)strlen(addr));
  CHECK_STR(buf, addr);
  CHECK_EQ(bun_tcp_socket_remote_port(cs), lport);
  CHECK_EQ(bun_tcp_socket_local_port(ss), lport);
  int cport = bun_tcp_socket_local_port(cs);
  CHECK_CMP(cport, >, 0);
  CHECK_CMP(cport, !=, lport);
  CHECK_EQ(bun_tcp_socket_remote_port(ss), cport);
  /* cross-check with the kernel */
  struct sockaddr_storage a;
  socklen_t al = sizeof a;
  CHECK(getsockname(bun_tcp_socket_fd(cs), (struct sockaddr *)&a, &al) == 0);
  int kport = a.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&a)->sin_port)
                                     : ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
  CHECK_EQ(kport, cport);
}

static void run_family(bun_tcp_loop *loop, const char *host) {
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = host;
  o.data = &sv;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, &h, &l));
  uint16_t port = bun_tcp_listener_port(l);
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = host;
  co.port = port;
  co.data = &c;
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &c.s));
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  check_pair(c.s, sv.socks[0].s, port, host);
  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_NEG(bun_tcp_socket_remote_port(c.s));
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  rec_free(&c);
  srv_free(&sv);
}

int main(void) {
  test_init("socket_addresses", 30);
  bun_tcp_loop *loop = new_loop();
  test_case("IPv4");
  run_family(loop, "127.0.0.1");
  test_case("IPv6");
  run_family(loop, "::1");
  bun_tcp_loop_free(loop);
  return test_pass();
}
