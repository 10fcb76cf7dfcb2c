/* close fires exactly once per opened socket and is the last handler, whichever way the connection
 * ends: client close(), client terminate() (the server sees a reset: close_err:ECONNRESET, syscall
 * "read"), server close() inside data, server end(), a second close()/terminate() on an already closed
 * socket, and close() called again inside the close handler. close()/terminate() run the close
 * handler before returning (draft decision). */
#include "harness.h"

static srv_t sv;
static rec_t c[6];
static int reentrant_close_rc = 12345;

static void server_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  if (n >= 1 && b[0] == 'C') {
    CHECK_OK(bun_tcp_socket_close(s));
    CHECK_EQ(((rec_t *)data)->n_close, 1);
  }
  if (n >= 1 && b[0] == 'E') CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void client_close_reentrant(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  rec_on_close(s, data, err);
  reentrant_close_rc = bun_tcp_socket_close(s); /* must not fire close again */
}

static rec_t *server_rec_for(bun_tcp_socket client) {
  int cport = bun_tcp_socket_local_port(client);
  for (int i = 0; i < sv.n_accepted; i++)
    if (bun_tcp_socket_remote_port(sv.socks[i].s) == cport) return &sv.socks[i];
  FAIL("no accepted socket for client port %d", cport);
}

int main(void) {
  test_init("close_once_last", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  bun_tcp_handlers hs = rec_handlers();
  hs.data = server_data;
  bun_tcp_handlers hc = rec_handlers();
  bun_tcp_handlers hc_re = rec_handlers();
  hc_re.close = client_close_reentrant;
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  uint16_t port = bun_tcp_listener_port(l);
  rec_t *srv_side[6];
  for (int i = 0; i < 6; i++) {
    rec_init(&c[i]);
    connect_rec(loop, port, &c[i], i == 5 ? &hc_re : &hc, false);
  }
  RUN_UNTIL(loop, sv.n_accepted == 6 && c[0].n_open && c[1].n_open && c[2].n_open && c[3].n_open &&
                      c[4].n_open && c[5].n_open);
  RUN_UNTIL(loop, sv.socks[5].n_open == 1);
  for (int i = 0; i < 6; i++) srv_side[i] = server_rec_for(c[i].s);

  test_case("client close(): handler runs before close returns");
  CHECK_OK(bun_tcp_socket_close(c[0].s));
  CHECK_EQ(c[0].n_close, 1);
  RUN_UNTIL(loop, srv_side[0]->n_close == 1);
  CHECK_TRACE(&c[0].tr, "open,close");
  CHECK_TRACE(&srv_side[0]->tr, "open,end,close");

  test_case("client terminate(): server sees ECONNRESET");
  CHECK_OK(bun_tcp_socket_terminate(c[1].s));
  CHECK_EQ(c[1].n_close, 1);
  RUN_UNTIL(loop, srv_side[1]->n_close == 1);
  CHECK_TRACE(&c[1].tr, "open,close");
  CHECK_TRACE(&srv_side[1]->tr, "open,close_err:ECONNRESET");
  CHECK_RC(srv_side[1]->close_code, -ECONNRESET);
  CHECK_STR(srv_side[1]->close_syscall, "read");
  CHECK_EQ(srv_side[1]->n_error, 0); /* a peer reset goes to close, not to error */

  test_case("server close() inside its data handler");
  CHECK_EQ(bun_tcp_socket_write(c[2].s, (const uint8_t *)"C", 1), 1);
  RUN_UNTIL(loop, c[2].n_close == 1 && srv_side[2]->n_close == 1);
  CHECK_TRACE(&srv_side[2]->tr, "open,data:C,close");
  CHECK_TRACE(&c[2].tr, "open,end,close");

  test_case("server end() inside its data handler");
  CHECK_EQ(bun_tcp_socket_write(c[3].s, (const uint8_t *)"E", 1), 1);
  RUN_UNTIL(loop, c[3].n_close == 1 && srv_side[3]->n_close == 1);
  CHECK_TRACE(&srv_side[3]->tr, "open,data:E,end,close");
  CHECK_TRACE(&c[3].tr, "open,end,close");

  test_case("close/terminate again on a closed socket: no second close");
  CHECK_OK(bun_tcp_socket_close(c[4].s));
  int32_t rc2 = bun_tcp_socket_close(c[4].s);
  int32_t rc3 = bun_tcp_socket_terminate(c[4].s);
  CHECK_MSG(rc2 <= 0 && rc3 <= 0, "second close %d, terminate %d", (int)rc2, (int)rc3);
  CHECK_EQ(c[4].n_close, 1);
  poll_ok(loop, 0);
  CHECK_NEG(bun_tcp_socket_close(c[4].s)); /* stale by now */
  CHECK_EQ(c[4].n_close, 1);
  RUN_UNTIL(loop, srv_side[4]->n_close == 1);

  test_case("close() inside the close handler");
  CHECK_OK(bun_tcp_socket_close(c[5].s));
  CHECK_EQ(c[5].n_close, 1);
  CHECK_MSG(reentrant_close_rc <= 0, "close inside close returned %d", reentrant_close_rc);
  RUN_UNTIL(loop, srv_side[5]->n_close == 1);

  test_case("nothing after close");
  CHECK_EQ(run_for(loop, 200), 0);
  for (int i = 0; i < 6; i++) {
    char who[32];
    snprintf(who, sizeof who, "client %d", i);
    check_closed_once(&c[i], who);
    snprintf(who, sizeof who, "server side of %d", i);
    check_closed_once(srv_side[i], who);
    CHECK_EQ(c[i].close_code, 0); /* the closing side's own close is clean */
    CHECK_EQ(c[i].n_open, 1);
  }
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  for (int i = 0; i < 6; i++) rec_free(&c[i]);
  srv_free(&sv);
  return test_pass();
}
