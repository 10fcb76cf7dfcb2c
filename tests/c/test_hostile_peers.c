/* Hostile peers, in a few seconds: what a peer does must never crash, hang or leak, and every socket
 * that opened gets exactly one close, last. (Resets mid-write and after an end() tail are in
 * test_write_fatal_error.c and test_end_tail_peer_reset.c; a peer that never reads while others
 * are served, and a reset after the peer's FIN without half-open, in tests/core_faults.rs and
 * tests/core_lifecycle.rs.) Here:
 *   1. write_all of 64 MiB to a peer that never reads, then resets: the call takes everything, the
 *      socket closes once (error then close, or close with the reset), the queue is gone;
 *   2. a half-open socket (allow_half_open + end handler) whose peer half-closes, then resets
 *      while we do not write: close still comes, with the reset (ECONNRESET, or EPIPE: Linux's
 *      code for a reset after the peer's FIN);
 *   3. the same, but we write after the reset: the write fails with -errno, close follows once;
 *   4. connects to a port that is closing: a raw listener closed with the connection still in its
 *      backlog, and a bun_tcp listener stopped before it accepted: exactly one outcome each, and
 *      the stopped listener accepts nothing later;
 *   5. 200 connect/close cycles (client close, server close, client terminate, server terminate in
 *      turn): socket count and open descriptors return to their baseline. */
#include "harness.h"

#define BIG (64u << 20)

static bool trace_is_one_of(const trace_t *t, const char *const *options, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(t->buf, options[i]) == 0) return true;
  return false;
}

#define CHECK_TRACE_ONE_OF(t, ...)                                                                 \
  do {                                                                                             \
    printf("    trace: %s\n", (t)->buf);                                                           \
    static const char *const _opts[] = {__VA_ARGS__};                                              \
    if (!trace_is_one_of((t), _opts, sizeof _opts / sizeof _opts[0]))                              \
      FAIL("trace %s: got \"%s\", expected one of: %s", #t, (t)->buf, #__VA_ARGS__);               \
  } while (0)

static void never_reading_peer_resets(bun_tcp_loop *loop) {
  test_case("write_all 64 MiB to a peer that never reads, then resets");
  uint16_t port;
  int lfd = raw_tcp_bound(true, &port);
  rec_t c;
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  connect_rec(loop, port, &c, &h, false);
  int peer = raw_accept_polling(loop, lfd);
  RUN_UNTIL(loop, c.n_open == 1);
  uint8_t *big = (uint8_t *)malloc(BIG);
  if (!big) FAIL("out of memory");
  memset(big, 'w', BIG);
  CHECK_EQ(bun_tcp_socket_write_all(c.s, big, BIG), BIG);
  free(big); /* the library copied what the kernel did not take */
  run_for(loop, 50);
  size_t queued = bun_tcp_socket_buffered_amount(c.s);
  CHECK_CMP(queued, >, 0);
  CHECK_CMP(queued, <=, BIG);
  raw_reset(peer);
  RUN_UNTIL(loop, c.n_close == 1);
  run_for(loop, 20);
  check_closed_once(&c, "client");
  CHECK_TRACE_ONE_OF(&c.tr, "open,error:ECONNRESET,close", "open,error:EPIPE,close",
                     "open,close_err:ECONNRESET");
  CHECK_EQ(bun_tcp_socket_buffered_amount(c.s), 0);
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), BUN_TCP_STATE_CLOSED);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  close(lfd);
  rec_free(&c);
}

static void half_close_then_reset(bun_tcp_loop *loop, bool write_after_reset) {
  test_case(write_after_reset ? "peer half-closes, then resets; we write after the reset"
                              : "peer half-closes, then resets; we stay idle");
  uint16_t port;
  int lfd = raw_tcp_bound(true, &port);
  rec_t c;
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  connect_rec(loop, port, &c, &h, true);
  int peer = raw_accept_polling(loop, lfd);
  RUN_UNTIL(loop, c.n_open == 1);
  CHECK(shutdown(peer, SHUT_WR) == 0);
  RUN_UNTIL(loop, c.n_end == 1);
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), BUN_TCP_STATE_OPEN); /* half-open: still writable */
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"still here", 10), 10);
  char got[16];
  double deadline = now_ms() + DEFAULT_WAIT_MS;
  ssize_t n;
  while ((n = raw_read(peer, got, sizeof got, false)) < 0 && now_ms() < deadline) poll_ok(loop, 10);
  CHECK_EQ(n, 10);
  raw_reset(peer);
  if (write_after_reset) {
    /* the RST is on its way over loopback; the first send after it fails */
    int64_t rc = 0;
    deadline = now_ms() + DEFAULT_WAIT_MS;
    while (c.n_close == 0 && rc >= 0 && now_ms() < deadline) {
      rc = bun_tcp_socket_write(c.s, (const uint8_t *)"x", 1);
      if (rc >= 0) poll_ok(loop, 5);
    }
    if (c.n_close == 0)
      CHECK_MSG(rc == -ECONNRESET || rc == -EPIPE, "write after the reset returned %lld (%s)", (long long)rc,
                ERRNAME(rc));
  }
  RUN_UNTIL(loop, c.n_close == 1);
  run_for(loop, 20);
  check_closed_once(&c, "client");
  if (write_after_reset)
    CHECK_TRACE_ONE_OF(&c.tr, "open,end,error:ECONNRESET,close", "open,end,error:EPIPE,close",
                       "open,end,close_err:ECONNRESET");
  else /* Linux reports a reset in CLOSE_WAIT (after the peer's FIN) as EPIPE */
    CHECK_TRACE_ONE_OF(&c.tr, "open,end,close_err:ECONNRESET", "open,end,close_err:EPIPE");
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  close(lfd);
  rec_free(&c);
}

static void connect_to_closing_ports(bun_tcp_loop *loop) {
  test_case("connect to a raw listener that closes with the connection in its backlog");
  uint16_t port;
  int lfd = raw_tcp_bound(true, &port);
  rec_t c;
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  connect_rec(loop, port, &c, &h, false);
  close(lfd); /* never accepted: the kernel resets what waits in the backlog */
  RUN_UNTIL(loop, c.n_close == 1 || c.n_connect_error == 1);
  run_for(loop, 20);
  CHECK_TRACE_ONE_OF(&c.tr, "open,close_err:ECONNRESET", "open,end,close", "connect_error:ECONNREFUSED",
                     "connect_error:ECONNRESET");
  if (c.n_open) check_closed_once(&c, "client");
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  rec_free(&c);

  test_case("connect to a bun_tcp listener stopped before it accepted");
  srv_t sv;
  srv_init(&sv);
  rec_t c2;
  rec_init(&c2);
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  uint16_t lport = bun_tcp_listener_port(l);
  int raw = raw_tcp_connect(lport); /* in the backlog before stop */
  connect_rec(loop, lport, &c2, &h, false);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, c2.n_close == 1 || c2.n_connect_error == 1);
  run_for(loop, 50);
  CHECK_EQ(sv.n_accepted, 0); /* a stopped listener accepts nothing, not even its backlog */
  CHECK_TRACE_ONE_OF(&c2.tr, "open,close_err:ECONNRESET", "open,end,close", "connect_error:ECONNREFUSED",
                     "connect_error:ECONNRESET");
  if (c2.n_open) check_closed_once(&c2, "client");
  char b;
  ssize_t r;
  double deadline = now_ms() + DEFAULT_WAIT_MS;
  while ((r = raw_read(raw, &b, 1, true)) == -1 && now_ms() < deadline) poll_ok(loop, 10);
  CHECK_MSG(r == 0 || r == -2, "the raw client in the backlog got %zd instead of EOF or a reset", r);
  close(raw);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  rec_free(&c2);
  srv_free(&sv);
}

/* churn: counting handlers only (200 sockets each side is more than a srv_t holds) */
static int churn_open_client, churn_open_server, churn_close_client, churn_close_server, churn_other;
static int churn_client_tag, churn_server_tag;
static bun_tcp_socket churn_accepted;

static void churn_on_open(bun_tcp_socket s, void *d) {
  if (d == &churn_server_tag) {
    churn_open_server++;
    churn_accepted = s;
  } else {
    churn_open_client++;
  }
}
static void churn_on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { churn_other++; }
static void churn_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  if (d == &churn_server_tag) churn_close_server++;
  else churn_close_client++;
}
static void churn_on_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { churn_other++; }

static void churn(bun_tcp_loop *loop) {
  test_case("200 connect/close cycles: sockets and descriptors return to baseline");
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.open = churn_on_open;
  h.data = churn_on_data;
  h.close = churn_on_close;
  h.connect_error = churn_on_connect_error;
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  lo.data = &churn_server_tag;
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen(loop, &lo, &h, &l));
  run_for(loop, 10);
  int fds = count_open_fds();
  size_t sockets = bun_tcp_loop_socket_count(loop);
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = bun_tcp_listener_port(l);
  co.data = &churn_client_tag;
  for (int i = 0; i < 200; i++) {
    bun_tcp_socket s;
    CHECK_OK(bun_tcp_connect(loop, &co, &h, &s));
    RUN_UNTIL(loop, churn_open_client == i + 1 && churn_open_server == i + 1);
    switch (i % 4) {
    case 0: CHECK_OK(bun_tcp_socket_close(s)); break;
    case 1: CHECK_OK(bun_tcp_socket_close(churn_accepted)); break;
    case 2: CHECK_OK(bun_tcp_socket_terminate(s)); break;
    case 3: CHECK_OK(bun_tcp_socket_terminate(churn_accepted)); break;
    }
    RUN_UNTIL(loop, churn_close_client == i + 1 && churn_close_server == i + 1);
  }
  run_for(loop, 20);
  CHECK_EQ(churn_other, 0);
  CHECK_EQ(churn_close_client, 200);
  CHECK_EQ(churn_close_server, 200);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), sockets);
  CHECK_EQ(count_open_fds(), fds);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  run_for(loop, 10);
}

int main(void) {
  test_init("hostile_peers", 60);
  bun_tcp_loop *loop = new_loop();
  int fds = count_open_fds();
  never_reading_peer_resets(loop);
  half_close_then_reset(loop, false);
  half_close_then_reset(loop, true);
  connect_to_closing_ports(loop);
  churn(loop);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  CHECK_EQ(count_open_fds(), fds);
  bun_tcp_loop_free(loop);
  return test_pass();
}
