/* A pending connect keeps the loop alive (bun_tcp_loop_alive true while connecting, both while
 * resolving a name and while the TCP handshake is outstanding), and bun_tcp_run returns once it
 * failed. An open socket keeps it alive too; unref drops that. */
#include "harness.h"

static rec_t c1, c2, c3;

int main(void) {
  test_init("connect_pending_alive", 30);
  bun_tcp_loop *loop = new_loop();
  rec_init(&c1);
  rec_init(&c2);
  rec_init(&c3);
  bun_tcp_handlers h = rec_handlers();
  CHECK(!bun_tcp_loop_alive(loop));

  test_case("IP connect pending (refused later)");
  uint16_t port;
  int holder = raw_tcp_bound(false, &port);
  connect_rec(loop, port, &c1, &h, false);
  CHECK_EQ(bun_tcp_socket_ready_state(c1.s), 2);
  CHECK(bun_tcp_loop_alive(loop));
  test_stage("bun_tcp_run with a pending refused connect");
  CHECK_OK(bun_tcp_run(loop));
  CHECK_EQ(c1.n_connect_error, 1);
  CHECK(!bun_tcp_loop_alive(loop));

  if (resolver_reports_nxdomain()) {
    test_case("name resolution pending");
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = UNRESOLVABLE_HOST;
    o.port = 80;
    o.data = &c2;
    CHECK_OK(bun_tcp_connect(loop, &o, &h, &c2.s));
    CHECK(bun_tcp_loop_alive(loop));
    test_stage("bun_tcp_run with a pending lookup");
    CHECK_OK(bun_tcp_run(loop));
    CHECK_EQ(c2.n_connect_error, 1);
    CHECK(!bun_tcp_loop_alive(loop));
  }

  test_case("successful connect: connecting, then open, both alive; unref drops it");
  uint16_t lport;
  int lfd = raw_tcp_bound(true, &lport);
  connect_rec(loop, lport, &c3, &h, false);
  CHECK(bun_tcp_loop_alive(loop));
  int peer = raw_accept_polling(loop, lfd);
  RUN_UNTIL(loop, c3.n_open == 1);
  CHECK(bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_socket_unref(c3.s));
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_OK(bun_tcp_socket_close(c3.s));
  CHECK_EQ(c3.n_close, 1);

  close(peer);
  close(lfd);
  close(holder);
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  rec_free(&c3);
  return test_pass();
}
