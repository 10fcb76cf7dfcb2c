/* Stale handles behave like closed sockets, never UB (the header: handles): after close (and the end of the tick)
 * a socket handle gives write/end/write_all negative (BUN_TCP_ECLOSED), ready_state -1, data NULL,
 * and every other call an error or a neutral value, without firing anything; the zero handle and a
 * made-up id behave the same. Generations: a new socket reusing the slot does not answer to the old
 * handle (the peer of the new socket receives nothing written through the old one). The zero listener
 * handle is refused; a second stop of a stopped listener is harmless (stop is idempotent). */
#include "harness.h"

static srv_t sv;
static rec_t c1, c2;

static void check_dead(bun_tcp_socket s, const char *what) {
  printf("    checking %s handle (id %llu)\n", what, (unsigned long long)s.id);
  const uint8_t *x = (const uint8_t *)"x";
  char buf[64];
  CHECK_RC(bun_tcp_socket_write(s, x, 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_write_all(s, x, 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_end(s, x, 1), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_socket_ready_state(s), -1);
  CHECK(bun_tcp_socket_data(s) == NULL);
  CHECK_NEG(bun_tcp_socket_set_data(s, &sv));
  CHECK_NEG(bun_tcp_socket_shutdown(s, false));
  CHECK_NEG(bun_tcp_socket_timeout(s, 1));
  CHECK_NEG(bun_tcp_socket_timeout_ms(s, 1));
  CHECK_NEG(bun_tcp_socket_pause(s));
  CHECK_NEG(bun_tcp_socket_resume(s));
  CHECK_NEG(bun_tcp_socket_flush(s));
  CHECK_NEG(bun_tcp_socket_cork(s));
  CHECK_NEG(bun_tcp_socket_uncork(s));
  CHECK_NEG(bun_tcp_socket_set_no_delay(s, true));
  CHECK_NEG(bun_tcp_socket_set_keep_alive(s, true, 1000));
  CHECK_NEG(bun_tcp_socket_remote_port(s));
  CHECK_NEG(bun_tcp_socket_local_port(s));
  CHECK_NEG(bun_tcp_socket_remote_address(s, buf, sizeof buf));
  CHECK_NEG(bun_tcp_socket_local_address(s, buf, sizeof buf));
  CHECK_NEG(bun_tcp_socket_fd(s));
  bun_tcp_handlers h = rec_handlers();
  CHECK_NEG(bun_tcp_socket_reload(s, &h));
  CHECK_EQ(bun_tcp_socket_buffered_amount(s), 0);
  CHECK_EQ(bun_tcp_socket_bytes_written(s), 0);
  CHECK_EQ(bun_tcp_socket_listener(s).id, 0);
  CHECK(!bun_tcp_socket_authorized(s));
  /* close/terminate/ref/unref on a dead handle: nothing may fire; the code is not pinned */
  CHECK(bun_tcp_socket_close(s) <= 0);
  CHECK(bun_tcp_socket_terminate(s) <= 0);
  bun_tcp_socket_ref(s);
  bun_tcp_socket_unref(s);
}

int main(void) {
  test_init("stale_handles", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c1);
  rec_init(&c2);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("closed socket");
  connect_rec(loop, port, &c1, &h, false);
  RUN_UNTIL(loop, c1.n_open == 1 && sv.n_accepted == 1);
  bun_tcp_socket old = c1.s;
  CHECK_OK(bun_tcp_socket_close(old));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  poll_ok(loop, 0);
  int calls_before = c1.total_calls + sv.socks[0].total_calls;
  check_dead(old, "closed");

  test_case("zero and made-up handles");
  bun_tcp_socket zero = {0};
  check_dead(zero, "zero");
  bun_tcp_socket bogus = {0x0123456789abcdefull};
  check_dead(bogus, "made-up");
  bun_tcp_socket bogus2 = {old.id ^ 0x5a5a5a5a00000000ull};
  if (bogus2.id != old.id) check_dead(bogus2, "mutated");

  test_case("slot reuse: the old handle does not reach the new socket");
  connect_rec(loop, port, &c2, &h, false);
  RUN_UNTIL(loop, c2.n_open == 1 && sv.n_accepted == 2 && sv.socks[1].n_open == 1);
  CHECK(c2.s.id != old.id);
  check_dead(old, "closed (after slot reuse)");
  CHECK_EQ(bun_tcp_socket_ready_state(c2.s), 1);
  CHECK_EQ(bun_tcp_socket_write(c2.s, (const uint8_t *)"new", 3), 3);
  RUN_UNTIL(loop, sv.socks[1].bytes_in == 3);
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_TRACE(&sv.socks[1].tr, "open,data:new");
  CHECK_EQ(c1.total_calls + sv.socks[0].total_calls, calls_before);
  CHECK_EQ(c2.n_close, 0);

  test_case("stopped listener");
  CHECK_OK(bun_tcp_socket_close(c2.s));
  RUN_UNTIL(loop, sv.socks[1].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  poll_ok(loop, 0);
  int32_t rc = bun_tcp_listener_stop(l, true);
  CHECK_MSG(rc == 0 || rc == BUN_TCP_ECLOSED, "second stop returned %d", (int)rc);
  bun_tcp_listener lz = {0};
  CHECK_EQ(bun_tcp_listener_port(lz), 0);
  CHECK(bun_tcp_listener_data(lz) == NULL);
  CHECK_NEG(bun_tcp_listener_stop(lz, true));
  CHECK_NEG(bun_tcp_listener_set_data(lz, &sv));
  CHECK_NEG(bun_tcp_listener_reload(lz, &h));
  CHECK_NEG(bun_tcp_listener_ref(lz));
  CHECK_NEG(bun_tcp_listener_unref(lz));
  CHECK(!bun_tcp_loop_alive(loop));

  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  srv_free(&sv);
  return test_pass();
}
