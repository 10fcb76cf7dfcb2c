/* Every pointer argument may be NULL: where data is required the call returns BUN_TCP_EINVAL,
 * creates nothing and fires nothing; NULL-tolerant calls (loop_free(NULL), end(s, NULL, 0)) work. */
#include "harness.h"

static srv_t sv;
static rec_t c;

int main(void) {
  test_init("null_args", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();

  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  lo.data = &sv;
  bun_tcp_listener l = {0};

  test_case("listen: NULL loop / options / handlers / out");
  CHECK_RC(bun_tcp_listen(NULL, &lo, &h, &l), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_listen(loop, NULL, &h, &l), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_listen(loop, &lo, NULL, &l), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_listen(loop, &lo, &h, NULL), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);

  l = listen_srv(loop, &sv, &h, false);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("connect: NULL loop / options / handlers / out");
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = port;
  co.data = &c;
  bun_tcp_socket s = {0};
  CHECK_RC(bun_tcp_connect(NULL, &co, &h, &s), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_connect(loop, NULL, &h, &s), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_connect(loop, &co, NULL, &s), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_connect(loop, &co, &h, NULL), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_EQ(sv.n_accepted, 0);
  CHECK_EQ(c.total_calls, 0);

  test_case("loop functions with NULL");
  CHECK_RC(bun_tcp_poll(NULL, 0), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_run(NULL), BUN_TCP_EINVAL);
  CHECK(!bun_tcp_loop_alive(NULL));
  CHECK_RC(bun_tcp_loop_wakeup(NULL), BUN_TCP_EINVAL);
  CHECK_NEG(bun_tcp_loop_fd(NULL));
  CHECK_EQ(bun_tcp_loop_socket_count(NULL), 0);
  CHECK_EQ(bun_tcp_loop_listener_count(NULL), 0);
  bun_tcp_loop_free(NULL); /* no crash */
  CHECK_RC(bun_tcp_listener_reload(l, NULL), BUN_TCP_EINVAL);

  test_case("socket functions with NULL buffers");
  connect_rec(loop, port, &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  CHECK_RC(bun_tcp_socket_write(c.s, NULL, 5), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_write_all(c.s, NULL, 5), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_end(c.s, NULL, 5), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_reload(c.s, NULL), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_remote_address(c.s, NULL, 64), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_local_address(c.s, NULL, 64), BUN_TCP_EINVAL);
  char tiny[4];
  CHECK_RC(bun_tcp_socket_remote_address(c.s, tiny, sizeof tiny), -ENOSPC); /* "127.0.0.1" needs 10 */
  /* none of the failed calls changed the socket: it is still open and writable */
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), 1);
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ok");

  test_case("end(s, NULL, 0) is a plain end");
  CHECK_EQ(bun_tcp_socket_end(c.s, NULL, 0), 0);
  RUN_UNTIL(loop, c.n_close == 1 && sv.socks[0].n_close == 1);
  CHECK_TRACE(&c.tr, "open,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ok,end,close");

  test_case("bad option values");
  bun_tcp_listen_options neg = lo;
  neg.backlog = -1;
  bun_tcp_listener l2 = {0};
  CHECK_RC(bun_tcp_listen(loop, &neg, &h, &l2), BUN_TCP_EINVAL);
  bun_tcp_tls_options bad_name;
  memset(&bad_name, 0, sizeof bad_name);
  bad_name.server_name = "bad name!";
  co.tls = &bad_name;
  CHECK_RC(bun_tcp_connect(loop, &co, &h, &s), BUN_TCP_EINVAL);
  co.tls = NULL;
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);

  test_case("a freed loop pointer is refused, never dereferenced");
  CHECK_RC(bun_tcp_poll(loop, 0), BUN_TCP_EINVAL);
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_RC(bun_tcp_loop_wakeup(loop), BUN_TCP_EINVAL);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
