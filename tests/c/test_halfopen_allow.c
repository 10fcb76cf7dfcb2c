/* allow_half_open=true: after the peer's FIN the end handler fires and the socket stays open and
 * writable until the application calls end (the header: peer FIN and half-open):
 *  1. server half-open: the client ends; the server idles 300 ms without closing, then writes "late"
 *     (the client, whose end was a true half-close, receives it), then ends; both close cleanly.
 *  2. client half-open: the server ends first; the client keeps writing after its end handler, the
 *     server receives it, then the client ends. Also over a unix socket. */
#include "harness.h"
#include "unix_common.h"

static srv_t sv1, sv2, sv3;
static rec_t c1, c2, c3;

static void s_open_end_first(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void client_half_open_case(bun_tcp_loop *loop, rec_t *c, srv_t *sv) {
  RUN_UNTIL(loop, c->n_end == 1 && sv->n_accepted == 1);
  CHECK_EQ(run_for(loop, 200), 0);
  CHECK_EQ(c->n_close, 0);
  CHECK_EQ(bun_tcp_socket_write(c->s, (const uint8_t *)"after-fin", 9), 9);
  RUN_UNTIL(loop, sv->socks[0].bytes_in == 9);
  CHECK_EQ(bun_tcp_socket_end(c->s, NULL, 0), 0);
  RUN_UNTIL(loop, c->n_close == 1 && sv->socks[0].n_close == 1);
  CHECK_TRACE(&c->tr, "open,end,close");
  CHECK_TRACE(&sv->socks[0].tr, "open,data:after-fin,end,close");
  CHECK_EQ(c->close_code, 0);
  CHECK_EQ(sv->socks[0].close_code, 0);
}

int main(void) {
  test_init("halfopen_allow", 30);
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers h = rec_handlers();

  test_case("server half-open stays writable after the client's FIN");
  srv_init(&sv1);
  rec_init(&c1);
  bun_tcp_listener l1 = listen_srv(loop, &sv1, &h, true);
  connect_rec(loop, bun_tcp_listener_port(l1), &c1, &h, false);
  RUN_UNTIL(loop, c1.n_open == 1);
  CHECK_EQ(bun_tcp_socket_end(c1.s, NULL, 0), 0);
  RUN_UNTIL(loop, sv1.n_accepted == 1 && sv1.socks[0].n_end == 1);
  rec_t *r = &sv1.socks[0];
  CHECK_EQ(run_for(loop, 300), 0);
  CHECK_EQ(r->n_close, 0);
  CHECK_EQ(bun_tcp_socket_ready_state(r->s), 1);
  CHECK_EQ(bun_tcp_socket_write(r->s, (const uint8_t *)"late", 4), 4);
  RUN_UNTIL(loop, c1.bytes_in == 4);
  CHECK_EQ(c1.n_close, 0);
  CHECK_EQ(bun_tcp_socket_end(r->s, NULL, 0), 0);
  RUN_UNTIL(loop, c1.n_close == 1 && r->n_close == 1);
  CHECK_TRACE(&r->tr, "open,end,close");
  CHECK_TRACE(&c1.tr, "open,data:late,end,close");
  CHECK_EQ(r->n_end, 1);

  test_case("client half-open keeps writing after the server's FIN (TCP)");
  srv_init(&sv2);
  rec_init(&c2);
  bun_tcp_handlers hs2 = rec_handlers();
  hs2.open = s_open_end_first;
  bun_tcp_listener l2 = listen_srv(loop, &sv2, &hs2, false);
  connect_rec(loop, bun_tcp_listener_port(l2), &c2, &h, true);
  client_half_open_case(loop, &c2, &sv2);

  test_case("client half-open keeps writing after the server's FIN (unix)");
  char path[108];
  unix_test_path(path, sizeof path, "allowhalf");
  srv_init(&sv3);
  rec_init(&c3);
  bun_tcp_listener l3 = {0};
  CHECK_OK(listen_unix(loop, path, &sv3, &hs2, &l3));
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.unix_path = path;
  co.data = &c3;
  co.allow_half_open = true;
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &c3.s));
  client_half_open_case(loop, &c3, &sv3);

  CHECK_OK(bun_tcp_listener_stop(l1, true));
  CHECK_OK(bun_tcp_listener_stop(l2, true));
  CHECK_OK(bun_tcp_listener_stop(l3, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  unlink(path);
  rec_free(&c1); rec_free(&c2); rec_free(&c3);
  srv_free(&sv1); srv_free(&sv2); srv_free(&sv3);
  return test_pass();
}
