/* harness.h: header-only helpers shared by the bun_tcp C test programs (tests/c/test_*.c).
 *
 * Every test program includes this file first, and only this file from the suite, so every helper is
 * `static` and nothing needs to be linked besides the test's own .c file and libbun_tcp.
 *
 * What is here:
 *   - FAIL / CHECK / CHECK_EQ / CHECK_STR / CHECK_TRACE assertion macros (print file:line, exit 1);
 *   - a per-test global deadline (alarm) as a safety net for calls that could block forever;
 *   - RUN_UNTIL(loop, condition): bun_tcp_poll(loop, 50) until the condition holds or 10 s pass;
 *   - run_for(loop, ms): poll for a fixed wall-clock time, returning the number of handler calls;
 *   - a trace recorder ("open,data:hello,end,close") and a generic recording handler table;
 *   - fd counting through /proc/self/fd;
 *   - a small SHA-256 and a deterministic pseudo-random byte stream;
 *   - raw POSIX loopback sockets used as controlled peers.
 *
 * No test uses sleep() as synchronisation: every wait polls the loop until a condition is reached.
 */
#ifndef BUN_TCP_TEST_HARNESS_H
#define BUN_TCP_TEST_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bun_tcp.h"

#if defined(__GNUC__)
#define HARNESS_UNUSED __attribute__((unused))
#else
#define HARNESS_UNUSED
#endif

/* ------------------------------------------------------------------------------------------------ */
/* time                                                                                             */
/* ------------------------------------------------------------------------------------------------ */

static HARNESS_UNUSED double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* BUN_TCP_TEST_TIME_SCALE (default 1) multiplies every wait deadline (not the timing tolerances):
 * useful under valgrind, where everything runs ~20x slower. */
static HARNESS_UNUSED double harness_time_scale(void) {
  static double scale = 0;
  if (scale == 0) {
    const char *s = getenv("BUN_TCP_TEST_TIME_SCALE");
    scale = (s && atof(s) > 0) ? atof(s) : 1.0;
  }
  return scale;
}

/* ------------------------------------------------------------------------------------------------ */
/* failure reporting                                                                                */
/* ------------------------------------------------------------------------------------------------ */

static const char *harness_test_name = "test";
static const char *volatile harness_stage = "start"; /* printed if the global deadline fires */

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    fprintf(stderr, "FAIL %s (%s:%d): ", harness_test_name, __FILE__, __LINE__);                 \
    fprintf(stderr, __VA_ARGS__);                                                                  \
    fprintf(stderr, "\n");                                                                         \
    fflush(stderr);                                                                                \
    exit(1);                                                                                       \
  } while (0)

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) FAIL("check failed: %s", #cond);                                                  \
  } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "FAIL %s (%s:%d): check failed: %s: ", harness_test_name, __FILE__,         \
              __LINE__, #cond);                                                                    \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fprintf(stderr, "\n");                                                                       \
      fflush(stderr);                                                                              \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

#define CHECK_EQ(actual, expected)                                                                 \
  do {                                                                                             \
    long long _a = (long long)(actual), _e = (long long)(expected);                                \
    if (_a != _e)                                                                                  \
      FAIL("%s == %s: got %lld, expected %lld", #actual, #expected, _a, _e);                       \
  } while (0)

/* a < b, a <= b ... with values printed */
#define CHECK_CMP(a, op, b)                                                                        \
  do {                                                                                             \
    long long _a = (long long)(a), _b = (long long)(b);                                            \
    if (!(_a op _b)) FAIL("%s %s %s: got %lld vs %lld", #a, #op, #b, _a, _b);                      \
  } while (0)

/* a library return code: must be exactly `expected`; prints the error name and last message */
#define CHECK_RC(actual, expected)                                                                 \
  do {                                                                                             \
    long long _a = (long long)(actual), _e = (long long)(expected);                                \
    if (_a != _e)                                                                                  \
      FAIL("%s: got %lld (%s), expected %lld (%s); last_error_message=\"%s\"", #actual, _a,        \
           bun_tcp_err_name((int32_t)_a), _e, bun_tcp_err_name((int32_t)_e),                       \
           harness_str(bun_tcp_last_error_message()));                                             \
  } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, 0)

#define CHECK_NEG(expr)                                                                            \
  do {                                                                                             \
    long long _a = (long long)(expr);                                                              \
    if (_a >= 0) FAIL("%s: got %lld, expected a negative error code", #expr, _a);                  \
  } while (0)

#define CHECK_STR(actual, expected)                                                                \
  do {                                                                                             \
    const char *_a = (actual), *_e = (expected);                                                   \
    if (_a == NULL || _e == NULL ? _a != _e : strcmp(_a, _e) != 0)                                 \
      FAIL("%s: got \"%s\", expected \"%s\"", #actual, _a ? _a : "(null)", _e ? _e : "(null)");    \
  } while (0)

static HARNESS_UNUSED const char *harness_str(const char *s) { return s ? s : "(null)"; }

static void harness_alarm(int sig) {
  (void)sig;
  static const char msg1[] = "FAIL ";
  static const char msg2[] = ": global deadline exceeded (a call blocked or the test hung) in stage: ";
  const char *stage = harness_stage;
  ssize_t r = write(2, msg1, sizeof msg1 - 1);
  r = write(2, harness_test_name, strlen(harness_test_name));
  r = write(2, msg2, sizeof msg2 - 1);
  r = write(2, stage, strlen(stage));
  r = write(2, "\n", 1);
  (void)r;
  _exit(3);
}

/* Call first in main(): names the test and arms a global SIGALRM deadline (safety net only: every
 * wait in the tests has its own, shorter, loop-bound deadline with a precise message). */
static HARNESS_UNUSED void test_init(const char *name, unsigned seconds) {
  harness_test_name = name;
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGALRM, harness_alarm);
  alarm((unsigned)(seconds * harness_time_scale()) + 1);
}

static HARNESS_UNUSED int test_pass(void) {
  alarm(0);
  printf("PASS %s\n", harness_test_name);
  return 0;
}

static HARNESS_UNUSED void test_case(const char *name) {
  harness_stage = name;
  printf("  case: %s\n", name);
}

/* names the current step for the global-deadline message */
static HARNESS_UNUSED void test_stage(const char *name) { harness_stage = name; }

/* ------------------------------------------------------------------------------------------------ */
/* loop helpers                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

static HARNESS_UNUSED bun_tcp_loop *new_loop(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) FAIL("bun_tcp_loop_new returned NULL: %s", harness_str(bun_tcp_last_error_message()));
  return loop;
}

static HARNESS_UNUSED int poll_ok(bun_tcp_loop *loop, int32_t ms) {
  int32_t r = bun_tcp_poll(loop, ms);
  if (r < 0)
    FAIL("bun_tcp_poll(loop, %d) returned %d (%s): %s", (int)ms, (int)r, bun_tcp_err_name(r),
         harness_str(bun_tcp_last_error_message()));
  return r;
}

#define DEFAULT_WAIT_MS 10000

/* Poll (50 ms at a time) until `cond` holds; fail with the condition's text after `ms` wall clock. */
#define RUN_UNTIL_MS(loop, cond, ms)                                                               \
  do {                                                                                             \
    double _deadline = now_ms() + (double)(ms) * harness_time_scale();                             \
    while (!(cond)) {                                                                              \
      if (now_ms() > _deadline)                                                                    \
        FAIL("deadline (%d ms) passed before this condition was reached: %s", (int)(ms), #cond);   \
      poll_ok((loop), 50);                                                                         \
    }                                                                                              \
  } while (0)

#define RUN_UNTIL(loop, cond) RUN_UNTIL_MS(loop, cond, DEFAULT_WAIT_MS)

/* Poll for `ms` of wall-clock time (used to check that nothing happens); returns handler calls. */
static HARNESS_UNUSED long run_for(bun_tcp_loop *loop, int ms) {
  long calls = 0;
  double end = now_ms() + ms;
  for (;;) {
    double left = end - now_ms();
    if (left <= 0) break;
    calls += poll_ok(loop, left > 50 ? 50 : (int32_t)left + 1);
  }
  return calls;
}

/* ------------------------------------------------------------------------------------------------ */
/* fd counting                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

/* Number of open fds of this process (the directory stream's own fd is not counted). */
static HARNESS_UNUSED int count_open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) FAIL("opendir(/proc/self/fd): %s", strerror(errno));
  int n = 0;
  int self = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (atoi(e->d_name) == self) continue;
    n++;
  }
  closedir(d);
  return n;
}

/* ------------------------------------------------------------------------------------------------ */
/* trace recorder                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

#define TRACE_CAP 8192

typedef struct trace {
  char buf[TRACE_CAP];
  size_t len;
  bool last_was_data; /* consecutive data entries are coalesced: TCP may split or merge writes */
  bool overflow;
  bool data_contents; /* true: "data:<bytes>"; false: "data" only (set by trace_init) */
} trace_t;

static HARNESS_UNUSED void trace_init(trace_t *t) {
  memset(t, 0, sizeof *t);
  t->data_contents = true;
}

static HARNESS_UNUSED void trace_append_raw(trace_t *t, const char *s, size_t n) {
  if (t->len + n + 1 >= TRACE_CAP) {
    t->overflow = true;
    return;
  }
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = 0;
}

/* Append an event ("open", "end", "close", "close_err:ECONNRESET", ...). */
static HARNESS_UNUSED void trace_add(trace_t *t, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof tmp) n = (int)sizeof tmp - 1;
  if (t->len) trace_append_raw(t, ",", 1);
  trace_append_raw(t, tmp, (size_t)n);
  t->last_was_data = false;
}

/* Append "data:<bytes>" (printable bytes as-is, others, ',' and '\\' as \xNN); consecutive data
 * calls extend the same entry. */
static HARNESS_UNUSED void trace_data(trace_t *t, const uint8_t *bytes, size_t len) {
  if (!t->last_was_data) {
    if (t->len) trace_append_raw(t, ",", 1);
    trace_append_raw(t, "data", 4);
    if (t->data_contents) trace_append_raw(t, ":", 1);
    t->last_was_data = true;
  }
  if (!t->data_contents) return;
  for (size_t i = 0; i < len; i++) {
    uint8_t c = bytes[i];
    if (c >= 0x20 && c < 0x7f && c != ',' && c != '\\') {
      char ch = (char)c;
      trace_append_raw(t, &ch, 1);
    } else {
      char esc[5];
      snprintf(esc, sizeof esc, "\\x%02x", c);
      trace_append_raw(t, esc, 4);
    }
  }
}

static HARNESS_UNUSED void trace_close(trace_t *t, const bun_tcp_error *err) {
  if (err)
    trace_add(t, "close_err:%s", harness_str(err->name));
  else
    trace_add(t, "close");
}

#define CHECK_TRACE(t, expected)                                                                   \
  do {                                                                                             \
    if ((t)->overflow) FAIL("trace %s overflowed", #t);                                            \
    if (strcmp((t)->buf, (expected)) != 0)                                                         \
      FAIL("trace %s:\n    got:      \"%s\"\n    expected: \"%s\"", #t, (t)->buf, (expected));     \
  } while (0)

/* ------------------------------------------------------------------------------------------------ */
/* byte buffer                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

typedef struct bytebuf {
  uint8_t *ptr;
  size_t len, cap;
} bytebuf_t;

static HARNESS_UNUSED void bytebuf_append(bytebuf_t *b, const uint8_t *p, size_t n) {
  if (n == 0) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *np = (uint8_t *)realloc(b->ptr, cap);
    if (!np) FAIL("out of memory");
    b->ptr = np;
    b->cap = cap;
  }
  memcpy(b->ptr + b->len, p, n);
  b->len += n;
}

static HARNESS_UNUSED void bytebuf_free(bytebuf_t *b) {
  free(b->ptr);
  b->ptr = NULL;
  b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* SHA-256 (FIPS 180-4), written for this suite                                                     */
/* ------------------------------------------------------------------------------------------------ */

typedef struct sha256_ctx {
  uint32_t h[8];
  uint64_t total;
  uint8_t block[64];
  size_t fill;
} sha256_ctx;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define SHA_ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static HARNESS_UNUSED void sha256_init(sha256_ctx *c) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, h0, sizeof h0);
  c->total = 0;
  c->fill = 0;
}

static void sha256_compress(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = SHA_ROTR(w[i - 15], 7) ^ SHA_ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = SHA_ROTR(w[i - 2], 17) ^ SHA_ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t S1 = SHA_ROTR(e, 6) ^ SHA_ROTR(e, 11) ^ SHA_ROTR(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = hh + S1 + ch + sha256_k[i] + w[i];
    uint32_t S0 = SHA_ROTR(a, 2) ^ SHA_ROTR(a, 13) ^ SHA_ROTR(a, 22);
    uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + mj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d;
  h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static HARNESS_UNUSED void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n) {
  c->total += n;
  if (c->fill) {
    size_t take = 64 - c->fill < n ? 64 - c->fill : n;
    memcpy(c->block + c->fill, p, take);
    c->fill += take;
    p += take;
    n -= take;
    if (c->fill < 64) return;
    sha256_compress(c->h, c->block);
    c->fill = 0;
  }
  while (n >= 64) {
    sha256_compress(c->h, p);
    p += 64;
    n -= 64;
  }
  memcpy(c->block, p, n);
  c->fill = n;
}

static HARNESS_UNUSED void sha256_final(sha256_ctx *c, uint8_t out[32]) {
  uint64_t bits = c->total * 8;
  uint8_t pad = 0x80;
  uint64_t keep_total = c->total;
  sha256_update(c, &pad, 1);
  uint8_t zero = 0;
  while (c->fill != 56) sha256_update(c, &zero, 1);
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(c, len, 8);
  c->total = keep_total;
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

static HARNESS_UNUSED void sha256_hex(const uint8_t d[32], char out[65]) {
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Checks the SHA-256 implementation against the FIPS 180-4 examples. */
static HARNESS_UNUSED void sha256_selftest(void) {
  struct { const char *msg; const char *hex; } v[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    sha256_ctx c;
    uint8_t d[32];
    char hex[65];
    sha256_init(&c);
    /* feed byte by byte and in one go: both must agree */
    for (const char *p = v[i].msg; *p; p++) sha256_update(&c, (const uint8_t *)p, 1);
    sha256_final(&c, d);
    sha256_hex(d, hex);
    CHECK_STR(hex, v[i].hex);
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* deterministic pseudo-random stream: byte at position p depends only on (seed, p)                 */
/* ------------------------------------------------------------------------------------------------ */

static HARNESS_UNUSED uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

static HARNESS_UNUSED void stream_fill(uint64_t seed, uint64_t offset, uint8_t *out, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint64_t pos = offset + i;
    uint64_t word = splitmix64(seed * 0x100000001B3ull + (pos >> 3));
    unsigned k = (unsigned)(pos & 7);
    if (k == 0 && len - i >= 8) {
      memcpy(out + i, &word, 8); /* byte order is irrelevant as long as it is consistent */
      i += 8;
      continue;
    }
    out[i++] = ((const uint8_t *)&word)[k];
  }
}

/* true iff bytes equal the stream at offset */
static HARNESS_UNUSED bool stream_check(uint64_t seed, uint64_t offset, const uint8_t *bytes,
                                        size_t len) {
  uint8_t tmp[4096];
  while (len) {
    size_t n = len < sizeof tmp ? len : sizeof tmp;
    stream_fill(seed, offset, tmp, n);
    if (memcmp(tmp, bytes, n) != 0) return false;
    offset += n;
    bytes += n;
    len -= n;
  }
  return true;
}

/* ------------------------------------------------------------------------------------------------ */
/* resolver probe                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

#include <netdb.h>

#define UNRESOLVABLE_HOST "nonexistent.invalid"

/* The ENOTFOUND tests need a resolver that answers "no such name" for UNRESOLVABLE_HOST promptly.
 * Offline machines (no DNS server) answer EAI_AGAIN after a long timeout instead; there those cases
 * are skipped with a message rather than failed. The probe runs once per process. */
static HARNESS_UNUSED bool resolver_reports_nxdomain(void) {
  static int cached = -1;
  if (cached >= 0) return cached == 1;
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  double t0 = now_ms();
  int rc = getaddrinfo(UNRESOLVABLE_HOST, "80", &hints, &res);
  double dt = now_ms() - t0;
  if (res) freeaddrinfo(res);
  cached = (rc == EAI_NONAME && dt < 3000) ? 1 : 0;
  if (!cached)
    printf("    NOTE: the system resolver answers \"%s\" with \"%s\" after %.0f ms (not a prompt "
           "NXDOMAIN): unknown-host cases are skipped\n",
           UNRESOLVABLE_HOST, rc ? gai_strerror(rc) : "an address", dt);
  return cached == 1;
}

/* ------------------------------------------------------------------------------------------------ */
/* raw POSIX peers (loopback only)                                                                  */
/* ------------------------------------------------------------------------------------------------ */

static HARNESS_UNUSED void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) FAIL("fcntl: %s", strerror(errno));
}

/* A TCP socket bound to 127.0.0.1:<ephemeral>; listening iff `do_listen`. Port in *port. A bound
 * socket that does not listen holds the port and answers connects with RST (ECONNREFUSED). */
static HARNESS_UNUSED int raw_tcp_bound(bool do_listen, uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) FAIL("socket: %s", strerror(errno));
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) FAIL("bind: %s", strerror(errno));
  if (do_listen && listen(fd, 64) < 0) FAIL("listen: %s", strerror(errno));
  socklen_t sl = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &sl);
  *port = ntohs(a.sin_port);
  return fd;
}

/* blocking connect to 127.0.0.1:port (the bun_tcp listener accepts it on the next poll) */
static HARNESS_UNUSED int raw_tcp_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) FAIL("socket: %s", strerror(errno));
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) FAIL("raw connect: %s", strerror(errno));
  return fd;
}

/* accept with a deadline while polling the loop (the peer is a bun_tcp client on the same thread) */
static HARNESS_UNUSED int raw_accept_polling(bun_tcp_loop *loop, int lfd) {
  set_nonblock(lfd);
  double deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) FAIL("accept: %s", strerror(errno));
    if (now_ms() > deadline) FAIL("raw accept: no connection arrived before the deadline");
    poll_ok(loop, 10);
  }
}

/* Non-blocking read: >0 bytes, 0 EOF, -1 would block; fails the test on other errors unless
 * `allow_reset` (then -2 on ECONNRESET). */
static HARNESS_UNUSED ssize_t raw_read(int fd, void *buf, size_t cap, bool allow_reset) {
  ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return -1;
  if (allow_reset && errno == ECONNRESET) return -2;
  FAIL("raw recv: %s", strerror(errno));
}

/* Blocking send of everything (small payloads only: loopback buffers take them at once). */
static HARNESS_UNUSED void raw_send_all(int fd, const void *buf, size_t len) {
  const uint8_t *p = (const uint8_t *)buf;
  while (len) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      FAIL("raw send: %s", strerror(errno));
    }
    p += n;
    len -= (size_t)n;
  }
}

/* close with RST */
static HARNESS_UNUSED void raw_reset(int fd) {
  struct linger lg = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
}

/* ------------------------------------------------------------------------------------------------ */
/* generic recording handlers                                                                       */
/* ------------------------------------------------------------------------------------------------ */

#define REC_MAGIC 0x52454321u  /* a per-socket record */
#define SRV_MAGIC 0x53525621u  /* a server: accepted sockets get a record from its pool */
#define SRV_MAX 32

/* One socket's record of everything that happened to it. */
typedef struct rec {
  uint32_t magic;
  trace_t tr;
  bun_tcp_socket s;
  int n_open, n_data, n_drain, n_end, n_close, n_error, n_timeout, n_connect_error, n_handshake;
  int n_after_close;      /* handler calls after close: must stay 0 */
  int total_calls;
  size_t bytes_in;
  bool keep_bytes;        /* append received bytes to `in` (default true) */
  bytebuf_t in;
  bool hash_in;           /* update `sha` with received bytes */
  sha256_ctx sha;
  int close_code;         /* 0 if close(err == NULL) */
  char close_name[64];
  char close_syscall[64];
  int error_code;
  char error_name[64];
  int connect_error_code;
  char connect_error_name[64];
  char connect_error_syscall[64];
  char connect_error_message[512];
  bool trace_drain;       /* record "drain" in the trace (off by default: drains depend on timing) */
  void *user;             /* free for the test */
  struct srv *server;     /* set for accepted sockets */
  double t_open, t_close, t_timeout;
  /* TLS (rec_on_handshake, harness_tls section below) */
  int hs_success;         /* success argument of the last handshake call */
  int hs_verify_code;     /* verify_error->code, 0 for NULL */
  char hs_verify_name[64];
  bool hs_authorized;     /* bun_tcp_socket_authorized inside handshake */
  char error_message[512];
} rec_t;

/* A server: the listener's user data. Each accepted socket takes the next record of `socks`
 * (through bun_tcp_socket_set_data in rec_on_open). */
typedef struct srv {
  uint32_t magic;
  bun_tcp_listener l;
  int n_accepted;
  rec_t socks[SRV_MAX];
  bool keep_bytes;        /* copied into each accepted record */
  bool hash_in;
  bool pause_on_open;     /* pause each accepted socket in open */
  void *user;
} srv_t;

static HARNESS_UNUSED void rec_init(rec_t *r) {
  memset(r, 0, sizeof *r);
  r->magic = REC_MAGIC;
  trace_init(&r->tr);
  r->keep_bytes = true;
  sha256_init(&r->sha);
}

static HARNESS_UNUSED void srv_init(srv_t *s) {
  memset(s, 0, sizeof *s);
  s->magic = SRV_MAGIC;
  s->keep_bytes = true;
  for (int i = 0; i < SRV_MAX; i++) {
    rec_init(&s->socks[i]);
    s->socks[i].server = s;
  }
}

static HARNESS_UNUSED void rec_free(rec_t *r) { bytebuf_free(&r->in); }

static HARNESS_UNUSED void srv_free(srv_t *s) {
  for (int i = 0; i < SRV_MAX; i++) rec_free(&s->socks[i]);
}

static HARNESS_UNUSED void copy_name(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src ? src : "(null)");
}

/* Resolve the record for a handler call; accepted sockets are bound to a record at open. */
static HARNESS_UNUSED rec_t *rec_of(bun_tcp_socket s, void *data, bool is_open) {
  if (!data) FAIL("handler called with NULL user data (socket id %llu)", (unsigned long long)s.id);
  uint32_t magic = *(uint32_t *)data;
  if (magic == SRV_MAGIC) {
    srv_t *sv = (srv_t *)data;
    if (!is_open) FAIL("accepted socket got a non-open handler call before open bound its record");
    if (sv->n_accepted >= SRV_MAX) FAIL("too many accepted sockets");
    rec_t *r = &sv->socks[sv->n_accepted++];
    r->keep_bytes = sv->keep_bytes;
    r->hash_in = sv->hash_in;
    r->s = s;
    CHECK(bun_tcp_socket_data(s) == data); /* the listener data is the accepted socket's data */
    CHECK_OK(bun_tcp_socket_set_data(s, r));
    CHECK(bun_tcp_socket_data(s) == r);
    if (sv->pause_on_open) CHECK_OK(bun_tcp_socket_pause(s));
    return r;
  }
  if (magic != REC_MAGIC) FAIL("handler called with unexpected user data %p", data);
  rec_t *r = (rec_t *)data;
  if (r->s.id == 0) r->s = s;
  if (r->s.id != s.id)
    FAIL("handler called with socket id %llu, the record belongs to %llu", (unsigned long long)s.id,
         (unsigned long long)r->s.id);
  r->total_calls++;
  if (r->n_close) r->n_after_close++;
  return r;
}

static HARNESS_UNUSED void rec_on_open(bun_tcp_socket s, void *data) {
  rec_t *r = rec_of(s, data, true);
  if (r->server) r->total_calls++;
  r->n_open++;
  r->t_open = now_ms();
  trace_add(&r->tr, "open");
}

static HARNESS_UNUSED void rec_on_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_t *r = rec_of(s, data, false);
  r->n_data++;
  r->bytes_in += n;
  if (r->keep_bytes) bytebuf_append(&r->in, b, n);
  if (r->hash_in) sha256_update(&r->sha, b, n);
  trace_data(&r->tr, b, n);
}

static HARNESS_UNUSED void rec_on_drain(bun_tcp_socket s, void *data) {
  rec_t *r = rec_of(s, data, false);
  r->n_drain++;
  if (r->trace_drain) trace_add(&r->tr, "drain");
}

static HARNESS_UNUSED void rec_on_end(bun_tcp_socket s, void *data) {
  rec_t *r = rec_of(s, data, false);
  r->n_end++;
  trace_add(&r->tr, "end");
}

static HARNESS_UNUSED void rec_on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  rec_t *r = rec_of(s, data, false);
  r->n_close++;
  r->t_close = now_ms();
  if (err) {
    r->close_code = err->code;
    copy_name(r->close_name, sizeof r->close_name, err->name);
    copy_name(r->close_syscall, sizeof r->close_syscall, err->syscall);
  }
  /* user data stays readable inside close */
  if (bun_tcp_socket_data(s) != data)
    FAIL("bun_tcp_socket_data(s) inside close is %p, handler data is %p", bun_tcp_socket_data(s), data);
  trace_close(&r->tr, err);
}

static HARNESS_UNUSED void rec_on_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  rec_t *r = rec_of(s, data, false);
  r->n_error++;
  if (!err) FAIL("error handler called with err == NULL");
  r->error_code = err->code;
  copy_name(r->error_name, sizeof r->error_name, err->name);
  copy_name(r->error_message, sizeof r->error_message, err->message);
  trace_add(&r->tr, "error:%s", harness_str(err->name));
}

static HARNESS_UNUSED void rec_on_timeout(bun_tcp_socket s, void *data) {
  rec_t *r = rec_of(s, data, false);
  r->n_timeout++;
  r->t_timeout = now_ms();
  trace_add(&r->tr, "timeout");
}

static HARNESS_UNUSED void rec_on_connect_error(bun_tcp_socket s, void *data,
                                                const bun_tcp_error *err) {
  rec_t *r = rec_of(s, data, false);
  r->n_connect_error++;
  if (!err) FAIL("connect_error handler called with err == NULL");
  r->connect_error_code = err->code;
  copy_name(r->connect_error_name, sizeof r->connect_error_name, err->name);
  copy_name(r->connect_error_syscall, sizeof r->connect_error_syscall, err->syscall);
  copy_name(r->connect_error_message, sizeof r->connect_error_message, err->message);
  trace_add(&r->tr, "connect_error:%s", harness_str(err->name));
}

/* The full recording table (no handshake: TLS is out of scope here). Tests copy and edit it. */
static HARNESS_UNUSED bun_tcp_handlers rec_handlers(void) {
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.open = rec_on_open;
  h.data = rec_on_data;
  h.drain = rec_on_drain;
  h.end = rec_on_end;
  h.close = rec_on_close;
  h.error = rec_on_error;
  h.timeout = rec_on_timeout;
  h.connect_error = rec_on_connect_error;
  return h;
}

/* Listen on 127.0.0.1:0 with `sv` as listener data; returns the listener, port in sv. */
static HARNESS_UNUSED bun_tcp_listener listen_srv(bun_tcp_loop *loop, srv_t *sv,
                                                  const bun_tcp_handlers *h, bool allow_half_open) {
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = 0;
  o.data = sv;
  o.allow_half_open = allow_half_open;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, h, &l));
  CHECK(l.id != 0);
  CHECK(bun_tcp_listener_port(l) > 0);
  sv->l = l;
  return l;
}

/* Connect to 127.0.0.1:port with `r` as user data. */
static HARNESS_UNUSED bun_tcp_socket connect_rec(bun_tcp_loop *loop, uint16_t port, rec_t *r,
                                                 const bun_tcp_handlers *h, bool allow_half_open) {
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = port;
  o.data = r;
  o.allow_half_open = allow_half_open;
  bun_tcp_socket s = {0};
  CHECK_OK(bun_tcp_connect(loop, &o, h, &s));
  CHECK(s.id != 0);
  r->s = s;
  return s;
}

/* Every socket that fired open fired close exactly once, and nothing after it. */
static HARNESS_UNUSED void check_closed_once(const rec_t *r, const char *who) {
  if (r->n_close != 1) FAIL("%s: close fired %d times (trace \"%s\")", who, r->n_close, r->tr.buf);
  if (r->n_after_close) FAIL("%s: %d handler calls after close (trace \"%s\")", who, r->n_after_close, r->tr.buf);
}

/* ------------------------------------------------------------------------------------------------ */
/* TLS (tests/c/test_tls_*.c)                                                                       */
/* ------------------------------------------------------------------------------------------------ */
/* Fixtures come from tests/tls/make-fixtures.sh; CMake runs it once (ctest fixture "tls_fixtures")
 * and passes the directory in BUN_TCP_TLS_FIXTURES. Without the variable the tests look in
 * $BUN_TCP_SOURCE_DIR/target/tls-fixtures, then ./target/tls-fixtures. */

#include <limits.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static HARNESS_UNUSED const char *tls_fixture_dir(void) {
  static char dir[PATH_MAX];
  if (dir[0]) return dir;
  const char *env = getenv("BUN_TCP_TLS_FIXTURES");
  const char *src = getenv("BUN_TCP_SOURCE_DIR");
  if (env && *env)
    snprintf(dir, sizeof dir, "%s", env);
  else if (src && *src)
    snprintf(dir, sizeof dir, "%s/target/tls-fixtures", src);
  else
    snprintf(dir, sizeof dir, "target/tls-fixtures");
  char probe[PATH_MAX + 16];
  snprintf(probe, sizeof probe, "%s/ca.crt", dir);
  if (access(probe, R_OK) != 0)
    FAIL("TLS fixtures not found in %s (run `bash tests/tls/make-fixtures.sh DIR` and set "
         "BUN_TCP_TLS_FIXTURES=DIR)", dir);
  return dir;
}

/* "<fixture dir>/<name>" (8 rotating buffers: several may be used in one expression) */
static HARNESS_UNUSED const char *tls_path(const char *name) {
  static char bufs[8][PATH_MAX + 64];
  static unsigned next;
  char *b = bufs[next++ % 8];
  snprintf(b, PATH_MAX + 64, "%s/%s", tls_fixture_dir(), name);
  return b;
}

#define TLS_PEM_CACHE 48
static struct {
  char name[128];
  uint8_t *ptr;
  size_t len;
} tls_pem_cache[TLS_PEM_CACHE];

static HARNESS_UNUSED bun_tcp_bytes tls_bytes_of(const uint8_t *p, size_t n) {
  bun_tcp_bytes b;
  b.ptr = p;
  b.len = n;
  return b;
}

/* The slot of a cached entry by name, or a free slot named `name` (its ptr still NULL): fill it
 * before the next call. */
static HARNESS_UNUSED int tls_pem_slot(const char *name) {
  for (int i = 0; i < TLS_PEM_CACHE; i++)
    if (tls_pem_cache[i].ptr && strcmp(tls_pem_cache[i].name, name) == 0) return i;
  for (int i = 0; i < TLS_PEM_CACHE; i++)
    if (!tls_pem_cache[i].ptr) {
      snprintf(tls_pem_cache[i].name, sizeof tls_pem_cache[i].name, "%s", name);
      return i;
    }
  FAIL("tls_pem cache full");
}

static HARNESS_UNUSED void tls_read_file(const char *path, uint8_t **out, size_t *out_len) {
  FILE *f = fopen(path, "rb");
  if (!f) FAIL("open %s: %s", path, strerror(errno));
  bytebuf_t b;
  memset(&b, 0, sizeof b);
  uint8_t tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) bytebuf_append(&b, tmp, n);
  fclose(f);
  uint8_t z = 0;
  bytebuf_append(&b, &z, 1); /* NUL after the contents (not counted): handy for strstr */
  *out = b.ptr;
  *out_len = b.len - 1;
}

/* The contents of fixture `name` (read once, kept until tls_fixtures_free). */
static HARNESS_UNUSED bun_tcp_bytes tls_pem(const char *name) {
  int i = tls_pem_slot(name);
  if (!tls_pem_cache[i].ptr) tls_read_file(tls_path(name), &tls_pem_cache[i].ptr, &tls_pem_cache[i].len);
  return tls_bytes_of(tls_pem_cache[i].ptr, tls_pem_cache[i].len);
}

/* The contents of fixtures `a` and `b` concatenated (a chain: leaf then issuer). */
static HARNESS_UNUSED bun_tcp_bytes tls_pem_concat(const char *a, const char *b) {
  char key[128];
  snprintf(key, sizeof key, "%s+%s", a, b);
  bun_tcp_bytes pa = tls_pem(a), pb = tls_pem(b); /* before taking a slot for the result */
  int i = tls_pem_slot(key);
  if (!tls_pem_cache[i].ptr) {
    bytebuf_t buf;
    memset(&buf, 0, sizeof buf);
    bytebuf_append(&buf, pa.ptr, pa.len);
    bytebuf_append(&buf, pb.ptr, pb.len);
    uint8_t z = 0;
    bytebuf_append(&buf, &z, 1);
    tls_pem_cache[i].ptr = buf.ptr;
    tls_pem_cache[i].len = buf.len - 1;
  }
  return tls_bytes_of(tls_pem_cache[i].ptr, tls_pem_cache[i].len);
}

static HARNESS_UNUSED void tls_fixtures_free(void) {
  for (int i = 0; i < TLS_PEM_CACHE; i++) {
    free(tls_pem_cache[i].ptr);
    tls_pem_cache[i].ptr = NULL;
    tls_pem_cache[i].name[0] = 0;
  }
}

/* The DER of the first CERTIFICATE block of fixture `name` (base64-decoded), into `out`. */
static HARNESS_UNUSED void tls_cert_der(const char *name, bytebuf_t *out) {
  bun_tcp_bytes pem = tls_pem(name);
  const char *begin = strstr((const char *)pem.ptr, "-----BEGIN CERTIFICATE-----");
  if (!begin) FAIL("%s holds no certificate", name);
  begin += strlen("-----BEGIN CERTIFICATE-----");
  const char *end = strstr(begin, "-----END CERTIFICATE-----");
  if (!end) FAIL("%s: unterminated certificate", name);
  uint32_t acc = 0;
  int bits = 0;
  for (const char *p = begin; p < end; p++) {
    int v;
    char c = *p;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else continue; /* newlines, '=' padding */
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      uint8_t byte = (uint8_t)(acc >> bits);
      bytebuf_append(out, &byte, 1);
    }
  }
}

/* Whether the socket's peer certificate is exactly fixture `name` (its first certificate). */
static HARNESS_UNUSED bool tls_peer_cert_is(bun_tcp_socket s, const char *name) {
  bytebuf_t want;
  memset(&want, 0, sizeof want);
  tls_cert_der(name, &want);
  int32_t n = bun_tcp_socket_peer_certificate(s, NULL, 0);
  bool same = false;
  if (n > 0 && (size_t)n == want.len) {
    uint8_t *got = (uint8_t *)malloc((size_t)n);
    if (!got) FAIL("out of memory");
    int32_t m = bun_tcp_socket_peer_certificate(s, got, (size_t)n);
    same = m == n && memcmp(got, want.ptr, want.len) == 0;
    free(got);
  }
  bytebuf_free(&want);
  return same;
}

/* TLS options with their arrays. It points into itself: initialise in place, never copy. */
typedef struct tls_cfg {
  bun_tcp_tls_options o;
  bun_tcp_bytes key[4], cert[4], ca[4];
  const char *alpn[8];
} tls_cfg;

static HARNESS_UNUSED void tls_cfg_init(tls_cfg *c) {
  memset(c, 0, sizeof *c);
  c->o.key = c->key;
  c->o.cert = c->cert;
  c->o.ca = c->ca;
  c->o.alpn = c->alpn;
}

/* adds a certificate chain (fixture cert_name) and its key (fixture key_name) */
static HARNESS_UNUSED void tls_cfg_chain(tls_cfg *c, const char *cert_name, const char *key_name) {
  if (c->o.cert_count >= 4) FAIL("tls_cfg: too many chains");
  c->cert[c->o.cert_count++] = tls_pem(cert_name);
  c->key[c->o.key_count++] = tls_pem(key_name);
}

/* adds a trusted CA (fixture name) */
static HARNESS_UNUSED void tls_cfg_ca(tls_cfg *c, const char *ca_name) {
  if (c->o.ca_count >= 4) FAIL("tls_cfg: too many CAs");
  c->ca[c->o.ca_count++] = tls_pem(ca_name);
}

static HARNESS_UNUSED void tls_cfg_alpn(tls_cfg *c, const char *proto) {
  if (c->o.alpn_count >= 8) FAIL("tls_cfg: too many ALPN names");
  c->alpn[c->o.alpn_count++] = proto;
}

/* The usual server: server.crt (localhost, 127.0.0.1, ::1, signed by ca) + server.key. */
static HARNESS_UNUSED void tls_cfg_server(tls_cfg *c) {
  tls_cfg_init(c);
  tls_cfg_chain(c, "server.crt", "server.key");
}

/* The usual client: trusts ca.crt only. */
static HARNESS_UNUSED void tls_cfg_client(tls_cfg *c) {
  tls_cfg_init(c);
  tls_cfg_ca(c, "ca.crt");
}

/* handshake recorder: "handshake:ok", "handshake:ok:<verdict>" (allow_unauthorized) or
 * "handshake:fail:<error>" */
static HARNESS_UNUSED void rec_on_handshake(bun_tcp_socket s, void *data, bool success,
                                            const bun_tcp_error *verify_error) {
  rec_t *r = rec_of(s, data, false);
  r->n_handshake++;
  r->hs_success = success;
  r->hs_verify_code = verify_error ? verify_error->code : 0;
  copy_name(r->hs_verify_name, sizeof r->hs_verify_name, verify_error ? verify_error->name : NULL);
  r->hs_authorized = bun_tcp_socket_authorized(s);
  if (success && !verify_error)
    trace_add(&r->tr, "handshake:ok");
  else
    trace_add(&r->tr, "handshake:%s:%s", success ? "ok" : "fail",
              verify_error ? harness_str(verify_error->name) : "(null)");
}

/* rec_handlers() plus the handshake recorder */
static HARNESS_UNUSED bun_tcp_handlers rec_tls_handlers(void) {
  bun_tcp_handlers h = rec_handlers();
  h.handshake = rec_on_handshake;
  return h;
}

/* Listen with TLS on `host` (NULL = 127.0.0.1) port 0 with `sv` as listener data. */
static HARNESS_UNUSED bun_tcp_listener listen_tls_srv(bun_tcp_loop *loop, srv_t *sv,
                                                      const bun_tcp_handlers *h,
                                                      const bun_tcp_tls_options *tls,
                                                      const char *host) {
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = host ? host : "127.0.0.1";
  o.data = sv;
  o.tls = tls;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &o, h, &l));
  CHECK(l.id != 0);
  CHECK(bun_tcp_listener_port(l) > 0);
  sv->l = l;
  return l;
}

/* Connect with TLS to host (NULL = 127.0.0.1):port with `r` as user data. */
static HARNESS_UNUSED bun_tcp_socket connect_tls_rec(bun_tcp_loop *loop, const char *host,
                                                     uint16_t port, rec_t *r,
                                                     const bun_tcp_handlers *h,
                                                     const bun_tcp_tls_options *tls) {
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = host ? host : "127.0.0.1";
  o.port = port;
  o.data = r;
  o.tls = tls;
  bun_tcp_socket s = {0};
  CHECK_OK(bun_tcp_connect(loop, &o, h, &s));
  CHECK(s.id != 0);
  r->s = s;
  return s;
}

/* ---- tls_probe: one TLS client against a fresh TLS listener ---------------------------------- */
/* The client says "ping" once it is ready (open without a handshake handler, handshake(true) with
 * one), the server echoes, the client ends once the 4 bytes are back. Each side records what the
 * queries say at the moment it became ready (version, cipher, ALPN, verdict, peer certificate).
 * Expected traces on success:
 *   client "open,data:ping,end,close"  (with handshake handler: "open,handshake:ok,data:ping,end,close")
 *   server "open,data:ping,end,close"  (with handshake handler: "open,handshake:ok,data:ping,end,close") */

typedef struct tls_side {
  bool ready;
  bool authorized;
  int32_t verify;
  char version[16];
  char cipher[64];
  char alpn[64];
  char sni[256];          /* bun_tcp_socket_server_name: the client's SNI, on the server side */
  bytebuf_t peer_der;
} tls_side_t;

typedef struct tls_probe {
  rec_t cli;
  srv_t srv;
  tls_side_t cli_side;
  tls_side_t srv_side[SRV_MAX];
} tls_probe_t;

static HARNESS_UNUSED void tls_side_capture(bun_tcp_socket s, tls_side_t *t) {
  t->ready = true;
  t->authorized = bun_tcp_socket_authorized(s);
  t->verify = bun_tcp_socket_verify_error(s);
  snprintf(t->version, sizeof t->version, "%s", harness_str(bun_tcp_socket_tls_version(s)));
  snprintf(t->cipher, sizeof t->cipher, "%s", harness_str(bun_tcp_socket_cipher(s)));
  int32_t n = bun_tcp_socket_alpn_protocol(s, t->alpn, sizeof t->alpn);
  if (n < 0) FAIL("bun_tcp_socket_alpn_protocol: %d (%s)", (int)n, bun_tcp_err_name(n));
  CHECK_EQ(strlen(t->alpn), n);
  n = bun_tcp_socket_server_name(s, t->sni, sizeof t->sni);
  if (n < 0) FAIL("bun_tcp_socket_server_name: %d (%s)", (int)n, bun_tcp_err_name(n));
  CHECK_EQ(strlen(t->sni), n);
  int32_t len = bun_tcp_socket_peer_certificate(s, NULL, 0);
  CHECK_CMP(len, >=, 0);
  if (len > 0) {
    uint8_t *der = (uint8_t *)malloc((size_t)len);
    if (!der) FAIL("out of memory");
    CHECK_EQ(bun_tcp_socket_peer_certificate(s, der, (size_t)len), len);
    bytebuf_append(&t->peer_der, der, (size_t)len);
    free(der);
  }
}

/* Whether the certificate a side saw is fixture `name`. */
static HARNESS_UNUSED bool tls_side_peer_is(const tls_side_t *t, const char *name) {
  bytebuf_t want;
  memset(&want, 0, sizeof want);
  tls_cert_der(name, &want);
  bool same = want.len == t->peer_der.len && memcmp(want.ptr, t->peer_der.ptr, want.len) == 0;
  bytebuf_free(&want);
  return same;
}

static HARNESS_UNUSED tls_side_t *tls_side_of(rec_t *r) { return (tls_side_t *)r->user; }

static HARNESS_UNUSED void probe_cli_ready(bun_tcp_socket s, rec_t *r) {
  tls_side_capture(s, tls_side_of(r));
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"ping", 4), 4);
}
static HARNESS_UNUSED void probe_cli_open_nohs(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  probe_cli_ready(s, (rec_t *)d);
}
static HARNESS_UNUSED void probe_cli_handshake(bun_tcp_socket s, void *d, bool ok,
                                               const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  if (ok) probe_cli_ready(s, (rec_t *)d);
}
static HARNESS_UNUSED void probe_cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  if (r->in.len == 4) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static HARNESS_UNUSED void probe_srv_open_nohs(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  rec_t *r = (rec_t *)bun_tcp_socket_data(s);
  tls_side_capture(s, tls_side_of(r));
}
static HARNESS_UNUSED void probe_srv_handshake(bun_tcp_socket s, void *d, bool ok,
                                               const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  if (ok) tls_side_capture(s, tls_side_of((rec_t *)d));
}
static HARNESS_UNUSED void probe_srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

static HARNESS_UNUSED tls_probe_t *tls_probe_new(void) {
  tls_probe_t *p = (tls_probe_t *)calloc(1, sizeof *p);
  if (!p) FAIL("out of memory");
  rec_init(&p->cli);
  p->cli.user = &p->cli_side;
  srv_init(&p->srv);
  for (int i = 0; i < SRV_MAX; i++) p->srv.socks[i].user = &p->srv_side[i];
  return p;
}

static HARNESS_UNUSED void tls_probe_free(tls_probe_t *p) {
  rec_free(&p->cli);
  srv_free(&p->srv);
  bytebuf_free(&p->cli_side.peer_der);
  for (int i = 0; i < SRV_MAX; i++) bytebuf_free(&p->srv_side[i].peer_der);
  free(p);
}

/* Runs the exchange on a fresh loop. The client uses a handshake handler iff client_hs, the server
 * iff server_hs. Waits until the client is finished (close or connect_error) and every accepted
 * socket that opened has closed, then polls 50 ms more (nothing else may fire) and frees the loop.
 * listen_host NULL = "127.0.0.1", host NULL = "127.0.0.1". */
static HARNESS_UNUSED tls_probe_t *tls_probe_run(const bun_tcp_tls_options *server_tls,
                                                 const char *listen_host,
                                                 const bun_tcp_tls_options *client_tls,
                                                 const char *host, bool client_hs, bool server_hs) {
  tls_probe_t *p = tls_probe_new();
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers sh = rec_handlers();
  sh.open = server_hs ? rec_on_open : probe_srv_open_nohs;
  sh.data = probe_srv_data;
  if (server_hs) sh.handshake = probe_srv_handshake;
  bun_tcp_handlers ch = rec_handlers();
  ch.open = client_hs ? rec_on_open : probe_cli_open_nohs;
  ch.data = probe_cli_data;
  if (client_hs) ch.handshake = probe_cli_handshake;
  bun_tcp_listener l = listen_tls_srv(loop, &p->srv, &sh, server_tls, listen_host);
  connect_tls_rec(loop, host, bun_tcp_listener_port(l), &p->cli, &ch, client_tls);
  RUN_UNTIL(loop, (p->cli.n_close == 1 || p->cli.n_connect_error == 1) &&
                      (p->srv.n_accepted == 0 || p->srv.socks[0].n_close == 1));
  run_for(loop, 50);
  if (p->cli.n_connect_error) {
    CHECK_EQ(p->cli.n_open + p->cli.n_close, 0);
    CHECK_EQ(p->cli.total_calls, 1);
  } else {
    check_closed_once(&p->cli, "client");
  }
  for (int i = 0; i < p->srv.n_accepted; i++) check_closed_once(&p->srv.socks[i], "server socket");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  run_for(loop, 10);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  return p;
}

/* The error name of a code, for messages. */
#define ERRNAME(code) bun_tcp_err_name((int32_t)(code))

#endif /* BUN_TCP_TEST_HARNESS_H */
