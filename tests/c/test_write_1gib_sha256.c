/* 1 GiB through the unbuffered write + drain contract: the client writes a deterministic
 * pseudo-random stream with bun_tcp_socket_write, resending what was not accepted from drain, hashing
 * exactly the bytes the library accepted; the server hashes what it receives. Byte counts and
 * SHA-256 digests must match, drain must have fired (1 GiB cannot go through without a short write),
 * and the server sees open, data..., end, close.
 * BUN_TCP_TEST_BIG_BYTES overrides the size (e.g. under valgrind). */
#include "harness.h"

#define SEED 0x1234u
#define CHUNK (256 * 1024)

static uint64_t total;
static uint64_t pos;            /* bytes accepted so far */
static uint8_t *chunk;          /* current chunk of the stream: [chunk_off, chunk_off + chunk_len) */
static uint64_t chunk_off;
static size_t chunk_len;
static sha256_ctx sent_sha;
static int n_drain, n_short, c_close;
static bool ended;
static double last_progress;

static void pump(bun_tcp_socket s) {
  while (pos < total) {
    if (pos >= chunk_off + chunk_len) {
      chunk_off = pos;
      chunk_len = total - pos < CHUNK ? (size_t)(total - pos) : CHUNK;
      stream_fill(SEED, chunk_off, chunk, chunk_len);
    }
    size_t in_chunk = (size_t)(pos - chunk_off);
    size_t want = chunk_len - in_chunk;
    int64_t n = bun_tcp_socket_write(s, chunk + in_chunk, want);
    if (n < 0) FAIL("write returned %lld (%s) at offset %llu", (long long)n, bun_tcp_err_name((int32_t)n), (unsigned long long)pos);
    CHECK_CMP(n, <=, (long long)want);
    if (n > 0) {
      sha256_update(&sent_sha, chunk + in_chunk, (size_t)n);
      pos += (uint64_t)n;
      last_progress = now_ms();
    }
    if ((size_t)n < want) {
      n_short++;
      return; /* the rest is resent from drain */
    }
  }
  if (!ended) {
    ended = true;
    CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
  }
}

static void c_open(bun_tcp_socket s, void *d) { (void)d; pump(s); }
static void c_drain(bun_tcp_socket s, void *d) {
  (void)d;
  n_drain++;
  CHECK_MSG(n_short > 0, "drain fired without a short write");
  pump(s);
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  (void)s; (void)d; (void)b;
  FAIL("client got %zu unexpected bytes", n);
}
static void c_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)s; (void)d;
  if (e) FAIL("client closed with error %s", harness_str(e->name));
  c_close++;
}

static srv_t sv;

int main(void) {
  test_init("write_1gib_sha256", 600);
  const char *env = getenv("BUN_TCP_TEST_BIG_BYTES");
  total = env ? strtoull(env, NULL, 0) : (1ull << 30);
  printf("    transferring %llu bytes\n", (unsigned long long)total);
  sha256_selftest();
  chunk = (uint8_t *)malloc(CHUNK);
  sha256_init(&sent_sha);

  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  sv.keep_bytes = false;
  sv.hash_in = true;
  bun_tcp_handlers hs = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  sv.socks[0].tr.data_contents = false;

  bun_tcp_handlers hc;
  memset(&hc, 0, sizeof hc);
  hc.open = c_open;
  hc.data = c_data;
  hc.drain = c_drain;
  hc.close = c_on_close;
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = bun_tcp_listener_port(l);
  static int ctag;
  co.data = &ctag;
  bun_tcp_socket cs = {0};
  CHECK_OK(bun_tcp_connect(loop, &co, &hc, &cs));

  double t0 = now_ms();
  last_progress = t0;
  while (!(c_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1)) {
    poll_ok(loop, 50);
    if (now_ms() - last_progress > 10000 * harness_time_scale() &&
        (pos < total || now_ms() - last_progress > 20000 * harness_time_scale()))
      FAIL("stalled: %llu of %llu bytes accepted, %zu received, %d drains, %d short writes",
           (unsigned long long)pos, (unsigned long long)total, sv.socks[0].bytes_in, n_drain, n_short);
  }
  double dt = now_ms() - t0;
  printf("    %.0f ms (%.0f MiB/s), %d short writes, %d drains\n", dt,
         (double)total / 1048576.0 / (dt / 1000.0), n_short, n_drain);

  rec_t *r = &sv.socks[0];
  CHECK_EQ(pos, total);
  CHECK_EQ(r->bytes_in, total);
  uint8_t d1[32], d2[32];
  char h1[65], h2[65];
  sha256_final(&sent_sha, d1);
  sha256_final(&r->sha, d2);
  sha256_hex(d1, h1);
  sha256_hex(d2, h2);
  printf("    sent sha256 %s\n    recv sha256 %s\n", h1, h2);
  CHECK_STR(h2, h1);
  if (total >= (64u << 20)) CHECK_CMP(n_drain, >=, 1);
  CHECK_TRACE(&r->tr, "open,data,end,close");

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  free(chunk);
  return test_pass();
}
