/* bun_tcp_listener_stop(l, true) stops accepting and closes every accepted socket: their close
 * handlers run (err NULL), the clients see their connection end; new connects are refused; the loop
 * is no longer alive afterwards. */
#include "harness.h"

static srv_t sv;
static rec_t c[3], late;

int main(void) {
  test_init("stop_close_active", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  uint16_t port = bun_tcp_listener_port(l);
  for (int i = 0; i < 3; i++) {
    rec_init(&c[i]);
    connect_rec(loop, port, &c[i], &h, false);
  }
  RUN_UNTIL(loop, sv.n_accepted == 3 && c[0].n_open && c[1].n_open && c[2].n_open);
  RUN_UNTIL(loop, sv.socks[2].n_open == 1);

  test_case("stop(true)");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1 && sv.socks[1].n_close == 1 && sv.socks[2].n_close == 1);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(sv.socks[i].close_code, 0);
    CHECK_TRACE(&sv.socks[i].tr, "open,close");
  }

  test_case("clients see the end of their connections");
  RUN_UNTIL(loop, c[0].n_close == 1 && c[1].n_close == 1 && c[2].n_close == 1);
  for (int i = 0; i < 3; i++) printf("    client %d: %s\n", i, c[i].tr.buf);

  test_case("new connects are refused");
  rec_init(&late);
  connect_rec(loop, port, &late, &h, false);
  RUN_UNTIL(loop, late.n_connect_error == 1);
  CHECK_STR(late.connect_error_name, "ECONNREFUSED");
  CHECK_EQ(sv.n_accepted, 3);

  test_case("idempotent; loop idle");
  int32_t rc = bun_tcp_listener_stop(l, true);
  CHECK_MSG(rc == 0 || rc == BUN_TCP_ECLOSED, "second stop returned %d", (int)rc);
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  for (int i = 0; i < 3; i++) {
    check_closed_once(&c[i], "client");
    check_closed_once(&sv.socks[i], "server socket");
  }
  bun_tcp_loop_free(loop);
  for (int i = 0; i < 3; i++) rec_free(&c[i]);
  rec_free(&late);
  srv_free(&sv);
  return test_pass();
}
