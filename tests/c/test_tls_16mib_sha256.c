/* the header: bun_tcp_socket_write / bun_tcp_socket_end: a 16 MiB transfer over TLS with a SHA-256 check, both directions at once.
 *
 * Client and server each send 16 MiB of a deterministic stream (different seeds) with Bun's
 * unbuffered contract: write() returns what TLS accepted (0..len), the rest is resent from
 * drain. Each side hashes what it receives; the SHA-256 digests must equal those of the streams
 * that were sent. Exact checks: every byte counted once, at least one short write and drain on
 * each side (drain only after a short write), no error, client trace "open,data,end,close",
 * server trace "open,data,end,close" (the client ends once it sent and received everything).
 * BUN_TCP_TEST_TLS_BYTES overrides the size (e.g. under valgrind).
 */
#include "harness.h"

#define CHUNK (64 * 1024)

typedef struct side {
  uint64_t seed;
  uint64_t total;
  uint64_t sent;
  int short_writes;
  int drains;
  int drains_unowed; /* drain without a short write before it */
  bool owed;
  sha256_ctx sent_sha; /* of what write() accepted */
} side_t;

static side_t g_cli, g_srv;
static rec_t *g_cli_rec;
static uint8_t g_buf[CHUNK];

static side_t *side_of(bun_tcp_socket s) {
  return bun_tcp_socket_listener(s).id ? &g_srv : &g_cli;
}

static void pump(bun_tcp_socket s, side_t *sd) {
  while (sd->sent < sd->total) {
    size_t n = sd->total - sd->sent < CHUNK ? (size_t)(sd->total - sd->sent) : CHUNK;
    stream_fill(sd->seed, sd->sent, g_buf, n);
    int64_t w = bun_tcp_socket_write(s, g_buf, n);
    if (w < 0) FAIL("write returned %lld (%s)", (long long)w, bun_tcp_err_name((int32_t)w));
    sha256_update(&sd->sent_sha, g_buf, (size_t)w);
    sd->sent += (uint64_t)w;
    if ((size_t)w < n) {
      sd->short_writes++;
      sd->owed = true;
      return; /* drain follows */
    }
  }
}

static void maybe_end(bun_tcp_socket s) {
  if (g_cli.sent == g_cli.total && g_cli_rec->bytes_in == g_srv.total && g_cli_rec->n_end == 0 &&
      bun_tcp_socket_ready_state(s) == BUN_TCP_STATE_OPEN)
    CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void on_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  pump(s, side_of(s));
  if (side_of(s) == &g_cli) maybe_end(s);
}
static void on_drain(bun_tcp_socket s, void *d) {
  rec_on_drain(s, d);
  side_t *sd = side_of(s);
  sd->drains++;
  if (!sd->owed) sd->drains_unowed++;
  sd->owed = false;
  pump(s, sd);
  if (sd == &g_cli) maybe_end(s);
}
static void on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (side_of(s) == &g_cli) maybe_end(s);
}

static void expected_digest(uint64_t seed, uint64_t total, uint8_t out[32]) {
  sha256_ctx c;
  sha256_init(&c);
  for (uint64_t off = 0; off < total; off += CHUNK) {
    size_t n = total - off < CHUNK ? (size_t)(total - off) : CHUNK;
    stream_fill(seed, off, g_buf, n);
    sha256_update(&c, g_buf, n);
  }
  sha256_final(&c, out);
}

int main(void) {
  test_init("test_tls_16mib_sha256", 120);
  sha256_selftest();
  uint64_t total = 16u << 20;
  const char *env = getenv("BUN_TCP_TEST_TLS_BYTES");
  if (env && atoll(env) > 0) total = (uint64_t)atoll(env);
  memset(&g_cli, 0, sizeof g_cli);
  memset(&g_srv, 0, sizeof g_srv);
  g_cli.seed = 1;
  g_srv.seed = 2;
  g_cli.total = g_srv.total = total;
  sha256_init(&g_cli.sent_sha);
  sha256_init(&g_srv.sent_sha);

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
  g_cli_rec = &cr;
  bun_tcp_handlers h = rec_handlers();
  h.open = on_open;
  h.drain = on_drain;
  h.data = on_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &h, &server.o, NULL);
  double t0 = now_ms();
  connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &h, &client.o);
  RUN_UNTIL_MS(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1, 60000);
  double dt = now_ms() - t0;
  printf("    %llu bytes each way in %.0f ms; short writes %d/%d, drains %d/%d (client/server)\n",
         (unsigned long long)total, dt, g_cli.short_writes, g_srv.short_writes, g_cli.drains,
         g_srv.drains);

  CHECK_TRACE(&cr.tr, "open,data,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data,end,close");
  CHECK_EQ(g_cli.sent, total);
  CHECK_EQ(g_srv.sent, total);
  CHECK_EQ(cr.bytes_in, total);
  CHECK_EQ(sv.socks[0].bytes_in, total);
  CHECK_EQ(g_cli.drains_unowed + g_srv.drains_unowed, 0);
  CHECK_EQ(g_cli.drains, g_cli.short_writes);
  CHECK_EQ(g_srv.drains, g_srv.short_writes);
  if (total >= (4u << 20)) {
    CHECK_CMP(g_cli.short_writes, >, 0);
    CHECK_CMP(g_srv.short_writes, >, 0);
  }
  CHECK_EQ(cr.n_error + sv.socks[0].n_error, 0);
  CHECK_EQ(cr.close_code + sv.socks[0].close_code, 0);

  uint8_t want_c2s[32], want_s2c[32], got_c2s[32], got_s2c[32], sent_c[32], sent_s[32];
  char hex_w[65], hex_g[65];
  expected_digest(1, total, want_c2s);
  expected_digest(2, total, want_s2c);
  sha256_final(&sv.socks[0].sha, got_c2s);
  sha256_final(&cr.sha, got_s2c);
  sha256_final(&g_cli.sent_sha, sent_c);
  sha256_final(&g_srv.sent_sha, sent_s);
  CHECK(memcmp(sent_c, want_c2s, 32) == 0);
  CHECK(memcmp(sent_s, want_s2c, 32) == 0);
  sha256_hex(want_c2s, hex_w);
  sha256_hex(got_c2s, hex_g);
  printf("    client->server sha256 %s (expected %s)\n", hex_g, hex_w);
  CHECK_STR(hex_g, hex_w);
  sha256_hex(want_s2c, hex_w);
  sha256_hex(got_s2c, hex_g);
  printf("    server->client sha256 %s (expected %s)\n", hex_g, hex_w);
  CHECK_STR(hex_g, hex_w);

  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
  tls_fixtures_free();
  return test_pass();
}
