/* The scripts of test_write_limit.c (plain TCP) and test_tls_write_limit.c (TLS): the header's
 * bun_tcp_socket_set_write_limit, run against a real peer on loopback.
 *
 * Every byte the client offers comes from one deterministic stream at the offset `g_off`, which
 * only advances by what a call accepted. The server checks each byte it receives against the
 * stream and its total against g_off at the end: a refused call that sent or queued anything
 * (even part of a chunk) shows up as a wrong byte or a wrong total. The server pauses each
 * accepted socket at open, so the kernel fills up and the client's queue stays put until the
 * test resumes it.
 *
 * Cases:
 *   - "end refused, then accepted after drain": the limit set while connecting refuses
 *     write_all / end of limit+1 bytes on an empty queue (-ENOBUFS, buffered 0), accepts exactly
 *     the limit, which leaves at open; once the kernel is full, write_all past the limit is
 *     refused with buffered_amount and bytes_written unchanged, a refused end leaves the socket
 *     open (ready_state 1, write still accepted: 0 while queued), `drain` fires once the queue
 *     empties and end is accepted there; the peer receives exactly the accepted bytes, then end.
 *   - "limit changed while data is queued": lowering the limit under the queue keeps the queue
 *     and refuses the next chunk; 0 lifts the limit (a chunk 100x the old limit is accepted); on a
 *     queue past the limit even write_all / end of 0 bytes are refused; with the limit equal to
 *     the queue they are accepted; everything arrives, then end.
 *   - "corked": write_all while corked counts against the limit; plain write is unaffected.
 */
#ifndef WRITE_LIMIT_COMMON_H
#define WRITE_LIMIT_COMMON_H

#include "harness.h"

#define WL_SEED 91u
#define WL_STREAM (48u << 20)
#define WL_LIMIT 1000u

static uint8_t *g_stream;
static size_t g_off;  /* bytes of the stream the client's calls accepted */
static int g_mode;    /* 0 end refused then accepted, 1 limit changes, 2 corked */
static int g_final_drains;
static bool g_server_ok = true;
static uint64_t g_server_off;
static const bun_tcp_tls_options *g_client_tls, *g_server_tls;

static const uint8_t *next_bytes(void) { return g_stream + g_off; }

/* write_all / end that must be refused: -ENOBUFS, and nothing queued, sent or ended. */
static void check_refused(bun_tcp_socket s, size_t len, bool is_end, int32_t state) {
  size_t buffered = bun_tcp_socket_buffered_amount(s);
  int64_t written = bun_tcp_socket_bytes_written(s);
  int64_t rc = is_end ? bun_tcp_socket_end(s, next_bytes(), len) : bun_tcp_socket_write_all(s, next_bytes(), len);
  CHECK_EQ(rc, -ENOBUFS);
  CHECK_STR(bun_tcp_err_name((int32_t)rc), "ENOBUFS");
  CHECK_EQ(bun_tcp_socket_buffered_amount(s), buffered);
  CHECK_EQ(bun_tcp_socket_bytes_written(s), written);
  CHECK_EQ(bun_tcp_socket_ready_state(s), state);
}

static void accept_write_all(bun_tcp_socket s, size_t len) {
  CHECK_EQ(bun_tcp_socket_write_all(s, next_bytes(), len), (int64_t)len);
  g_off += len;
  /* what the kernel (or the TLS layer) took plus what is queued is what was accepted */
  CHECK_EQ((size_t)bun_tcp_socket_bytes_written(s) + bun_tcp_socket_buffered_amount(s), g_off);
}

/* `write` (unaffected by the limit) until the kernel pushes back: the paused peer's buffers fill. */
static void fill_kernel(bun_tcp_socket s) {
  for (;;) {
    if (g_off + (1u << 20) > WL_STREAM) FAIL("the kernel took %zu bytes without pushing back", g_off);
    int64_t n = bun_tcp_socket_write(s, next_bytes(), 1u << 20);
    CHECK_CMP(n, >=, 0);
    g_off += (size_t)n;
    if (n < (int64_t)(1u << 20)) return;
  }
}

static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (g_server_ok && !stream_check(WL_SEED, g_server_off, b, n)) {
    g_server_ok = false;
    FAIL("the server received bytes that differ from the stream at offset %llu", (unsigned long long)g_server_off);
  }
  g_server_off += n;
}

static void cli_drain(bun_tcp_socket s, void *d) {
  rec_on_drain(s, d);
  rec_t *r = (rec_t *)d;
  if (r->n_drain == 1) return; /* the bytes queued while connecting left at open */
  g_final_drains++;
  CHECK_EQ(bun_tcp_socket_buffered_amount(s), 0);
  if (g_mode == 0) {
    /* the end refused before now fits */
    CHECK_EQ(bun_tcp_socket_end(s, next_bytes(), 10), 10);
    g_off += 10;
  }
}

static void run_case(int mode, const char *name) {
  test_case(name);
  g_mode = mode;
  g_off = 0;
  g_final_drains = 0;
  g_server_ok = true;
  g_server_off = 0;
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  sv.keep_bytes = false;
  sv.pause_on_open = true;
  for (int i = 0; i < SRV_MAX; i++) sv.socks[i].tr.data_contents = false;
  bun_tcp_handlers sh = rec_handlers();
  sh.data = srv_data;
  bun_tcp_listener l;
  if (g_server_tls)
    l = listen_tls_srv(loop, &sv, &sh, g_server_tls, NULL);
  else
    l = listen_srv(loop, &sv, &sh, false);

  rec_t cr;
  rec_init(&cr);
  cr.tr.data_contents = false;
  bun_tcp_handlers ch = rec_handlers();
  ch.drain = cli_drain;
  bun_tcp_socket cs;
  if (g_client_tls)
    cs = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &ch, g_client_tls);
  else
    cs = connect_rec(loop, bun_tcp_listener_port(l), &cr, &ch, false);

  test_stage("while connecting");
  CHECK_OK(bun_tcp_socket_set_write_limit(cs, WL_LIMIT));
  check_refused(cs, WL_LIMIT + 1, false, BUN_TCP_STATE_CONNECTING);
  check_refused(cs, WL_LIMIT + 1, true, BUN_TCP_STATE_CONNECTING);
  accept_write_all(cs, WL_LIMIT); /* queued: exactly the limit */
  CHECK_EQ(bun_tcp_socket_buffered_amount(cs), WL_LIMIT);
  check_refused(cs, 1, false, BUN_TCP_STATE_CONNECTING);
  check_refused(cs, 1, true, BUN_TCP_STATE_CONNECTING);
  RUN_UNTIL(loop, cr.n_open == 1 && sv.n_accepted == 1 && cr.n_drain == 1);
  CHECK_EQ(bun_tcp_socket_buffered_amount(cs), 0);
  CHECK_EQ(bun_tcp_socket_bytes_written(cs), WL_LIMIT);
  rec_t *sr = &sv.socks[0];

  test_stage("open, empty queue");
  check_refused(cs, WL_LIMIT + 1, false, BUN_TCP_STATE_OPEN); /* larger than the limit: refused */
  check_refused(cs, WL_LIMIT + 1, true, BUN_TCP_STATE_OPEN);
  CHECK_EQ(bun_tcp_socket_write(cs, next_bytes(), 5000), 5000); /* write is unaffected */
  g_off += 5000;

  test_stage("the kernel is full");
  fill_kernel(cs);
  CHECK_EQ(bun_tcp_socket_buffered_amount(cs), 0); /* write queues nothing */
  if (mode == 2) {
    CHECK_OK(bun_tcp_socket_cork(cs));
    accept_write_all(cs, 600);
    CHECK_EQ(bun_tcp_socket_buffered_amount(cs), 600);
    check_refused(cs, 401, false, BUN_TCP_STATE_OPEN);
    CHECK_EQ(bun_tcp_socket_write(cs, next_bytes(), 401), 401); /* corked write: unaffected */
    g_off += 401;
    CHECK_EQ(bun_tcp_socket_buffered_amount(cs), 1001);
    check_refused(cs, 1, false, BUN_TCP_STATE_OPEN);
    CHECK_OK(bun_tcp_socket_uncork(cs));
    CHECK_EQ((size_t)bun_tcp_socket_bytes_written(cs) + bun_tcp_socket_buffered_amount(cs), g_off);
    if (bun_tcp_socket_buffered_amount(cs) > WL_LIMIT) check_refused(cs, 0, true, BUN_TCP_STATE_OPEN);
    CHECK_OK(bun_tcp_socket_set_write_limit(cs, 0));
    CHECK_EQ(bun_tcp_socket_end(cs, NULL, 0), 0);
  } else {
    accept_write_all(cs, 600);
    size_t b = bun_tcp_socket_buffered_amount(cs);
    CHECK_CMP(b, <=, 600);
    check_refused(cs, WL_LIMIT - b + 1, false, BUN_TCP_STATE_OPEN);
    accept_write_all(cs, WL_LIMIT - b);
    b = bun_tcp_socket_buffered_amount(cs);
    CHECK_CMP(b, <=, WL_LIMIT);
    check_refused(cs, WL_LIMIT - b + 1, false, BUN_TCP_STATE_OPEN);
    check_refused(cs, WL_LIMIT - b + 1, true, BUN_TCP_STATE_OPEN); /* no FIN: still open */
    CHECK_MSG(b > 0, "the kernel took bytes from a paused peer's full connection");
    CHECK_EQ(bun_tcp_socket_write(cs, next_bytes(), 1), 0); /* queued bytes go first */
    if (mode == 1) {
      CHECK_OK(bun_tcp_socket_set_write_limit(cs, 10)); /* below the queue */
      CHECK_EQ(bun_tcp_socket_buffered_amount(cs), b);  /* the queue stays */
      check_refused(cs, 1, false, BUN_TCP_STATE_OPEN);
      CHECK_OK(bun_tcp_socket_set_write_limit(cs, 0)); /* no limit */
      accept_write_all(cs, 100 * WL_LIMIT);
      CHECK_OK(bun_tcp_socket_set_write_limit(cs, WL_LIMIT));
      CHECK_CMP(bun_tcp_socket_buffered_amount(cs), >, WL_LIMIT);
      check_refused(cs, 1, true, BUN_TCP_STATE_OPEN);
      check_refused(cs, 0, true, BUN_TCP_STATE_OPEN);  /* past the limit: even end without bytes */
      check_refused(cs, 0, false, BUN_TCP_STATE_OPEN); /* and write_all of 0 bytes */
      CHECK_OK(bun_tcp_socket_set_write_limit(cs, bun_tcp_socket_buffered_amount(cs))); /* at it */
      CHECK_EQ(bun_tcp_socket_write_all(cs, next_bytes(), 0), 0);
      CHECK_EQ(bun_tcp_socket_end(cs, NULL, 0), 0); /* buffered + 0 <= limit: accepted */
      CHECK_EQ(bun_tcp_socket_ready_state(cs), BUN_TCP_STATE_CLOSING);
    }
  }

  test_stage("the peer reads again");
  run_for(loop, 50);
  CHECK_EQ(cr.n_close, 0);
  CHECK_EQ(sr->n_end, 0); /* no FIN went out with a refused end */
  CHECK_OK(bun_tcp_socket_resume(sr->s));
  RUN_UNTIL(loop, cr.n_close == 1 && sr->n_close == 1);
  CHECK(g_server_ok);
  CHECK_EQ(sr->bytes_in, g_off); /* exactly the accepted bytes: nothing extra, nothing lost */
  CHECK_TRACE(&sr->tr, "open,data,end,close");
  CHECK_TRACE(&cr.tr, "open,end,close");
  /* mode 0: one drain after the refusals (end went there); modes 1 and 2 ended at once */
  CHECK_EQ(g_final_drains, mode == 0 ? 1 : 0);
  check_closed_once(&cr, "client");
  check_closed_once(sr, "server");
  CHECK_EQ(bun_tcp_socket_set_write_limit(cs, 1), BUN_TCP_ECLOSED); /* stale handle */
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

static void run_all(void) {
  g_stream = (uint8_t *)malloc(WL_STREAM);
  if (!g_stream) FAIL("out of memory");
  stream_fill(WL_SEED, 0, g_stream, WL_STREAM);
  run_case(0, "end refused, then accepted after drain");
  run_case(1, "limit changed while data is queued; end without bytes");
  run_case(2, "corked: write_all counts, write does not");
  free(g_stream);
}

#endif
