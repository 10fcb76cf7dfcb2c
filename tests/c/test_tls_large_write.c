/* the header: bun_tcp_socket_write / bun_tcp_socket_end over TLS: one write / write_all / end of a chunk larger than the TLS layer's
 * own buffer (rustls takes at most 256 KiB of plaintext at a time) on an idle connection.
 *
 *   - write(4 MiB) once ready returns 0 < n <= 4 MiB; if short, drain follows and the rest is
 *     written from drain, until everything is accepted; the peer receives all 4 MiB (SHA-256);
 *   - write_all(4 MiB) in one call returns 4 MiB; if some of it was queued, drain follows once
 *     the queue is empty (buffered_amount 0 then), else none; the peer receives all of it;
 *   - end(4 MiB) in one call: the peer receives all of it, then end;
 *   - write_all(4 MiB) from inside a data handler (an echo server's pattern): the client
 *     receives all of it, then ends.
 * The receiver is fast (same loop), so the kernel never refuses bytes: a short write here comes
 * from the TLS layer's buffer, and the library must go on sending without a new writable edge.
 */
#include "harness.h"

#define BIG (4u << 20)

static uint8_t *g_buf;
static int g_mode; /* 0 write + drain, 1 write_all, 2 end, 3 write_all in the server's data */
static size_t g_off;
static int g_drains, g_short;
static size_t g_queued; /* buffered_amount right after write_all */

static void pump(bun_tcp_socket s) {
  while (g_off < BIG) {
    int64_t n = bun_tcp_socket_write(s, g_buf + g_off, BIG - g_off);
    CHECK_CMP(n, >=, 0);
    g_off += (size_t)n;
    if (g_off < BIG) {
      g_short++;
      return;
    }
  }
  CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  if (g_mode == 0) pump(s);
  if (g_mode == 1) {
    CHECK_EQ(bun_tcp_socket_write_all(s, g_buf, BIG), BIG);
    g_queued = bun_tcp_socket_buffered_amount(s);
    printf("    buffered after write_all: %zu\n", g_queued);
    if (g_queued == 0) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0); /* all taken: no drain owed */
  }
  if (g_mode == 2) CHECK_EQ(bun_tcp_socket_end(s, g_buf, BIG), BIG);
  if (g_mode == 3) CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"go", 2), 2);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (g_mode != 3) return;
  CHECK_EQ(bun_tcp_socket_write_all(s, g_buf, BIG), BIG); /* no end: the client ends */
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  if (g_mode == 3 && r->bytes_in == BIG) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void cli_drain(bun_tcp_socket s, void *d) {
  rec_on_drain(s, d);
  g_drains++;
  if (g_mode == 0) pump(s);
  if (g_mode == 1) {
    CHECK_EQ(bun_tcp_socket_buffered_amount(s), 0);
    CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
  }
}

static void run(int mode, const char *name) {
  test_case(name);
  g_mode = mode;
  g_off = 0;
  g_drains = g_short = 0;
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  sv.keep_bytes = false;
  sv.hash_in = true;
  for (int i = 0; i < SRV_MAX; i++) sv.socks[i].tr.data_contents = false;
  rec_t cr;
  rec_init(&cr);
  cr.keep_bytes = false;
  cr.hash_in = true;
  cr.tr.data_contents = false;
  bun_tcp_handlers sh = rec_handlers();
  sh.data = srv_data;
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  ch.drain = cli_drain;
  ch.data = cli_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &ch, &client.o);
  double deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();
  while (!(cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1)) {
    if (now_ms() > deadline)
      FAIL("stalled: the server received %zu of %u bytes; client wrote %zu, %d short writes, %d "
           "drains, buffered %zu; the client received %zu; client \"%s\"",
           sv.n_accepted ? sv.socks[0].bytes_in : 0, BIG, g_off, g_short, g_drains,
           bun_tcp_socket_buffered_amount(cr.s), cr.bytes_in, cr.tr.buf);
    poll_ok(loop, 50);
  }
  printf("    %d short writes, %d drains\n", g_short, g_drains);
  rec_t *receiver = mode == 3 ? &cr : &sv.socks[0];
  CHECK_EQ(receiver->bytes_in, BIG);
  if (mode == 3) {
    CHECK_TRACE(&sv.socks[0].tr, "open,data,end,close"); /* "go" (contents not traced) */
    CHECK_TRACE(&cr.tr, "open,data,end,close");
  } else {
    CHECK_TRACE(&sv.socks[0].tr, "open,data,end,close");
    CHECK_TRACE(&cr.tr, "open,end,close");
  }
  uint8_t want[32], got[32];
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, g_buf, BIG);
  sha256_final(&c, want);
  sha256_final(&receiver->sha, got);
  CHECK_MSG(memcmp(want, got, 32) == 0, "SHA-256 mismatch");
  if (mode == 0) CHECK_EQ(g_drains, g_short);
  if (mode == 1) CHECK_EQ(g_drains, g_queued > 0 ? 1 : 0);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_large_write", 60);
  g_buf = (uint8_t *)malloc(BIG);
  if (!g_buf) FAIL("out of memory");
  stream_fill(5, 0, g_buf, BIG);
  run(0, "write(4 MiB) + drain");
  run(1, "write_all(4 MiB)");
  run(2, "end(4 MiB)");
  run(3, "write_all(4 MiB) in a data handler");
  free(g_buf);
  tls_fixtures_free();
  return test_pass();
}
