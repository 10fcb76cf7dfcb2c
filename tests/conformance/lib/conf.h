/* conf.h: the C half of the conformance suite's trace format (the Bun half is conf.js).
 *
 * A scenario program prints one line per handler call, "<stream> <event> [args]", on stdout:
 *
 *   server open                      client data "hello\x0a"       client close
 *   client connect_error ECONNREFUSED connect                     server write -> 5
 *
 * Only stable facts are printed: no ports, timings, pointers or addresses that change from run to
 * run. Bytes are quoted the same way on both sides (say_data): printable ASCII as is, '"', '\\'
 * and everything else as \xNN. The runner (run.py) joins consecutive data lines of one stream,
 * because TCP chunking differs between runs and implementations. Text after " # " is a comment:
 * printed for humans, ignored by the comparison (used for the library's negative codes).
 *
 * Helpers from tests/c/harness.h (SHA-256, now_ms) are reused; everything here is static.
 */
#ifndef BUN_TCP_CONF_H
#define BUN_TCP_CONF_H

#include "harness.h"

/* ---- printing -------------------------------------------------------------------------------- */

static HARNESS_UNUSED void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* `<who> data "<bytes>"` */
static HARNESS_UNUSED void say_data(const char *who, const uint8_t *b, size_t n) {
  printf("%s data \"", who);
  for (size_t i = 0; i < n; i++) {
    uint8_t c = b[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      putchar(c);
    else
      printf("\\x%02x", c);
  }
  printf("\"\n");
  fflush(stdout);
}

/* `<who> <event>` or `<who> <event> <NAME> <syscall>` (Bun's error.code and error.syscall) */
static HARNESS_UNUSED void say_err(const char *who, const char *event, const bun_tcp_error *e) {
  if (!e)
    say("%s %s", who, event);
  else
    say("%s %s %s %s", who, event, e->name ? e->name : "?", e->syscall ? e->syscall : "-");
}

/* `<who> <what> -> <n>`. Bun's write/end return -1 for a closed or ended socket; the library
 * returns a negative code that names the reason: printed as -1 with the name as a comment. */
static HARNESS_UNUSED int64_t say_rc(const char *who, const char *what, int64_t rc) {
  if (rc >= 0)
    say("%s %s -> %lld", who, what, (long long)rc);
  else
    say("%s %s -> -1 # %s", who, what, bun_tcp_err_name((int32_t)rc));
  return rc;
}

/* the name of a ready state, as conf.js prints Bun's socket.readyState */
static HARNESS_UNUSED const char *state_name(int32_t st) {
  switch (st) {
    case BUN_TCP_STATE_CONNECTING: return "connecting(2)";
    case BUN_TCP_STATE_OPEN: return "open(1)";
    case BUN_TCP_STATE_CLOSING: return "closing(0)";
    case BUN_TCP_STATE_WRITE_SHUT: return "write_shut(-2)";
    case BUN_TCP_STATE_CLOSED: return "closed(-1)";
    default: return "unknown";
  }
}

/* ---- running ----------------------------------------------------------------------------------- */

static void conf_alarm(int sig) {
  (void)sig;
  static const char msg[] = "main TIMEOUT\n";
  ssize_t r = write(1, msg, sizeof msg - 1);
  (void)r;
  _exit(3);
}

/* Call first: a global deadline (the runner has its own, longer one). */
static HARNESS_UNUSED bun_tcp_loop *conf_init(unsigned seconds) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGALRM, conf_alarm);
  signal(SIGPIPE, SIG_IGN);
  alarm(seconds);
  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) {
    fprintf(stderr, "bun_tcp_loop_new failed: %s\n", bun_tcp_last_error_message());
    exit(2);
  }
  return loop;
}

/* Runs the loop until nothing keeps it alive (as a Bun process runs until its event loop is
 * empty), prints "main done", frees the loop. Handlers that run during bun_tcp_loop_free print
 * after "main done", where the comparison sees them. */
static HARNESS_UNUSED int conf_finish(bun_tcp_loop *loop) {
  while (bun_tcp_loop_alive(loop)) {
    int32_t rc = bun_tcp_poll(loop, 100);
    if (rc < 0) {
      say("main poll -> -1 # %s", bun_tcp_err_name(rc));
      exit(2);
    }
  }
  say("main done");
  bun_tcp_loop_free(loop);
  return 0;
}

/* A library call that must succeed (listen, connect, ...): prints and exits otherwise. */
#define MUST(expr)                                                                                 \
  do {                                                                                             \
    int64_t _rc = (int64_t)(expr);                                                                 \
    if (_rc < 0) {                                                                                 \
      say("main FAILED %s -> %lld %s: %s", #expr, (long long)_rc, bun_tcp_err_name((int32_t)_rc),  \
          bun_tcp_last_error_message());                                                           \
      exit(2);                                                                                     \
    }                                                                                              \
  } while (0)

/* ---- data for big transfers -------------------------------------------------------------------- */

/* xorshift32 words, little-endian: conf.js's pattern() makes the same bytes. */
static HARNESS_UNUSED uint8_t *pattern(size_t len, uint32_t seed) {
  uint8_t *p = (uint8_t *)malloc(len + 4);
  if (!p) exit(2);
  uint32_t x = seed;
  for (size_t i = 0; i < len; i += 4) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (uint8_t)x;
    p[i + 1] = (uint8_t)(x >> 8);
    p[i + 2] = (uint8_t)(x >> 16);
    p[i + 3] = (uint8_t)(x >> 24);
  }
  return p;
}

static HARNESS_UNUSED const char *sha_hex(sha256_ctx *c) {
  static char hex[65];
  uint8_t d[32];
  sha256_final(c, d);
  sha256_hex(d, hex);
  return hex;
}

#endif /* BUN_TCP_CONF_H */
