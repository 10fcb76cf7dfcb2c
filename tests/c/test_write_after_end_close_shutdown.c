/* Writes that must be refused: write / write_all / end after end(), after shutdown(write side), after
 * close() and terminate(), and on the zero handle, all return a negative code (BUN_TCP_EENDED for an
 * ended or write-shut socket, BUN_TCP_ECLOSED for a closed one once stale), even for zero bytes. A
 * zero-length write on an open socket returns 0. The peer receives nothing that was refused. */
#include "harness.h"

static srv_t sv;
static rec_t c[4];

int main(void) {
  test_init("write_after_end_close_shutdown", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, true); /* half-open server: it never ends by itself */
  for (int i = 0; i < 4; i++) {
    rec_init(&c[i]);
    connect_rec(loop, bun_tcp_listener_port(l), &c[i], &h, false);
  }
  RUN_UNTIL(loop, sv.n_accepted == 4 && c[0].n_open && c[1].n_open && c[2].n_open && c[3].n_open);
  rec_t *peer[4];
  for (int i = 0; i < 4; i++) {
    peer[i] = NULL;
    for (int j = 0; j < 4; j++)
      if (bun_tcp_socket_remote_port(sv.socks[j].s) == bun_tcp_socket_local_port(c[i].s)) peer[i] = &sv.socks[j];
    CHECK(peer[i] != NULL);
  }
  const uint8_t *x = (const uint8_t *)"x";

  test_case("zero-length write on an open socket");
  CHECK_EQ(bun_tcp_socket_write(c[0].s, x, 0), 0);
  CHECK_EQ(bun_tcp_socket_write(c[0].s, (const uint8_t *)"ab", 2), 2);

  test_case("after end()");
  CHECK_EQ(bun_tcp_socket_end(c[0].s, (const uint8_t *)"cd", 2), 2);
  CHECK_RC(bun_tcp_socket_write(c[0].s, x, 1), BUN_TCP_EENDED);
  CHECK_RC(bun_tcp_socket_write(c[0].s, x, 0), BUN_TCP_EENDED);
  CHECK_RC(bun_tcp_socket_write_all(c[0].s, x, 1), BUN_TCP_EENDED);
  CHECK_NEG(bun_tcp_socket_end(c[0].s, x, 1));
  CHECK_NEG(bun_tcp_socket_end(c[0].s, NULL, 0));

  test_case("after shutdown(write side)");
  CHECK_OK(bun_tcp_socket_shutdown(c[1].s, false));
  CHECK_RC(bun_tcp_socket_write(c[1].s, x, 1), BUN_TCP_EENDED);
  CHECK_RC(bun_tcp_socket_write(c[1].s, x, 0), BUN_TCP_EENDED);
  CHECK_RC(bun_tcp_socket_write_all(c[1].s, x, 1), BUN_TCP_EENDED);
  CHECK_NEG(bun_tcp_socket_end(c[1].s, x, 1));
  CHECK_EQ(bun_tcp_socket_ready_state(c[1].s), -2);

  test_case("after close()");
  CHECK_OK(bun_tcp_socket_close(c[2].s));
  CHECK_NEG(bun_tcp_socket_write(c[2].s, x, 1));
  CHECK_NEG(bun_tcp_socket_write(c[2].s, x, 0));
  CHECK_NEG(bun_tcp_socket_write_all(c[2].s, x, 1));
  CHECK_NEG(bun_tcp_socket_end(c[2].s, x, 1));

  test_case("after terminate()");
  CHECK_OK(bun_tcp_socket_terminate(c[3].s));
  CHECK_NEG(bun_tcp_socket_write(c[3].s, x, 1));
  CHECK_NEG(bun_tcp_socket_end(c[3].s, NULL, 0));

  test_case("zero handle");
  bun_tcp_socket zero = {0};
  CHECK_NEG(bun_tcp_socket_write(zero, x, 1));
  CHECK_NEG(bun_tcp_socket_write(zero, x, 0));
  CHECK_NEG(bun_tcp_socket_write_all(zero, x, 1));
  CHECK_NEG(bun_tcp_socket_end(zero, x, 1));

  test_case("peers received only what was accepted");
  RUN_UNTIL(loop, peer[0]->n_end == 1 && peer[1]->n_end == 1 && peer[2]->n_end == 1 &&
                      peer[3]->n_close == 1);
  poll_ok(loop, 0);
  CHECK_RC(bun_tcp_socket_write(c[2].s, x, 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_write(c[3].s, x, 1), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_socket_ready_state(c[2].s), -1);
  CHECK_TRACE(&peer[0]->tr, "open,data:abcd,end");
  CHECK_TRACE(&peer[1]->tr, "open,end");
  CHECK_TRACE(&peer[2]->tr, "open,end"); /* half-open server: stays open after the FIN */
  /* the terminated client's peer sees the reset */
  CHECK_TRACE(&peer[3]->tr, "open,close_err:ECONNRESET");

  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  for (int i = 0; i < 4; i++) check_closed_once(&c[i], "client");
  bun_tcp_loop_free(loop);
  for (int i = 0; i < 4; i++) rec_free(&c[i]);
  srv_free(&sv);
  return test_pass();
}
