/* A second listen on a port in use fails synchronously with -EADDRINUSE ("EADDRINUSE", a non-empty
 * last_error_message), fires nothing, and leaves the first listener working. SO_REUSEPORT is opt-in:
 * two listeners that both ask for reuse_port may share the port. */
#include "harness.h"

static srv_t sv, sv_dup, sv_rp1, sv_rp2;
static rec_t c1;

int main(void) {
  test_init("listen_eaddrinuse", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  srv_init(&sv_dup);
  srv_init(&sv_rp1);
  srv_init(&sv_rp2);
  rec_init(&c1);
  bun_tcp_handlers h = rec_handlers();

  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("second listen on the same address and port");
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = port;
  o.data = &sv_dup;
  bun_tcp_listener l2 = {0};
  int32_t rc = bun_tcp_listen(loop, &o, &h, &l2);
  CHECK_RC(rc, -EADDRINUSE);
  CHECK_STR(bun_tcp_err_name(rc), "EADDRINUSE");
  const char *msg = bun_tcp_last_error_message();
  CHECK(msg != NULL);
  CHECK_MSG(strlen(msg) > 0, "last_error_message is empty after EADDRINUSE");
  printf("    last_error_message: %s\n", msg);
  CHECK(bun_tcp_strerror(rc) != NULL && strlen(bun_tcp_strerror(rc)) > 0);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 1);
  CHECK_EQ(poll_ok(loop, 0), 0); /* no handler fires for a failed call */

  test_case("port held by a foreign (non bun_tcp) listening socket");
  uint16_t raw_port;
  int raw = raw_tcp_bound(true, &raw_port);
  o.port = raw_port;
  rc = bun_tcp_listen(loop, &o, &h, &l2);
  CHECK_RC(rc, -EADDRINUSE);
  close(raw);

  test_case("the first listener still accepts");
  connect_rec(loop, port, &c1, &h, false);
  RUN_UNTIL(loop, c1.n_open == 1 && sv.n_accepted == 1 && sv.socks[0].n_open == 1);
  CHECK_EQ(sv_dup.n_accepted, 0);
  CHECK_OK(bun_tcp_socket_close(c1.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);

  test_case("reuse_port on both listeners shares the port (opt-in)");
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = 0;
  o.data = &sv_rp1;
  o.reuse_port = true;
  bun_tcp_listener r1 = {0}, r2 = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, &h, &r1));
  o.port = bun_tcp_listener_port(r1);
  o.data = &sv_rp2;
  CHECK_OK(bun_tcp_listen(loop, &o, &h, &r2));
  CHECK_EQ(bun_tcp_listener_port(r2), bun_tcp_listener_port(r1));
  CHECK_OK(bun_tcp_listener_stop(r1, true));
  CHECK_OK(bun_tcp_listener_stop(r2, true));

  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  check_closed_once(&c1, "client");
  check_closed_once(&sv.socks[0], "server socket");
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  srv_free(&sv);
  srv_free(&sv_dup);
  srv_free(&sv_rp1);
  srv_free(&sv_rp2);
  return test_pass();
}
