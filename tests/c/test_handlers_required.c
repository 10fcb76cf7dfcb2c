/* A handler table with neither `data` nor `drain` is rejected by listen and connect with
 * BUN_TCP_EINVAL, and nothing is created or fired; `data` alone or `drain` alone is enough. */
#include "harness.h"

static int calls;
static void cnt_open(bun_tcp_socket s, void *d) { (void)s; (void)d; calls++; }
static void cnt_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { (void)s; (void)d; (void)e; calls++; }
static void cnt_ce(bun_tcp_socket s, void *d, const bun_tcp_error *e) { (void)s; (void)d; (void)e; calls++; }
static void cnt_end(bun_tcp_socket s, void *d) { (void)s; (void)d; calls++; }
static int drains, datas;
static void only_drain(bun_tcp_socket s, void *d) { (void)s; (void)d; drains++; }
static void only_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { (void)s; (void)d; (void)b; (void)n; datas++; }

int main(void) {
  test_init("handlers_required", 30);
  bun_tcp_loop *loop = new_loop();
  static int tag;

  bun_tcp_handlers bad;
  memset(&bad, 0, sizeof bad);
  bad.open = cnt_open;
  bad.close = cnt_close;
  bad.end = cnt_end;
  bad.connect_error = cnt_ce;

  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  lo.data = &tag;

  test_case("listen without data and drain");
  bun_tcp_listener l = {0};
  CHECK_RC(bun_tcp_listen(loop, &lo, &bad, &l), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);

  test_case("listen with an all-NULL table");
  bun_tcp_handlers none;
  memset(&none, 0, sizeof none);
  CHECK_RC(bun_tcp_listen(loop, &lo, &none, &l), BUN_TCP_EINVAL);

  test_case("connect without data and drain");
  uint16_t port;
  int raw = raw_tcp_bound(true, &port);
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = port;
  co.data = &tag;
  bun_tcp_socket s = {0};
  CHECK_RC(bun_tcp_connect(loop, &co, &bad, &s), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_connect(loop, &co, &none, &s), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_EQ(calls, 0);

  test_case("data alone is enough");
  bun_tcp_handlers hd;
  memset(&hd, 0, sizeof hd);
  hd.data = only_data;
  CHECK_OK(bun_tcp_listen(loop, &lo, &hd, &l));
  CHECK_OK(bun_tcp_connect(loop, &co, &hd, &s));
  int fd = raw_accept_polling(loop, raw);
  raw_send_all(fd, "x", 1);
  RUN_UNTIL(loop, datas == 1);
  CHECK_OK(bun_tcp_socket_close(s));
  close(fd);
  CHECK_OK(bun_tcp_listener_stop(l, true));

  test_case("drain alone is enough");
  bun_tcp_handlers hdr;
  memset(&hdr, 0, sizeof hdr);
  hdr.drain = only_drain;
  CHECK_OK(bun_tcp_listen(loop, &lo, &hdr, &l));
  CHECK_OK(bun_tcp_connect(loop, &co, &hdr, &s));
  fd = raw_accept_polling(loop, raw);
  RUN_UNTIL(loop, bun_tcp_socket_ready_state(s) == 1);
  CHECK_OK(bun_tcp_socket_close(s));
  close(fd);
  CHECK_OK(bun_tcp_listener_stop(l, true));

  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  CHECK_EQ(calls, 0);
  close(raw);
  bun_tcp_loop_free(loop);
  return test_pass();
}
