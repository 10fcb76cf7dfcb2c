/* Order of handlers for a client that sends end("hello") from its open handler:
 *   server: open, data "hello", end, close (clean)
 *   client: open, data (the server's reply, if any), end, close (clean)
 * Case 1: the server replies "world" from its data handler. Case 2: the server never writes.
 * Both sides use the default allow_half_open=false and have an end handler. */
#include "harness.h"

static srv_t sv1, sv2;
static rec_t c1, c2;
static bool reply_sent;

static void client_open(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  CHECK_EQ(bun_tcp_socket_ready_state(s), 1);
  CHECK_EQ(bun_tcp_socket_end(s, (const uint8_t *)"hello", 5), 5);
  int st = bun_tcp_socket_ready_state(s);
  /* after end the socket is no longer plainly open: write side shut (-2) or closing (0) */
  CHECK_MSG(st == -2 || st == 0, "ready_state after end = %d", st);
}

static void server_data_reply(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  rec_t *r = (rec_t *)data;
  if (r->bytes_in == 5 && !reply_sent) {
    reply_sent = true;
    CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"world", 5), 5);
  }
}

int main(void) {
  test_init("order_client_end", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv1);
  srv_init(&sv2);
  rec_init(&c1);
  rec_init(&c2);
  bun_tcp_handlers hs1 = rec_handlers();
  hs1.data = server_data_reply;
  bun_tcp_handlers hs2 = rec_handlers();
  bun_tcp_handlers hc = rec_handlers();
  hc.open = client_open;

  test_case("server replies");
  bun_tcp_listener l1 = listen_srv(loop, &sv1, &hs1, false);
  connect_rec(loop, bun_tcp_listener_port(l1), &c1, &hc, false);
  RUN_UNTIL(loop, c1.n_close == 1 && sv1.n_accepted == 1 && sv1.socks[0].n_close == 1);
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_TRACE(&sv1.socks[0].tr, "open,data:hello,end,close");
  CHECK_TRACE(&c1.tr, "open,data:world,end,close");
  check_closed_once(&c1, "client");
  check_closed_once(&sv1.socks[0], "server socket");

  test_case("server stays silent");
  bun_tcp_listener l2 = listen_srv(loop, &sv2, &hs2, false);
  connect_rec(loop, bun_tcp_listener_port(l2), &c2, &hc, false);
  RUN_UNTIL(loop, c2.n_close == 1 && sv2.n_accepted == 1 && sv2.socks[0].n_close == 1);
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_TRACE(&sv2.socks[0].tr, "open,data:hello,end,close");
  CHECK_TRACE(&c2.tr, "open,end,close");
  check_closed_once(&c2, "client");
  check_closed_once(&sv2.socks[0], "server socket");

  CHECK_OK(bun_tcp_listener_stop(l1, true));
  CHECK_OK(bun_tcp_listener_stop(l2, true));
  CHECK_EQ(sv1.n_accepted + sv2.n_accepted, 2);
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  srv_free(&sv1);
  srv_free(&sv2);
  return test_pass();
}
