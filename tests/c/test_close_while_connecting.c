/* Closing (or terminating) a socket that is still connecting fires connect_error(-ECANCELED,
 * "ECANCELED") instead of close (draft decision), never open; a lookup that completes afterwards is
 * ignored; nothing leaks. */
#include "harness.h"

static rec_t c1, c2, c3;

int main(void) {
  test_init("close_while_connecting", 30);
  bun_tcp_loop *loop = new_loop();
  rec_init(&c1);
  rec_init(&c2);
  rec_init(&c3);
  bun_tcp_handlers h = rec_handlers();
  uint16_t lport;
  int lfd = raw_tcp_bound(true, &lport); /* accepts (in the kernel backlog) but the app never does */

  test_case("close right after connect to an IP");
  connect_rec(loop, lport, &c1, &h, false);
  CHECK_EQ(bun_tcp_socket_ready_state(c1.s), 2);
  CHECK_OK(bun_tcp_socket_close(c1.s));
  RUN_UNTIL(loop, c1.n_connect_error == 1);
  CHECK_RC(c1.connect_error_code, -ECANCELED);
  CHECK_STR(c1.connect_error_name, "ECANCELED");

  test_case("terminate right after connect to an IP");
  connect_rec(loop, lport, &c2, &h, false);
  CHECK_OK(bun_tcp_socket_terminate(c2.s));
  RUN_UNTIL(loop, c2.n_connect_error == 1);
  CHECK_STR(c2.connect_error_name, "ECANCELED");

  test_case("close while the name is resolving");
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = UNRESOLVABLE_HOST;
  o.port = 80;
  o.data = &c3;
  CHECK_OK(bun_tcp_connect(loop, &o, &h, &c3.s));
  CHECK_OK(bun_tcp_socket_close(c3.s));
  RUN_UNTIL(loop, c3.n_connect_error == 1);
  CHECK_STR(c3.connect_error_name, "ECANCELED");

  test_case("nothing else fires");
  CHECK_EQ(run_for(loop, 300), 0);
  CHECK_TRACE(&c1.tr, "connect_error:ECANCELED");
  CHECK_TRACE(&c2.tr, "connect_error:ECANCELED");
  CHECK_TRACE(&c3.tr, "connect_error:ECANCELED");
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK(!bun_tcp_loop_alive(loop));

  close(lfd);
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  rec_free(&c3);
  return test_pass();
}
