/* Re-entrancy across two loops of one thread (issue 12, the hunt). EBUSY is per loop: from inside a
 * handler of loop 1, loop 2 may be polled, run and freed, and its handlers may act on loop 1's
 * sockets; polling loop 1 from a handler of loop 2 that runs inside loop 1's handler is EBUSY.
 * Posted functions (bun_tcp_loop_post) count as handlers: the same holds inside them. */
#include "harness.h"

static bun_tcp_loop *loop1, *loop2;
static bun_tcp_socket c1;   /* loop 1's client */
static srv_t sv1, sv2;
static rec_t r1, r2;
static int32_t rc_poll1_in_loop2 = 1, rc_poll2_in_loop1 = -1000, rc_write1_in_loop2 = -1000;
static int32_t rc_poll_in_posted = 1, rc_poll2_in_posted = -1000;
static bool loop2_freed, nested_done;

/* loop 2's client: in its open (run inside loop 1's data handler), poll loop 1 (EBUSY) and write
 * on loop 1's socket */
static void l2_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  rc_poll1_in_loop2 = bun_tcp_poll(loop1, 0);
  rc_write1_in_loop2 = (int32_t)bun_tcp_socket_write(c1, (const uint8_t *)"x", 1);
}

/* loop 1's client: in its first data, drive loop 2 to completion, then free it */
static void l1_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (nested_done) return;
  nested_done = true;
  bun_tcp_handlers h = rec_handlers();
  h.open = l2_open;
  connect_rec(loop2, bun_tcp_listener_port(sv2.l), &r2, &h, false);
  double dl = now_ms() + 5000;
  while (r2.n_open == 0 && now_ms() < dl) {
    rc_poll2_in_loop1 = bun_tcp_poll(loop2, 10);
    if (rc_poll2_in_loop1 < 0) break;
  }
  bun_tcp_loop_free(loop2);
  loop2_freed = true;
}

static void posted(void *arg) {
  (void)arg;
  rc_poll_in_posted = bun_tcp_poll(loop1, 0);
  loop2 = new_loop();
  rc_poll2_in_posted = bun_tcp_poll(loop2, 0);
  bun_tcp_loop_free(loop2);
}

int main(void) {
  test_init("reentrancy_two_loops", 30);
  int base_fds = count_open_fds();
  loop1 = new_loop();
  loop2 = new_loop();
  srv_init(&sv1);
  srv_init(&sv2);
  rec_init(&r1);
  rec_init(&r2);
  bun_tcp_handlers sh = rec_handlers();
  listen_srv(loop1, &sv1, &sh, false);
  listen_srv(loop2, &sv2, &sh, false);

  test_case("loop 2 polled, run and freed inside loop 1's data handler");
  bun_tcp_handlers ch = rec_handlers();
  ch.data = l1_data;
  c1 = connect_rec(loop1, bun_tcp_listener_port(sv1.l), &r1, &ch, false);
  RUN_UNTIL(loop1, sv1.n_accepted == 1 && sv1.socks[0].n_open == 1 && r1.n_open == 1);
  CHECK_EQ(bun_tcp_socket_write(sv1.socks[0].s, (const uint8_t *)"go", 2), 2);
  RUN_UNTIL(loop1, loop2_freed);
  CHECK_CMP(rc_poll2_in_loop1, >=, 0);
  CHECK_RC(rc_poll1_in_loop2, BUN_TCP_EBUSY);
  CHECK_EQ(rc_write1_in_loop2, 1);
  CHECK_TRACE(&r2.tr, "open,close");           /* loop 2's client, closed by its loop_free */
  CHECK_EQ(sv2.socks[0].n_close, 1);           /* and its accepted socket */
  RUN_UNTIL(loop1, sv1.socks[0].bytes_in == 1); /* the write from loop 2's handler arrived */

  test_case("posted function: its own loop EBUSY, another loop usable");
  CHECK_OK(bun_tcp_loop_post(loop1, posted, NULL));
  RUN_UNTIL(loop1, rc_poll_in_posted != 1);
  CHECK_RC(rc_poll_in_posted, BUN_TCP_EBUSY);
  CHECK_CMP(rc_poll2_in_posted, >=, 0);

  CHECK_OK(bun_tcp_socket_close(c1));
  CHECK_OK(bun_tcp_listener_stop(sv1.l, true));
  CHECK_EQ(bun_tcp_run(loop1), 0);
  check_closed_once(&r1, "loop 1 client");
  check_closed_once(&sv1.socks[0], "loop 1 accepted");
  check_closed_once(&r2, "loop 2 client");
  bun_tcp_loop_free(loop1);
  CHECK_EQ(count_open_fds(), base_fds);
  srv_free(&sv1);
  srv_free(&sv2);
  rec_free(&r1);
  rec_free(&r2);
  return test_pass();
}
