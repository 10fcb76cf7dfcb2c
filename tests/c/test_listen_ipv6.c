/* Listen and connect over IPv6 loopback (::1): both sides open, exchange bytes, and report ::1
 * addresses and matching ports. */
#include "harness.h"

static srv_t sv;
static rec_t c;

int main(void) {
  test_init("listen_ipv6", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();

  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "::1";
  o.data = &sv;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, &h, &l));
  uint16_t port = bun_tcp_listener_port(l);
  CHECK_CMP(port, >, 0);

  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "::1";
  co.port = port;
  co.data = &c;
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &c.s));
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);

  char buf[128];
  rec_t *ss = &sv.socks[0];
  CHECK_CMP(bun_tcp_socket_remote_address(c.s, buf, sizeof buf), >, 0);
  CHECK_STR(buf, "::1");
  CHECK_CMP(bun_tcp_socket_local_address(c.s, buf, sizeof buf), >, 0);
  CHECK_STR(buf, "::1");
  CHECK_CMP(bun_tcp_socket_remote_address(ss->s, buf, sizeof buf), >, 0);
  CHECK_STR(buf, "::1");
  CHECK_EQ(bun_tcp_socket_remote_port(c.s), port);
  CHECK_EQ(bun_tcp_socket_local_port(ss->s), port);
  CHECK_EQ(bun_tcp_socket_remote_port(ss->s), bun_tcp_socket_local_port(c.s));

  CHECK_EQ(bun_tcp_socket_end(c.s, (const uint8_t *)"v6", 2), 2);
  RUN_UNTIL(loop, c.n_close == 1 && ss->n_close == 1);
  CHECK_TRACE(&ss->tr, "open,data:v6,end,close");
  CHECK_TRACE(&c.tr, "open,end,close");

  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
