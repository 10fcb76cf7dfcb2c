/* A bulk TLS transfer neither stalls nor makes the allocator hand memory back to the kernel and
 * fault it in again on every write. Both were found with this test and bench/tls/run.sh: server
 * CPU per MiB had doubled while the throughput stayed the same (33,000 minor page faults for
 * 256 MiB instead of ~500), and case (2) stalled with bytes queued and no drain (the queue's flush
 * stopped when rustls' full buffer refused plaintext, which raises no writable edge).
 *
 * The server sends 64 MiB to a client on the same loop, in 256 KiB writes as bench/bulk/bulk_server.c
 * does: (1) write until short, go on from drain; (2) write_all from drain (the queue path). After the
 * first 8 MiB (warm-up: buffers reach their steady size) the process's minor page faults
 * (getrusage ru_minflt) must stay under one per 256 KiB sent. With the fault, each 256 KiB write
 * cost ~32 (its records allocated at the top of the heap, freed, trimmed: every page faulted in
 * again). The peer receives every byte (SHA-256). Under AddressSanitizer or valgrind, whose
 * allocators have other rules, the transfers run and are checked but the fault count is not.
 */
#include "harness.h"
#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define TOTAL (64u << 20)
#define WARMUP (8u << 20)
#define CHUNK (256u * 1024)

static uint8_t *g_buf; /* TOTAL bytes: the stream */
static uint8_t g_want[32]; /* its SHA-256 */
static int g_mode;     /* 0 write + drain, 1 write_all from drain */
static size_t g_off;
static bool g_ended;
static long g_faults_at_warmup = -1;

/* Whether glibc's allocator is the one in use: not under ASan, and not under valgrind (which runs
 * the program with its preload libraries in LD_PRELOAD). */
static bool glibc_allocator(void) {
#ifdef UNDER_ASAN
  return false;
#else
  const char *p = getenv("LD_PRELOAD");
  return !(p && strstr(p, "vgpreload") != NULL);
#endif
}

static long minor_faults(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

static void pump(bun_tcp_socket s) {
  while (g_off < TOTAL) {
    if (g_faults_at_warmup < 0 && g_off >= WARMUP) g_faults_at_warmup = minor_faults();
    size_t want = TOTAL - g_off < CHUNK ? TOTAL - g_off : CHUNK;
    if (g_mode == 1) {
      CHECK_EQ(bun_tcp_socket_write_all(s, g_buf + g_off, want), (int64_t)want);
      g_off += want;
      if (bun_tcp_socket_buffered_amount(s) > 0) return; /* drain follows */
      continue;
    }
    int64_t n = bun_tcp_socket_write(s, g_buf + g_off, want);
    CHECK_CMP(n, >=, 0);
    g_off += (size_t)n;
    if ((size_t)n < want) return; /* drain follows */
  }
  if (!g_ended) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
  g_ended = true;
}

static void srv_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  pump(s);
}
static void srv_drain(bun_tcp_socket s, void *d) {
  rec_on_drain(s, d);
  pump(s); /* the rest, or the end after a last write_all that was queued */
}

static void run(int mode, const char *name) {
  test_case(name);
  g_mode = mode;
  g_off = 0;
  g_ended = false;
  g_faults_at_warmup = -1;
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  sv.keep_bytes = false;
  for (int i = 0; i < SRV_MAX; i++) sv.socks[i].tr.data_contents = false;
  rec_t cr;
  rec_init(&cr);
  cr.keep_bytes = false;
  cr.hash_in = true;
  cr.tr.data_contents = false;
  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open;
  sh.drain = srv_drain;
  bun_tcp_handlers ch = rec_handlers();
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &ch, &client.o);
  double deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();
  while (!(cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1)) {
    if (now_ms() > deadline)
      FAIL("stalled: the server offered %zu of %u bytes, %d drains, buffered %zu; the client received "
           "%zu; client \"%s\", server \"%s\"",
           g_off, TOTAL, sv.socks[0].n_drain, sv.n_accepted ? bun_tcp_socket_buffered_amount(sv.socks[0].s) : 0,
           cr.bytes_in, cr.tr.buf, sv.socks[0].tr.buf);
    poll_ok(loop, 50);
  }
  long faults = minor_faults() - g_faults_at_warmup;
  long bound = (long)((TOTAL - WARMUP) / CHUNK);
  printf("    %ld minor page faults after the first %u MiB (bound %ld%s)\n", faults, WARMUP >> 20, bound,
         glibc_allocator() ? "" : ", not checked: not glibc's allocator");
  CHECK_EQ(cr.bytes_in, TOTAL);
  CHECK_TRACE(&cr.tr, "open,data,end,close");
  uint8_t got[32];
  sha256_final(&cr.sha, got);
  CHECK_MSG(memcmp(g_want, got, 32) == 0, "SHA-256 mismatch");
  CHECK_CMP(g_faults_at_warmup, >=, 0);
  if (glibc_allocator()) CHECK_CMP(faults, <, bound);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_bulk_page_faults", 120);
  g_buf = (uint8_t *)malloc(TOTAL);
  if (!g_buf) FAIL("out of memory");
  stream_fill(9, 0, g_buf, TOTAL);
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, g_buf, TOTAL);
  sha256_final(&c, g_want);
  run(0, "write(256 KiB) until short, then drain");
  run(1, "write_all(256 KiB) from drain");
  free(g_buf);
  tls_fixtures_free();
  return test_pass();
}
