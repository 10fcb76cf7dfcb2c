/* Peer FIN with an end handler and allow_half_open=false (default): end fires once, bytes written
 * inside the end handler are still delivered, then the library ends the socket (FIN) and it closes:
 * server open,data,end,close; client open,data:bye,end,close. Same rules over a unix socket. */
#include "harness.h"
#include "unix_common.h"

static srv_t sv_tcp, sv_unix;
static rec_t c_tcp, c_unix;

static void s_end(bun_tcp_socket s, void *data) {
  rec_on_end(s, data);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"bye", 3), 3);
}

static void check(rec_t *c, srv_t *sv) {
  CHECK_TRACE(&sv->socks[0].tr, "open,data:q,end,close");
  CHECK_TRACE(&c->tr, "open,data:bye,end,close");
  CHECK_EQ(sv->socks[0].close_code, 0);
  CHECK_EQ(c->close_code, 0);
  CHECK_EQ(sv->socks[0].n_end, 1);
}

int main(void) {
  test_init("halfopen_end_handler_default", 30);
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers hs = rec_handlers();
  hs.end = s_end;
  bun_tcp_handlers hc = rec_handlers();

  test_case("TCP");
  srv_init(&sv_tcp);
  rec_init(&c_tcp);
  bun_tcp_listener l = listen_srv(loop, &sv_tcp, &hs, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c_tcp, &hc, false);
  RUN_UNTIL(loop, c_tcp.n_open == 1);
  CHECK_EQ(bun_tcp_socket_end(c_tcp.s, (const uint8_t *)"q", 1), 1);
  RUN_UNTIL(loop, c_tcp.n_close == 1 && sv_tcp.n_accepted == 1 && sv_tcp.socks[0].n_close == 1);
  check(&c_tcp, &sv_tcp);

  test_case("unix socket");
  char path[108];
  unix_test_path(path, sizeof path, "halfopen");
  srv_init(&sv_unix);
  rec_init(&c_unix);
  bun_tcp_listener lu = {0};
  CHECK_OK(listen_unix(loop, path, &sv_unix, &hs, &lu));
  CHECK_OK(connect_unix(loop, path, &c_unix, &hc));
  RUN_UNTIL(loop, c_unix.n_open == 1);
  CHECK_EQ(bun_tcp_socket_end(c_unix.s, (const uint8_t *)"q", 1), 1);
  RUN_UNTIL(loop, c_unix.n_close == 1 && sv_unix.n_accepted == 1 && sv_unix.socks[0].n_close == 1);
  check(&c_unix, &sv_unix);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_OK(bun_tcp_listener_stop(lu, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  unlink(path);
  rec_free(&c_tcp);
  rec_free(&c_unix);
  srv_free(&sv_tcp);
  srv_free(&sv_unix);
  return test_pass();
}
