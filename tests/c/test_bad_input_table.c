/* Bad input never crashes, hangs, leaks, fires a handler or revives a stale handle: one table row
 * per function of include/bun_tcp.h, each pointing at a probe that calls the function with every
 * bad input that applies and checks the EXACT result (docs/bad-input.md lists the classes):
 *   - NULL for each pointer argument, one at a time, the others valid;
 *   - handles: zero; forged (a live slot with a generation never issued, a slot that never existed,
 *     loop bits of no loop, all bits set, the id of a live object of the other kind); stale (a
 *     closed socket, a stopped-and-released listener); a handle of a freed loop; a handle of
 *     another thread's loop (BUN_TCP_EWRONGTHREAD);
 *   - loop pointers: NULL, freed (while a newer loop lives, maybe at the same address), never
 *     created, another thread's loop;
 *   - zero and huge lengths, bad "enum" values (TLS versions, poll timeouts, fds).
 * Expected values come from the header's comments; where it is silent, from the header: handles (stale or zero
 * handle: BUN_TCP_ECLOSED for int returns, 0/NULL/false for queries; NULL where data is required:
 * BUN_TCP_EINVAL; wrong thread: BUN_TCP_EWRONGTHREAD; freed loop pointer: BUN_TCP_EINVAL).
 *
 * The table must cover the header: at run time the test reads $BUN_TCP_SOURCE_DIR/include/bun_tcp.h,
 * extracts every declared function and fails naming each function without a row (and each row that
 * names no function). Unlike the other tests it does not stop at the first wrong result: it runs
 * every case and prints one line per failure, so one run shows every defect. At the end: no file
 * descriptor leaked, and the live sockets still carry bytes (nothing changed them). */
#include "harness.h"
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>

/* ------------------------------------------------------------------------------------------------ */
/* handle layout: the one place that knows it                                                      */
/* ------------------------------------------------------------------------------------------------ */
/* Ids are [loop:20][generation:20][slot:24] today (src/slab.rs). The forgeries below assume only
 * that the slot is the low HANDLE_SLOT_BITS bits with the generation right above it (so adding
 * 1 << HANDLE_SLOT_BITS gives the next generation, never issued while the slot is live; the slot
 * 2^HANDLE_SLOT_BITS - 1 is never allocated by a test), and that bit 63 belongs to the loop id
 * (loop ids count up from 1, so a loop id with its top bit set names no loop in this process). */
#define HANDLE_SLOT_BITS 24

static uint64_t forge_generation(uint64_t id) { return id + (1ull << HANDLE_SLOT_BITS); }
static uint64_t forge_slot(uint64_t id) { return id | ((1ull << HANDLE_SLOT_BITS) - 1); }
static uint64_t forge_loop(uint64_t id) { return id ^ (1ull << 63); }

/* ------------------------------------------------------------------------------------------------ */
/* result checking: every case is counted, every wrong result printed, the run goes on            */
/* ------------------------------------------------------------------------------------------------ */

static const char *g_row = "(setup)"; /* the function under test */
static int g_cases, g_failures, g_row_cases;
static long g_calls; /* handler calls on this thread's loops (fixtures of the probes) */

static void case_failed(int line, const char *what, const char *fmt, ...) {
  va_list ap;
  g_failures++;
  fprintf(stderr, "  WRONG %s [%s] (line %d): ", g_row, what, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
}

static void case_done(int line, const char *what, long calls_before) {
  g_cases++;
  g_row_cases++;
  if (g_calls != calls_before)
    case_failed(line, what, "%ld handler call(s) fired during the call", g_calls - calls_before);
}

/* an integer result (code, count, length, bool) */
#define CASE_I(what, expr, expected)                                                               \
  do {                                                                                             \
    long _before = g_calls;                                                                        \
    long long _got = (long long)(expr), _want = (long long)(expected);                             \
    if (_got != _want) {                                                                           \
      const char *_msg = bun_tcp_last_error_message();                                             \
      case_failed(__LINE__, what, "%s: got %lld (%s), expected %lld (%s); last error \"%s\"", #expr, \
                  _got, ERRNAME(_got), _want, ERRNAME(_want), harness_str(_msg));                  \
    }                                                                                              \
    case_done(__LINE__, what, _before);                                                            \
  } while (0)

/* a pointer result: NULL expected */
#define CASE_NULL(what, expr)                                                                      \
  do {                                                                                             \
    long _before = g_calls;                                                                        \
    const void *_got = (const void *)(expr);                                                       \
    if (_got != NULL) case_failed(__LINE__, what, "%s: got %p, expected NULL", #expr, _got);      \
    case_done(__LINE__, what, _before);                                                            \
  } while (0)

/* a string result */
#define CASE_STR(what, expr, expected)                                                             \
  do {                                                                                             \
    long _before = g_calls;                                                                        \
    const char *_got = (expr), *_want = (expected);                                                \
    if (_got == NULL || strcmp(_got, _want) != 0)                                                  \
      case_failed(__LINE__, what, "%s: got \"%s\", expected \"%s\"", #expr, harness_str(_got),   \
                  _want);                                                                          \
    case_done(__LINE__, what, _before);                                                            \
  } while (0)

/* a condition checked after a call (its side effects: what must not have changed) */
#define CASE_TRUE(what, cond)                                                                      \
  do {                                                                                             \
    long _before = g_calls;                                                                        \
    if (!(cond)) case_failed(__LINE__, what, "%s does not hold", #cond);                           \
    case_done(__LINE__, what, _before);                                                            \
  } while (0)

/* ------------------------------------------------------------------------------------------------ */
/* handlers: every call is counted (no case may fire one)                                          */
/* ------------------------------------------------------------------------------------------------ */

static int g_server_tag, g_client_tag;
static bun_tcp_socket g_accepted; /* the server side of the live pair */
static bytebuf_t g_server_in;     /* what the server side received */
static int g_opens, g_closes;

static void h_open(bun_tcp_socket s, void *d) {
  g_calls++;
  g_opens++;
  if (d == &g_server_tag) g_accepted = s;
}
static void h_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  g_calls++;
  if (d == &g_server_tag) bytebuf_append(&g_server_in, b, n);
}
static void h_drain(bun_tcp_socket s, void *d) { g_calls++; }
static void h_end(bun_tcp_socket s, void *d) { g_calls++; }
static void h_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  g_calls++;
  g_closes++;
}
static void h_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { g_calls++; }
static void h_timeout(bun_tcp_socket s, void *d) { g_calls++; }
static void h_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { g_calls++; }
static void h_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) { g_calls++; }

static bun_tcp_handlers counting_handlers(void) {
  bun_tcp_handlers h = {h_open, h_data, h_drain, h_end, h_close, h_error, h_timeout, h_connect_error,
                        h_handshake};
  return h;
}

/* Handlers of throw-away fixtures (their lifecycle is not what a case checks). */
static void quiet_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static bun_tcp_handlers quiet_handlers(void) {
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.data = quiet_data;
  return h;
}

/* ------------------------------------------------------------------------------------------------ */
/* fixtures                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

static bun_tcp_loop *g_loop;           /* this thread's loop */
static bun_tcp_listener g_listener;    /* live, listening on 127.0.0.1 */
static uint16_t g_port;
static bun_tcp_socket g_client;        /* live, open client socket (peer: g_accepted) */
static bun_tcp_socket g_closed;        /* a closed client socket (stale) */
static bun_tcp_listener g_stopped;     /* a stopped listener whose slot was released (stale) */
static bun_tcp_loop *g_freed_loop;     /* a loop freed after its objects were made */
static bun_tcp_loop *g_newer_loop;     /* created right after g_freed_loop was freed */
static bun_tcp_socket g_freed_socket;  /* a socket of g_freed_loop */
static bun_tcp_listener g_freed_listener;
static char g_never_loop[64];          /* never a loop: the library must not dereference it */
#define NEVER_LOOP ((bun_tcp_loop *)(void *)(g_never_loop + 1))

static bun_tcp_listen_options listen_opts(void) {
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.data = &g_server_tag;
  return o;
}

static bun_tcp_connect_options connect_opts(void) {
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = g_port;
  o.data = &g_client_tag;
  return o;
}

/* Frees `gone` and makes a new loop, trying to get it at the same address: a freed pointer must
 * not reach the loop living there now. The loop handle is a small heap block; glibc hands the
 * last freed block of a size out first, and the new loop makes some small allocations before
 * its handle, so attempt k frees k small blocks after `gone` to feed them. Returns the new loop
 * and whether it got the address (sanitizers and valgrind delay reuse on purpose: then not). */
static bun_tcp_loop *free_and_replace(bun_tcp_loop *gone, int attempt, bool *same_address) {
  void *feed[64];
  int k = attempt % 64;
  for (int i = 0; i < k; i++) feed[i] = malloc(8);
  bun_tcp_loop_free(gone);
  for (int i = k - 1; i >= 0; i--) free(feed[i]);
  bun_tcp_loop *newer = new_loop();
  *same_address = newer == gone;
  return newer;
}

/* Another thread's loop, with a live listener and an open socket; it waits on a pipe while this
 * thread probes it, then checks nothing changed. */
static struct {
  pthread_t thread;
  bun_tcp_loop *loop;
  bun_tcp_listener listener;
  bun_tcp_socket socket;
  int ready[2], done[2];
  atomic_long calls;     /* handler calls on the foreign loop */
  atomic_int posted_ran; /* bun_tcp_loop_post from this thread: ran on the foreign thread */
  pthread_t self;
  /* what the foreign thread saw after the probes */
  long calls_during_probes;
  int ready_state;
  size_t socket_count, listener_count;
  uint16_t port, port_after;
} fb;

static void fb_open(bun_tcp_socket s, void *d) { atomic_fetch_add(&fb.calls, 1); }
static void fb_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { atomic_fetch_add(&fb.calls, 1); }
static void fb_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { atomic_fetch_add(&fb.calls, 1); }

static void fb_posted(void *arg) {
  if (pthread_equal(pthread_self(), fb.self)) atomic_fetch_add(&fb.posted_ran, 1);
}

static void *foreign_thread(void *arg) {
  fb.self = pthread_self();
  bun_tcp_loop *loop = fb.loop = new_loop();
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.open = fb_open;
  h.data = fb_data;
  h.close = fb_close;
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  CHECK_OK(bun_tcp_listen(loop, &lo, &h, &fb.listener));
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = bun_tcp_listener_port(fb.listener);
  CHECK_OK(bun_tcp_connect(loop, &co, &h, &fb.socket));
  RUN_UNTIL(loop, atomic_load(&fb.calls) == 2); /* both opens */
  char byte = 'r';
  CHECK(write(fb.ready[1], &byte, 1) == 1);
  CHECK(read(fb.done[0], &byte, 1) == 1); /* the main thread probes our loop meanwhile */
  long before = atomic_load(&fb.calls);
  double deadline = now_ms() + 2000 * harness_time_scale();
  while (atomic_load(&fb.posted_ran) == 0 && now_ms() < deadline) poll_ok(loop, 20);
  run_for(loop, 20);
  fb.calls_during_probes = atomic_load(&fb.calls) - before;
  fb.ready_state = bun_tcp_socket_ready_state(fb.socket);
  fb.socket_count = bun_tcp_loop_socket_count(loop);
  fb.listener_count = bun_tcp_loop_listener_count(loop);
  fb.port = co.port;
  fb.port_after = bun_tcp_listener_port(fb.listener);
  CHECK_OK(bun_tcp_listener_stop(fb.listener, true));
  bun_tcp_socket_close(fb.socket);
  run_for(loop, 10);
  bun_tcp_loop_free(loop);
  return NULL;
}

/* A loop whose thread exited without freeing it: abandoned, its sockets and listeners closed
 * (header, bun_tcp_loop_new). So its handles are stale (BUN_TCP_ECLOSED), and every call with its
 * pointer is refused like a freed loop's (BUN_TCP_EINVAL: the loop is gone and never runs again),
 * and it holds no descriptor any more. */
static bun_tcp_loop *g_abandoned_loop;
static bun_tcp_listener g_abandoned_listener;
static bun_tcp_socket g_abandoned_socket;

static void *abandoning_thread(void *arg) {
  bun_tcp_loop *loop = g_abandoned_loop = new_loop();
  bun_tcp_handlers q = quiet_handlers();
  bun_tcp_listen_options lo = listen_opts();
  lo.data = NULL;
  CHECK_OK(bun_tcp_listen(loop, &lo, &q, &g_abandoned_listener));
  bun_tcp_connect_options co = connect_opts();
  co.port = bun_tcp_listener_port(g_abandoned_listener);
  co.data = NULL;
  CHECK_OK(bun_tcp_connect(loop, &co, &q, &g_abandoned_socket));
  RUN_UNTIL(loop, bun_tcp_socket_ready_state(g_abandoned_socket) == BUN_TCP_STATE_OPEN &&
                      bun_tcp_loop_socket_count(loop) == 2);
  return NULL; /* the loop is still alive: the thread's end abandons it */
}

/* Kind confusion: in a fresh loop the first listener and the first socket hold slot 0 of their
 * own tables; a handle of one kind must not reach an object of the other. Rebuilt before each
 * such case, since a confused call may close or stop what it reached. */
static bun_tcp_loop *g_kind_loop;
static bun_tcp_listener g_kind_listener;
static bun_tcp_socket g_kind_socket;

static void kind_fixture_reset(void) {
  if (g_kind_loop) bun_tcp_loop_free(g_kind_loop);
  g_kind_loop = new_loop();
  bun_tcp_handlers q = quiet_handlers();
  bun_tcp_listen_options lo = listen_opts();
  lo.data = NULL;
  CHECK_OK(bun_tcp_listen(g_kind_loop, &lo, &q, &g_kind_listener));
  bun_tcp_connect_options co = connect_opts();
  co.port = bun_tcp_listener_port(g_kind_listener);
  co.data = NULL;
  CHECK_OK(bun_tcp_connect(g_kind_loop, &co, &q, &g_kind_socket));
}

/* A TLS client socket that is open (a `handshake` handler makes `open` fire at TCP connect) and
 * stays in its handshake: its peer is a raw listener that never answers. Its own loop. */
static bun_tcp_loop *g_tls_loop;
static bun_tcp_socket g_tls_socket;
static int g_tls_peer = -1, g_tls_opens;

static void tls_open(bun_tcp_socket s, void *d) { g_tls_opens++; }
static void tls_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {}

static bun_tcp_socket tls_handshaking_socket(void) {
  if (g_tls_loop) return g_tls_socket;
  g_tls_loop = new_loop();
  uint16_t port;
  g_tls_peer = raw_tcp_bound(true, &port);
  bun_tcp_handlers h = quiet_handlers();
  h.open = tls_open;
  h.handshake = tls_handshake;
  bun_tcp_tls_options tls;
  memset(&tls, 0, sizeof tls);
  bun_tcp_connect_options co = connect_opts();
  co.port = port;
  co.data = NULL;
  co.tls = &tls;
  CHECK_OK(bun_tcp_connect(g_tls_loop, &co, &h, &g_tls_socket));
  RUN_UNTIL(g_tls_loop, g_tls_opens == 1);
  return g_tls_socket;
}

/* ------------------------------------------------------------------------------------------------ */
/* the bad handles                                                                                  */
/* ------------------------------------------------------------------------------------------------ */

enum bad_handle {
  BAD_ZERO,
  BAD_GENERATION, /* a live object's slot with a generation never issued */
  BAD_SLOT,       /* a slot that never existed */
  BAD_LOOP,       /* loop bits of no loop */
  BAD_ALL_ONES,
  BAD_OTHER_KIND, /* the id of a live object of the other kind (listener <-> socket) */
  BAD_STALE,      /* closed socket / stopped-and-released listener */
  BAD_FREED_LOOP, /* an object of a freed loop */
  BAD_FOREIGN,    /* an object of another thread's loop */
  BAD_ABANDONED,  /* an object of a loop whose thread exited without freeing it */
  BAD_COUNT
};

static const char *const bad_names[BAD_COUNT] = {
    "zero handle",          "forged: generation never issued", "forged: slot never existed",
    "forged: loop bits of no loop", "forged: all bits set",    "forged: a live listener's id",
    "stale: closed socket", "handle of a freed loop",          "handle of another thread's loop",
    "handle of a loop abandoned by its exited thread"};
static const char *const bad_listener_names[BAD_COUNT] = {
    "zero handle",          "forged: generation never issued", "forged: slot never existed",
    "forged: loop bits of no loop", "forged: all bits set",    "forged: a live socket's id",
    "stale: stopped and released listener", "handle of a freed loop",
    "handle of another thread's loop", "handle of a loop abandoned by its exited thread"};

static bun_tcp_socket bad_socket(int k) {
  bun_tcp_socket s = {0};
  switch (k) {
  case BAD_ZERO: break;
  case BAD_GENERATION: s.id = forge_generation(g_client.id); break;
  case BAD_SLOT: s.id = forge_slot(g_client.id); break;
  case BAD_LOOP: s.id = forge_loop(g_client.id); break;
  case BAD_ALL_ONES: s.id = UINT64_MAX; break;
  case BAD_OTHER_KIND: kind_fixture_reset(); s.id = g_kind_listener.id; break;
  case BAD_STALE: s = g_closed; break;
  case BAD_FREED_LOOP: s = g_freed_socket; break;
  case BAD_FOREIGN: s = fb.socket; break;
  case BAD_ABANDONED: s = g_abandoned_socket; break;
  }
  return s;
}

static bun_tcp_listener bad_listener(int k) {
  bun_tcp_listener l = {0};
  switch (k) {
  case BAD_ZERO: break;
  case BAD_GENERATION: l.id = forge_generation(g_listener.id); break;
  case BAD_SLOT: l.id = forge_slot(g_listener.id); break;
  case BAD_LOOP: l.id = forge_loop(g_listener.id); break;
  case BAD_ALL_ONES: l.id = UINT64_MAX; break;
  case BAD_OTHER_KIND: kind_fixture_reset(); l.id = g_kind_socket.id; break;
  case BAD_STALE: l = g_stopped; break;
  case BAD_FREED_LOOP: l = g_freed_listener; break;
  case BAD_FOREIGN: l = fb.listener; break;
  case BAD_ABANDONED: l = g_abandoned_listener; break;
  }
  return l;
}

/* The code an int-returning call gets for bad handle k (the header: handles). */
static int32_t bad_code(int k) { return k == BAD_FOREIGN ? BUN_TCP_EWRONGTHREAD : BUN_TCP_ECLOSED; }

/* Listener stop / ref / unref: a no-op returning 0 on a stopped listener, even once released. */
static int32_t bad_listener_noop_code(int k) { return k == BAD_STALE ? 0 : bad_code(k); }

/* The handle is computed before the case starts (a kind-confusion fixture fires its own
 * handlers while it is rebuilt). */
#define FOR_BAD_SOCKETS(k, s) for (int k = 0; k < BAD_COUNT && ((s) = bad_socket(k), true); k++)
#define FOR_BAD_LISTENERS(k, l)                                                                    \
  for (int k = 0; k < BAD_COUNT && ((l) = bad_listener(k), true); k++)

/* The bad loop pointers: NULL, freed, never created, another thread's. */
enum bad_loop { LOOP_NULL, LOOP_FREED, LOOP_NEVER, LOOP_FOREIGN, LOOP_ABANDONED, LOOP_BAD_COUNT };
static const char *const bad_loop_names[LOOP_BAD_COUNT] = {
    "NULL loop", "freed loop pointer (a newer loop lives)", "never-created loop pointer",
    "another thread's loop", "a loop abandoned by its exited thread"};

static bun_tcp_loop *bad_loop(int k) {
  switch (k) {
  case LOOP_NULL: return NULL;
  case LOOP_FREED: return g_freed_loop;
  case LOOP_NEVER: return NEVER_LOOP;
  case LOOP_FOREIGN: return fb.loop;
  default: return g_abandoned_loop;
  }
}

#define FOR_BAD_LOOPS(k) for (int k = 0; k < LOOP_BAD_COUNT; k++)

/* The code of calls only the owning thread may make: another thread's live loop refuses the caller;
 * a NULL, freed, never-created or abandoned loop is no live loop at all. Posts and wakeups, for any
 * thread, have their own rule. */
static int32_t bad_loop_code(int k) {
  return k == LOOP_FOREIGN ? BUN_TCP_EWRONGTHREAD : BUN_TCP_EINVAL;
}

/* ------------------------------------------------------------------------------------------------ */
/* probes: error and version functions                                                              */
/* ------------------------------------------------------------------------------------------------ */

static const int32_t unknown_codes[] = {INT32_MIN, INT32_MAX, 1, 12345, -4096, -9999, -10099, -10200};

static void probe_err_name(void) {
  for (size_t i = 0; i < sizeof unknown_codes / sizeof unknown_codes[0]; i++)
    CASE_STR("unknown code", bun_tcp_err_name(unknown_codes[i]), "UNKNOWN");
}

static void probe_strerror(void) {
  for (size_t i = 0; i < sizeof unknown_codes / sizeof unknown_codes[0]; i++) {
    const char *text = bun_tcp_strerror(unknown_codes[i]);
    CASE_TRUE("unknown code: a description, never NULL", text != NULL && text[0] != 0);
  }
}

static const char *g_thread_first_message;
static char g_thread_message_copy[64];
static void *fresh_thread_message(void *arg) {
  g_thread_first_message = bun_tcp_last_error_message();
  snprintf(g_thread_message_copy, sizeof g_thread_message_copy, "%s", harness_str(g_thread_first_message));
  return NULL;
}

static void probe_last_error_message(void) {
  pthread_t t;
  CHECK(pthread_create(&t, NULL, fresh_thread_message, NULL) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  CASE_TRUE("no failed call yet on a thread: \"\"", g_thread_first_message != NULL &&
                                                       g_thread_message_copy[0] == 0);
  bun_tcp_poll(NULL, 0);
  const char *msg = bun_tcp_last_error_message();
  CASE_TRUE("after a failed call: its message", msg != NULL && strstr(msg, "NULL") != NULL);
}

static void probe_version(void) {
  const char *v = bun_tcp_version();
  int a, b, c;
  CASE_TRUE("no arguments: \"X.Y.Z\"", v != NULL && sscanf(v, "%d.%d.%d", &a, &b, &c) == 3);
}

static void probe_tls_provider(void) {
  const char *p = bun_tcp_tls_provider();
  CASE_TRUE("no arguments: \"ring\" or \"aws-lc-rs\"",
            p != NULL && (strcmp(p, "ring") == 0 || strcmp(p, "aws-lc-rs") == 0));
}

/* ------------------------------------------------------------------------------------------------ */
/* probes: loop functions                                                                           */
/* ------------------------------------------------------------------------------------------------ */

static void probe_loop_new(void) {
  bun_tcp_loop *a = bun_tcp_loop_new();
  CASE_TRUE("no arguments: a new loop, distinct from live ones",
            a != NULL && a != g_loop && a != g_newer_loop && a != fb.loop);
  bun_tcp_loop_free(a);
}

static void probe_loop_free(void) {
  bun_tcp_loop_free(NULL);
  CASE_TRUE("NULL loop: ignored", bun_tcp_loop_fd(g_loop) >= 0);
  bun_tcp_loop_free(NEVER_LOOP);
  CASE_TRUE("never-created loop pointer: refused", bun_tcp_loop_fd(g_loop) >= 0);
  /* double free, while a newer loop (maybe at the same address) lives: the newer one survives */
  bun_tcp_loop *gone = NULL, *newer = NULL;
  bool same = false;
  for (int attempt = 0; attempt < 200 && !same; attempt++) {
    if (newer) bun_tcp_loop_free(newer);
    gone = new_loop();
    newer = free_and_replace(gone, attempt, &same);
  }
  printf("    loop_free: the newer loop %s the freed loop's address\n", same ? "reuses" : "does not reuse");
  bun_tcp_loop_free(gone);
  CASE_TRUE("freed loop pointer (a newer loop lives): refused, the newer loop lives on",
            bun_tcp_loop_fd(newer) >= 0);
  if (bun_tcp_loop_fd(newer) >= 0) bun_tcp_loop_free(newer);
  bun_tcp_loop_free(g_abandoned_loop);
  CASE_TRUE("a loop abandoned by its exited thread: refused", bun_tcp_loop_fd(g_loop) >= 0);
  bun_tcp_loop_free(fb.loop);
  CASE_TRUE("another thread's loop: refused (the thread checks its loop afterwards)",
            strlen(bun_tcp_last_error_message()) > 0);
}

static void probe_poll(void) {
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_poll(bad_loop(k), 0), bad_loop_code(k));
  /* timeouts below -1 mean "no limit", as -1 does: a wakeup ends the wait */
  CHECK_OK(bun_tcp_loop_wakeup(g_loop));
  CASE_I("timeout INT32_MIN (with a wakeup pending)", bun_tcp_poll(g_loop, INT32_MIN), 0);
  CHECK_OK(bun_tcp_loop_wakeup(g_loop));
  CASE_I("timeout INT32_MAX (with a wakeup pending)", bun_tcp_poll(g_loop, INT32_MAX), 0);
}

static int32_t g_nested_poll = 1, g_nested_run = 1, g_nested_done;
static void nested_poll_and_run(void *arg) {
  g_nested_poll = bun_tcp_poll(g_loop, 0);
  g_nested_run = bun_tcp_run(g_loop);
  g_nested_done = 1;
}

static void probe_run(void) {
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_run(bad_loop(k)), bad_loop_code(k));
  /* from inside a call the loop runs: EBUSY for poll and run */
  CHECK_OK(bun_tcp_loop_post(g_loop, nested_poll_and_run, NULL));
  RUN_UNTIL(g_loop, g_nested_done);
  CASE_I("poll from inside the loop's own call", g_nested_poll, BUN_TCP_EBUSY);
  CASE_I("run from inside the loop's own call", g_nested_run, BUN_TCP_EBUSY);
}

static void probe_loop_alive(void) {
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_loop_alive(bad_loop(k)), false);
}

static void probe_loop_wakeup(void) {
  for (int k = 0; k < LOOP_BAD_COUNT; k++)
    CASE_I(bad_loop_names[k], bun_tcp_loop_wakeup(bad_loop(k)), k == LOOP_FOREIGN ? 0 : BUN_TCP_EINVAL);
}

static int g_posted_here;
static void posted_here(void *arg) { g_posted_here++; }

static void probe_loop_post(void) {
  FOR_BAD_LOOPS(k) {
    int32_t want = k == LOOP_FOREIGN ? 0 : BUN_TCP_EINVAL; /* post is for other threads */
    CASE_I(bad_loop_names[k], bun_tcp_loop_post(bad_loop(k), k == LOOP_FOREIGN ? fb_posted : posted_here,
        NULL),
           want);
  }
  CASE_I("NULL func", bun_tcp_loop_post(g_loop, NULL, NULL), BUN_TCP_EINVAL);
  run_for(g_loop, 20);
  CASE_I("refused posts never run (not on the newer loop either)", g_posted_here, 0);
  if (g_newer_loop) {
    run_for(g_newer_loop, 1);
    CASE_I("refused posts never run on the newer loop", g_posted_here, 0);
  }
}

static void probe_loop_next_timeout_ms(void) {
  for (int k = 0; k < LOOP_BAD_COUNT; k++)
    CASE_I(bad_loop_names[k], bun_tcp_loop_next_timeout_ms(bad_loop(k)), bad_loop_code(k));
}

static void probe_loop_fd(void) {
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_loop_fd(bad_loop(k)), bad_loop_code(k));
}

/* ---- tracing and metrics (bun_tcp_loop_set_trace, _time_handlers, _metrics) ---- */
static void probe_trace_fn(const bun_tcp_trace_event *ev, void *data) {
  (void)ev;
  (void)data;
}
static void probe_loop_set_trace(void) {
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_loop_set_trace(bad_loop(k), probe_trace_fn, NULL), bad_loop_code(k));
  CASE_I("NULL func (off) on the live loop", bun_tcp_loop_set_trace(g_loop, NULL, NULL), 0);
}
static void probe_loop_time_handlers(void) {
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_loop_time_handlers(bad_loop(k), true), bad_loop_code(k));
  CASE_I("off on the live loop", bun_tcp_loop_time_handlers(g_loop, false), 0);
}
static void probe_loop_metrics(void) {
  bun_tcp_metrics m, untouched;
  memset(&untouched, 0xab, sizeof untouched);
  m = untouched;
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_loop_metrics(bad_loop(k), &m), bad_loop_code(k));
  CASE_TRUE("out untouched by the refusals", memcmp(&m, &untouched, sizeof m) == 0);
  CASE_I("NULL out", bun_tcp_loop_metrics(g_loop, NULL), BUN_TCP_EINVAL);
  CASE_I("the live loop", bun_tcp_loop_metrics(g_loop, &m), 0);
}
/* ---- end of tracing and metrics ---- */

static void probe_loop_socket_count(void) {
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_loop_socket_count(bad_loop(k)), 0);
}

static void probe_loop_listener_count(void) {
  FOR_BAD_LOOPS(k) CASE_I(bad_loop_names[k], bun_tcp_loop_listener_count(bad_loop(k)), 0);
}

/* ------------------------------------------------------------------------------------------------ */
/* probes: listen and listener functions                                                            */
/* ------------------------------------------------------------------------------------------------ */

static const bun_tcp_listener LISTENER_SENTINEL = {0x5e5e5e5e5e5e5e5eull};
static const bun_tcp_socket SOCKET_SENTINEL = {0x5e5e5e5e5e5e5e5eull};

/* A string longer than any name the API takes. */
static char *g_huge_string;

/* One failing listen: the code, `out` untouched, no listener created on any loop. */
static void listen_case(const char *what, bun_tcp_loop *loop, const bun_tcp_listen_options *o,
                        const bun_tcp_handlers *h, bool pass_out, int32_t want) {
  bun_tcp_listener out = LISTENER_SENTINEL;
  size_t before = bun_tcp_loop_listener_count(g_loop);
  size_t newer_before = g_newer_loop ? bun_tcp_loop_listener_count(g_newer_loop) : 0;
  int32_t rc;
  CASE_I(what, rc = bun_tcp_listen(loop, o, h, pass_out ? &out : NULL), want);
  CASE_TRUE(what, out.id == LISTENER_SENTINEL.id);
  if (rc == 0 && out.id != LISTENER_SENTINEL.id) bun_tcp_listener_stop(out, true); /* undo a wrong success */
  CASE_TRUE(what, bun_tcp_loop_listener_count(g_loop) == before);
  if (g_newer_loop) CASE_TRUE(what, bun_tcp_loop_listener_count(g_newer_loop) == newer_before);
}

/* TLS options that are bad in one way each (the header's list for listen and connect). */
typedef struct bad_tls {
  const char *what;
  bun_tcp_tls_options o;
  int32_t want;
} bad_tls_t;

static bun_tcp_bytes g_empty_pem = {NULL, 0};
static const char *g_null_alpn[1] = {NULL};
static const char *g_empty_alpn[1] = {""};
static const char *g_long_alpn[1]; /* 256 bytes, set in make_fixtures */

static int bad_tls_list(bad_tls_t *out, bool server) {
  int n = 0;
  bun_tcp_tls_options z;
  memset(&z, 0, sizeof z);
#define BAD_TLS(w, field_edit, code)                                                               \
  do {                                                                                             \
    out[n].what = w;                                                                               \
    out[n].o = z;                                                                                  \
    bun_tcp_tls_options *o = &out[n].o;                                                            \
    field_edit;                                                                                    \
    out[n].want = code;                                                                            \
    n++;                                                                                           \
  } while (0)
  BAD_TLS("tls: key_count 1 with key NULL", (o->key = NULL, o->key_count = 1), BUN_TCP_EINVAL);
  BAD_TLS("tls: cert_count huge with cert NULL", (o->cert = NULL, o->cert_count = SIZE_MAX), BUN_TCP_EINVAL);
  BAD_TLS("tls: ca_count 1 with ca NULL", (o->ca = NULL, o->ca_count = 1), BUN_TCP_EINVAL);
  BAD_TLS("tls: alpn_count 1 with alpn NULL", (o->alpn = NULL, o->alpn_count = 1), BUN_TCP_EINVAL);
  BAD_TLS("tls: alpn[0] NULL", (o->alpn = g_null_alpn, o->alpn_count = 1), BUN_TCP_EINVAL);
  BAD_TLS("tls: alpn[0] empty", (o->alpn = g_empty_alpn, o->alpn_count = 1), BUN_TCP_EINVAL);
  BAD_TLS("tls: alpn[0] of 256 bytes", (o->alpn = g_long_alpn, o->alpn_count = 1), BUN_TCP_EINVAL);
  BAD_TLS("tls: key_file \"\"", (o->key_file = ""), BUN_TCP_EINVAL);
  BAD_TLS("tls: passphrase of invalid UTF-8", (o->passphrase = "\xff\xfe"), BUN_TCP_EINVAL);
  if (server) { /* the other checks may come after "no certificate": one bad thing at a time */
    BAD_TLS("tls: server without cert and key", (void)o, BUN_TCP_EINVAL);
    return n;
  }
  BAD_TLS("tls: min_version 0x0301 (TLS 1.0)", (o->min_version = 0x0301), BUN_TCP_EINVAL);
  BAD_TLS("tls: max_version 0xffff", (o->max_version = 0xffff), BUN_TCP_EINVAL);
  BAD_TLS("tls: min_version above max_version",
          (o->min_version = BUN_TCP_TLS1_3, o->max_version = BUN_TCP_TLS1_2), BUN_TCP_EINVAL);
  BAD_TLS("tls: ca_file missing", (o->ca_file = "/nonexistent/bun_tcp/ca.pem"), -ENOENT);
  BAD_TLS("tls: ca_file a directory", (o->ca_file = "/"), -EISDIR);
  BAD_TLS("tls: an empty PEM item", (o->ca = &g_empty_pem, o->ca_count = 1), BUN_TCP_ETLS_BAD_PEM);
  BAD_TLS("tls: server_name not a host name", (o->server_name = "bad name!"), BUN_TCP_EINVAL);
  BAD_TLS("tls: server_name of invalid UTF-8", (o->server_name = "\xff\xfe"), BUN_TCP_EINVAL);
#undef BAD_TLS
  return n;
}

/* Host names and unix paths that are bad for listen and connect alike. */
static char g_abstract_empty[2] = {0, 0};
static char *g_empty_unix_path; /* a 1-byte heap "" (so reading past it is caught by valgrind) */

typedef struct bad_name {
  const char *what;
  const char *hostname, *unix_path;
  int32_t want;
} bad_name_t;

static int bad_name_list(bad_name_t *out) {
  int n = 0;
  out[n++] = (bad_name_t){"hostname \"\"", "", NULL, BUN_TCP_EINVALHOST};
  out[n++] = (bad_name_t){"hostname \"bad host!\"", "bad host!", NULL, BUN_TCP_EINVALHOST};
  out[n++] = (bad_name_t){"hostname with bytes 0x80-0xff", "h\xe9llo.example", NULL, BUN_TCP_EINVALHOST};
  out[n++] = (bad_name_t){"hostname of invalid UTF-8", "\xff\xfe", NULL, BUN_TCP_EINVALHOST};
  out[n++] = (bad_name_t){"hostname of 64 KiB", g_huge_string, NULL, BUN_TCP_EINVALHOST};
  out[n++] = (bad_name_t){"unix_path \"\"", NULL, g_empty_unix_path, BUN_TCP_EINVAL};
  out[n++] = (bad_name_t){"unix_path \"\\0\" (empty abstract name)", NULL, g_abstract_empty, BUN_TCP_EINVAL};
  out[n++] = (bad_name_t){"unix_path of 64 KiB", NULL, g_huge_string, -ENAMETOOLONG};
  return n;
}

static void probe_listen(void) {
  bun_tcp_listen_options o = listen_opts();
  bun_tcp_handlers h = counting_handlers();
  bun_tcp_handlers no_data = counting_handlers();
  no_data.data = NULL;
  no_data.drain = NULL;
  FOR_BAD_LOOPS(k) listen_case(bad_loop_names[k], bad_loop(k), &o, &h, true, bad_loop_code(k));
  listen_case("NULL options", g_loop, NULL, &h, true, BUN_TCP_EINVAL);
  listen_case("NULL handlers", g_loop, &o, NULL, true, BUN_TCP_EINVAL);
  listen_case("NULL out", g_loop, &o, &h, false, BUN_TCP_EINVAL);
  listen_case("handlers without data and drain", g_loop, &o, &no_data, true, BUN_TCP_EINVAL);
  bun_tcp_listen_options b = o;
  b.backlog = -1;
  listen_case("backlog -1", g_loop, &b, &h, true, BUN_TCP_EINVAL);
  b.backlog = INT32_MIN;
  listen_case("backlog INT32_MIN", g_loop, &b, &h, true, BUN_TCP_EINVAL);
  bad_name_t names[16];
  int nn = bad_name_list(names);
  for (int i = 0; i < nn; i++) {
    b = o;
    b.hostname = names[i].hostname;
    b.unix_path = names[i].unix_path;
    listen_case(names[i].what, g_loop, &b, &h, true, names[i].want);
  }
  if (resolver_reports_nxdomain()) {
    b = o;
    b.hostname = UNRESOLVABLE_HOST;
    listen_case("a hostname that does not resolve", g_loop, &b, &h, true, BUN_TCP_ENOTFOUND);
  }
  bad_tls_t tls[20];
  int nt = bad_tls_list(tls, true);
  for (int i = 0; i < nt; i++) {
    b = o;
    b.tls = &tls[i].o;
    listen_case(tls[i].what, g_loop, &b, &h, true, tls[i].want);
  }
}

static void probe_listener_port(void) {
  bun_tcp_listener l;
  FOR_BAD_LISTENERS(k, l) CASE_I(bad_listener_names[k], bun_tcp_listener_port(l), 0);
}

static void probe_listener_stop(void) {
  bun_tcp_listener l;
  FOR_BAD_LISTENERS(k, l)
    CASE_I(bad_listener_names[k], bun_tcp_listener_stop(l, true), bad_listener_noop_code(k));
  CASE_TRUE("the live listener still listens", bun_tcp_listener_port(g_listener) == g_port);
}

static void probe_listener_reload(void) {
  bun_tcp_listener l;
  bun_tcp_handlers h = counting_handlers();
  bun_tcp_handlers no_data = counting_handlers();
  no_data.data = NULL;
  no_data.drain = NULL;
  FOR_BAD_LISTENERS(k, l) CASE_I(bad_listener_names[k], bun_tcp_listener_reload(l, &h), bad_code(k));
  CASE_I("NULL handlers", bun_tcp_listener_reload(g_listener, NULL), BUN_TCP_EINVAL);
  CASE_I("handlers without data and drain", bun_tcp_listener_reload(g_listener, &no_data), BUN_TCP_EINVAL);
}

static void probe_listener_ref(void) {
  bun_tcp_listener l;
  FOR_BAD_LISTENERS(k, l) CASE_I(bad_listener_names[k], bun_tcp_listener_ref(l), bad_listener_noop_code(k));
}

static void probe_listener_unref(void) {
  bun_tcp_listener l;
  FOR_BAD_LISTENERS(k, l) CASE_I(bad_listener_names[k], bun_tcp_listener_unref(l), bad_listener_noop_code(k));
  CASE_I("the live listener still keeps the loop alive", bun_tcp_loop_alive(g_loop), true);
}

static void probe_listener_data(void) {
  bun_tcp_listener l;
  FOR_BAD_LISTENERS(k, l) CASE_NULL(bad_listener_names[k], bun_tcp_listener_data(l));
}

static void probe_listener_set_data(void) {
  bun_tcp_listener l;
  FOR_BAD_LISTENERS(k, l)
    CASE_I(bad_listener_names[k], bun_tcp_listener_set_data(l, &g_client_tag), bad_code(k));
  CASE_TRUE("the live listener's data is unchanged", bun_tcp_listener_data(g_listener) == &g_server_tag);
}

/* ------------------------------------------------------------------------------------------------ */
/* probes: connect and socket functions                                                             */
/* ------------------------------------------------------------------------------------------------ */

/* One failing connect: the code, `out` untouched, no socket created, nothing fires later. */
static void connect_case(const char *what, bun_tcp_loop *loop, const bun_tcp_connect_options *o,
                         const bun_tcp_handlers *h, bool pass_out, int32_t want) {
  bun_tcp_socket out = SOCKET_SENTINEL;
  size_t before = bun_tcp_loop_socket_count(g_loop);
  size_t newer_before = g_newer_loop ? bun_tcp_loop_socket_count(g_newer_loop) : 0;
  int32_t rc;
  CASE_I(what, rc = bun_tcp_connect(loop, o, h, pass_out ? &out : NULL), want);
  CASE_TRUE(what, out.id == SOCKET_SENTINEL.id);
  if (rc == 0 && out.id != SOCKET_SENTINEL.id) bun_tcp_socket_close(out); /* undo a wrong success */
  CASE_TRUE(what, bun_tcp_loop_socket_count(g_loop) == before);
  if (g_newer_loop) CASE_TRUE(what, bun_tcp_loop_socket_count(g_newer_loop) == newer_before);
}

/* ---- connect options local_address / local_port / connect_timeout_ms, set_keep_alive_ex ---- */
static int tcp_opt(bun_tcp_socket s, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  int fd = bun_tcp_socket_fd(s);
  if (fd < 0 || getsockopt(fd, level, name, &v, &len) != 0) FAIL("getsockopt %d/%d", level, name);
  return v;
}

static void probe_socket_set_keep_alive_ex(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s)
    CASE_I(bad_names[k], bun_tcp_socket_set_keep_alive_ex(s, true, 30, 10, 5), bad_code(k));
  FOR_BAD_SOCKETS(k, s)
    CASE_I(bad_names[k], bun_tcp_socket_set_keep_alive_ex(s, false, 0, 0, 0), bad_code(k));
  /* out of the kernel's ranges: refused before anything is applied */
  static const struct {
    const char *what;
    uint32_t idle, interval, count;
  } bad[] = {
      {"idle_s 0", 0, 10, 5},
      {"idle_s 32768", 32768, 10, 5},
      {"idle_s UINT32_MAX", UINT32_MAX, 10, 5},
      {"interval_s 0", 30, 0, 5},
      {"interval_s 32768", 30, 32768, 5},
      {"interval_s UINT32_MAX", 30, UINT32_MAX, 5},
      {"count 0", 30, 10, 0},
      {"count 128", 30, 10, 128},
      {"count UINT32_MAX", 30, 10, UINT32_MAX},
  };
  int on = tcp_opt(g_client, SOL_SOCKET, SO_KEEPALIVE);
  int idle = tcp_opt(g_client, IPPROTO_TCP, TCP_KEEPIDLE);
  int interval = tcp_opt(g_client, IPPROTO_TCP, TCP_KEEPINTVL);
  int count = tcp_opt(g_client, IPPROTO_TCP, TCP_KEEPCNT);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CASE_I(bad[i].what,
           bun_tcp_socket_set_keep_alive_ex(g_client, true, bad[i].idle, bad[i].interval, bad[i].count),
           BUN_TCP_EINVAL);
    CASE_TRUE(bad[i].what, tcp_opt(g_client, SOL_SOCKET, SO_KEEPALIVE) == on &&
                               tcp_opt(g_client, IPPROTO_TCP, TCP_KEEPIDLE) == idle &&
                               tcp_opt(g_client, IPPROTO_TCP, TCP_KEEPINTVL) == interval &&
                               tcp_opt(g_client, IPPROTO_TCP, TCP_KEEPCNT) == count);
  }
}

/* bun_tcp_connect's cases for local_address / local_port (called from probe_connect) */
static void connect_local_cases(const bun_tcp_connect_options *o, const bun_tcp_handlers *h) {
  static const char *not_literals[] = {"localhost", "1.2.3", "", "::1]", "127.0.0.1:80"};
  for (size_t i = 0; i < sizeof not_literals / sizeof not_literals[0]; i++) {
    bun_tcp_connect_options b = *o;
    b.local_address = not_literals[i];
    connect_case("local_address not an IP literal", g_loop, &b, h, true, BUN_TCP_EINVALHOST);
  }
  bun_tcp_connect_options b = *o;
  b.local_address = "\xff\xfe"; /* not UTF-8 */
  connect_case("local_address not UTF-8", g_loop, &b, h, true, BUN_TCP_EINVALHOST);
  b = *o;
  b.hostname = NULL;
  b.unix_path = "/tmp/bun_tcp_bad_input_unused.sock";
  b.local_address = "127.0.0.1";
  connect_case("local_address with unix_path", g_loop, &b, h, true, BUN_TCP_EINVAL);
  b.local_address = NULL;
  b.local_port = 1;
  connect_case("local_port with unix_path", g_loop, &b, h, true, BUN_TCP_EINVAL);
}

static void probe_connect(void) {
  bun_tcp_connect_options o = connect_opts();
  bun_tcp_handlers h = counting_handlers();
  bun_tcp_handlers no_data = counting_handlers();
  no_data.data = NULL;
  no_data.drain = NULL;
  FOR_BAD_LOOPS(k) connect_case(bad_loop_names[k], bad_loop(k), &o, &h, true, bad_loop_code(k));
  connect_case("NULL options", g_loop, NULL, &h, true, BUN_TCP_EINVAL);
  connect_case("NULL handlers", g_loop, &o, NULL, true, BUN_TCP_EINVAL);
  connect_case("NULL out", g_loop, &o, &h, false, BUN_TCP_EINVAL);
  connect_case("handlers without data and drain", g_loop, &o, &no_data, true, BUN_TCP_EINVAL);
  bad_name_t names[16];
  int nn = bad_name_list(names);
  for (int i = 0; i < nn; i++) {
    bun_tcp_connect_options b = o;
    b.hostname = names[i].hostname;
    b.unix_path = names[i].unix_path;
    connect_case(names[i].what, g_loop, &b, &h, true, names[i].want);
  }
  bad_tls_t tls[20];
  int nt = bad_tls_list(tls, false);
  for (int i = 0; i < nt; i++) {
    bun_tcp_connect_options b = o;
    b.tls = &tls[i].o;
    connect_case(tls[i].what, g_loop, &b, &h, true, tls[i].want);
  }
  connect_local_cases(&o, &h);
  long before = g_calls;
  run_for(g_loop, 20);
  CASE_TRUE("nothing fires later for a refused connect", g_calls == before);
}

static const uint8_t g_byte[1] = {'x'};

/* write, write_all and end share their bad inputs; `is_end` skips what would end the live socket */
static void probe_send(int64_t (*fn)(bun_tcp_socket, const uint8_t *, size_t)) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], fn(s, g_byte, 1), bad_code(k));
  CASE_I("NULL bytes with len 1", fn(g_client, NULL, 1), BUN_TCP_EINVAL);
  CASE_I("NULL bytes with len SIZE_MAX", fn(g_client, NULL, SIZE_MAX), BUN_TCP_EINVAL);
  CASE_I("len SIZE_MAX (does not fit the int64 result)", fn(g_client, g_byte, SIZE_MAX), BUN_TCP_EINVAL);
  CASE_I("len INT64_MAX + 1", fn(g_client, g_byte, (size_t)INT64_MAX + 1), BUN_TCP_EINVAL);
  CASE_I("the live socket is still open", bun_tcp_socket_ready_state(g_client), BUN_TCP_STATE_OPEN);
  CASE_I("nothing was queued", bun_tcp_socket_buffered_amount(g_client), 0);
}

static void probe_socket_write(void) {
  probe_send(bun_tcp_socket_write);
  kind_fixture_reset();
  CASE_I("a socket still connecting: 0", bun_tcp_socket_write(g_kind_socket, g_byte, 1), 0);
  CASE_I("NULL bytes with len 0: 0", bun_tcp_socket_write(g_client, NULL, 0), 0);
}
static void probe_socket_write_all(void) {
  probe_send(bun_tcp_socket_write_all);
  CASE_I("NULL bytes with len 0: 0", bun_tcp_socket_write_all(g_client, NULL, 0), 0);
}
static void probe_socket_end(void) { probe_send(bun_tcp_socket_end); }

/* int (socket) calls with no other argument to make bad */
#define PROBE_STATUS(fn, call)                                                                     \
  static void probe_##fn(void) {                                                                   \
    bun_tcp_socket s;                                                                              \
    FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], call, bad_code(k));                                 \
    CASE_I("the live socket is still open", bun_tcp_socket_ready_state(g_client), BUN_TCP_STATE_OPEN); \
  }

PROBE_STATUS(socket_shutdown_bad_handles, bun_tcp_socket_shutdown(s, false))
static void probe_socket_shutdown(void) {
  probe_socket_shutdown_bad_handles();
  kind_fixture_reset();
  CASE_I("a socket still connecting", bun_tcp_socket_shutdown(g_kind_socket, false), -ENOTCONN);
  CASE_I("a socket still connecting: unchanged", bun_tcp_socket_ready_state(g_kind_socket),
         BUN_TCP_STATE_CONNECTING);
}
PROBE_STATUS(socket_close, bun_tcp_socket_close(s))
PROBE_STATUS(socket_terminate, bun_tcp_socket_terminate(s))
PROBE_STATUS(socket_ref, bun_tcp_socket_ref(s))
PROBE_STATUS(socket_unref, bun_tcp_socket_unref(s))
PROBE_STATUS(socket_pause, bun_tcp_socket_pause(s))
PROBE_STATUS(socket_resume, bun_tcp_socket_resume(s))
PROBE_STATUS(socket_flush, bun_tcp_socket_flush(s))
PROBE_STATUS(socket_cork, bun_tcp_socket_cork(s))
PROBE_STATUS(socket_uncork, bun_tcp_socket_uncork(s))
PROBE_STATUS(socket_set_no_delay, bun_tcp_socket_set_no_delay(s, false))
PROBE_STATUS(socket_remote_port, bun_tcp_socket_remote_port(s))
PROBE_STATUS(socket_local_port, bun_tcp_socket_local_port(s))
PROBE_STATUS(socket_fd, bun_tcp_socket_fd(s))
PROBE_STATUS(socket_verify_error, bun_tcp_socket_verify_error(s))

/* ---- write limit (bun_tcp_socket_set_write_limit) ---- */
static void probe_socket_set_write_limit(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_set_write_limit(s, 1), bad_code(k));
  CASE_I("SIZE_MAX on the live socket", bun_tcp_socket_set_write_limit(g_client, SIZE_MAX), 0);
  CASE_I("0 (no limit) after it", bun_tcp_socket_set_write_limit(g_client, 0), 0);
  CASE_I("the live socket is still open", bun_tcp_socket_ready_state(g_client), BUN_TCP_STATE_OPEN);
}
/* ---- end of write limit ---- */

static void probe_socket_timeout(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_timeout(s, 1), bad_code(k));
  CASE_I("UINT32_MAX seconds", bun_tcp_socket_timeout(g_client, UINT32_MAX), 0);
  CASE_I("0 (disable) after it", bun_tcp_socket_timeout(g_client, 0), 0);
}

static void probe_socket_timeout_ms(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_timeout_ms(s, 1), bad_code(k));
  CASE_I("UINT32_MAX ms", bun_tcp_socket_timeout_ms(g_client, UINT32_MAX), 0);
  CASE_I("0 (disable) after it", bun_tcp_socket_timeout_ms(g_client, 0), 0);
}

static void probe_socket_data(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_NULL(bad_names[k], bun_tcp_socket_data(s));
}

static void probe_socket_set_data(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_set_data(s, &g_server_tag), bad_code(k));
  CASE_TRUE("the live socket's data is unchanged", bun_tcp_socket_data(g_client) == &g_client_tag);
}

static void probe_socket_reload(void) {
  bun_tcp_socket s;
  bun_tcp_handlers h = counting_handlers();
  bun_tcp_handlers no_data = counting_handlers();
  no_data.data = NULL;
  no_data.drain = NULL;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_reload(s, &h), bad_code(k));
  CASE_I("NULL handlers", bun_tcp_socket_reload(g_client, NULL), BUN_TCP_EINVAL);
  CASE_I("handlers without data and drain", bun_tcp_socket_reload(g_client, &no_data), BUN_TCP_EINVAL);
}

static void probe_socket_ready_state(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_ready_state(s), BUN_TCP_STATE_CLOSED);
}

static void probe_socket_buffered_amount(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_buffered_amount(s), 0);
}

static bool keepalive_on(bun_tcp_socket s) {
  int on = -1;
  socklen_t len = sizeof on;
  int fd = bun_tcp_socket_fd(s);
  if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len) != 0) FAIL("getsockopt SO_KEEPALIVE");
  return on != 0;
}

static void probe_socket_set_keep_alive(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_set_keep_alive(s, true, 1000), bad_code(k));
  /* TCP_KEEPIDLE takes at most 32767 s: UINT32_MAX ms is refused, and a refused call changes nothing */
  CHECK(!keepalive_on(g_client));
  CASE_I("initial_delay_ms UINT32_MAX", bun_tcp_socket_set_keep_alive(g_client, true, UINT32_MAX),
         BUN_TCP_EINVAL);
  CASE_TRUE("a refused call leaves SO_KEEPALIVE off", !keepalive_on(g_client));
}

static void address_probe(int32_t (*fn)(bun_tcp_socket, char *, size_t)) {
  bun_tcp_socket s;
  char buf[64];
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], fn(s, buf, sizeof buf), bad_code(k));
  CASE_I("NULL buf", fn(g_client, NULL, sizeof buf), BUN_TCP_EINVAL);
  CASE_I("NULL buf with buf_len 0", fn(g_client, NULL, 0), BUN_TCP_EINVAL);
  memset(buf, 'Z', sizeof buf);
  CASE_I("buf_len 0", fn(g_client, buf, 0), -ENOSPC);
  CASE_I("buf_len 9 (one short of \"127.0.0.1\" + NUL)", fn(g_client, buf, 9), -ENOSPC);
  CASE_TRUE("a refused call writes nothing", buf[0] == 'Z' && buf[8] == 'Z');
  CASE_I("buf_len SIZE_MAX (only what is needed is written)", fn(g_client, buf, SIZE_MAX), 9);
  CASE_TRUE("buf_len SIZE_MAX", strcmp(buf, "127.0.0.1") == 0 && buf[10] == 'Z');
}

static void probe_socket_remote_address(void) { address_probe(bun_tcp_socket_remote_address); }
static void probe_socket_local_address(void) { address_probe(bun_tcp_socket_local_address); }

static void probe_socket_bytes_written(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_bytes_written(s), 0);
}

static void probe_socket_listener(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_listener(s).id, 0);
}

static void probe_socket_detach(void) {
  bun_tcp_socket s;
  int32_t fd = -7;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_detach(s, &fd), bad_code(k));
  CASE_TRUE("out_fd untouched", fd == -7);
  CASE_I("NULL out_fd", bun_tcp_socket_detach(g_client, NULL), BUN_TCP_EINVAL);
  kind_fixture_reset();
  CASE_I("a socket still connecting", bun_tcp_socket_detach(g_kind_socket, &fd), BUN_TCP_ENOTSUP);
  CASE_TRUE("out_fd untouched", fd == -7);
  bun_tcp_socket tls = tls_handshaking_socket();
  CASE_I("a TLS socket", bun_tcp_socket_detach(tls, &fd), BUN_TCP_ENOTSUP);
  CASE_TRUE("out_fd untouched", fd == -7);
  CASE_I("a TLS socket: still open", bun_tcp_socket_ready_state(tls), BUN_TCP_STATE_OPEN);
  CASE_I("NULL out_fd: the socket stays in its loop", bun_tcp_socket_ready_state(g_client),
         BUN_TCP_STATE_OPEN);
}

/* A descriptor is still open and still the same file. */
static bool same_fd(int fd, const struct stat *was) {
  struct stat now;
  return fcntl(fd, F_GETFD) >= 0 && fstat(fd, &now) == 0 && now.st_ino == was->st_ino &&
         now.st_dev == was->st_dev;
}

static void adopt_case(const char *what, bun_tcp_loop *loop, int fd, const bun_tcp_handlers *h, bool pass_out,
                       int32_t want) {
  bun_tcp_socket out = SOCKET_SENTINEL;
  struct stat was;
  bool open_before = fd >= 0 && fstat(fd, &was) == 0;
  size_t before = bun_tcp_loop_socket_count(g_loop);
  int32_t rc;
  CASE_I(what, rc = bun_tcp_socket_adopt(loop, fd, h, &g_client_tag, false, pass_out ? &out : NULL), want);
  CASE_TRUE(what, out.id == SOCKET_SENTINEL.id);
  if (rc == 0 && out.id != SOCKET_SENTINEL.id) bun_tcp_socket_detach(out, &fd); /* undo a wrong success */
  CASE_TRUE(what, bun_tcp_loop_socket_count(g_loop) == before);
  if (open_before) CASE_TRUE("the descriptor stays the caller's, open", same_fd(fd, &was));
}

static void probe_socket_adopt(void) {
  bun_tcp_handlers h = counting_handlers();
  bun_tcp_handlers no_data = counting_handlers();
  no_data.data = NULL;
  no_data.drain = NULL;
  int pair[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  for (int k = 0; k < LOOP_BAD_COUNT; k++)
    adopt_case(bad_loop_names[k], bad_loop(k), pair[0], &h, true, bad_loop_code(k));
  adopt_case("NULL handlers", g_loop, pair[0], NULL, true, BUN_TCP_EINVAL);
  adopt_case("NULL out", g_loop, pair[0], &h, false, BUN_TCP_EINVAL);
  adopt_case("handlers without data and drain", g_loop, pair[0], &no_data, true, BUN_TCP_EINVAL);
  adopt_case("fd -1", g_loop, -1, &h, true, BUN_TCP_EINVAL);
  adopt_case("fd INT32_MIN", g_loop, INT32_MIN, &h, true, BUN_TCP_EINVAL);
  int closed_fd = dup(pair[1]);
  close(closed_fd);
  adopt_case("fd not open", g_loop, closed_fd, &h, true, -EBADF);
  int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  adopt_case("fd of a file", g_loop, file, &h, true, -ENOTSOCK);
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  adopt_case("fd of a datagram socket", g_loop, udp, &h, true, -EPROTOTYPE);
  int fresh = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  adopt_case("fd of an unconnected socket", g_loop, fresh, &h, true, -ENOTCONN);
  uint16_t port;
  int listening = raw_tcp_bound(true, &port);
  adopt_case("fd of a listening socket", g_loop, listening, &h, true, BUN_TCP_EINVAL);
  close(listening);
  close(fresh);
  close(udp);
  close(file);
  close(pair[0]);
  close(pair[1]);
}

static void probe_socket_authorized(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_authorized(s), false);
}

static void text_probe(int32_t (*fn)(bun_tcp_socket, char *, size_t)) {
  bun_tcp_socket s;
  char buf[64];
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], fn(s, buf, sizeof buf), bad_code(k));
  CASE_I("NULL buf (plain socket)", fn(g_client, NULL, sizeof buf), BUN_TCP_EINVAL);
  CASE_I("buf_len 0 (no room for the NUL)", fn(g_client, buf, 0), -ENOSPC);
  CASE_I("buf_len SIZE_MAX", fn(g_client, buf, SIZE_MAX), 0);
}

static void probe_socket_alpn_protocol(void) { text_probe(bun_tcp_socket_alpn_protocol); }
static void probe_socket_server_name(void) { text_probe(bun_tcp_socket_server_name); }

static void probe_socket_tls_version(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_NULL(bad_names[k], bun_tcp_socket_tls_version(s));
}

static void probe_socket_cipher(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_NULL(bad_names[k], bun_tcp_socket_cipher(s));
}

static void probe_socket_peer_certificate(void) {
  bun_tcp_socket s;
  uint8_t buf[16];
  FOR_BAD_SOCKETS(k, s)
    CASE_I(bad_names[k], bun_tcp_socket_peer_certificate(s, buf, sizeof buf), bad_code(k));
  CASE_I("NULL buf with buf_len 0: the length (plain: 0)", bun_tcp_socket_peer_certificate(g_client, NULL,
      0), 0);
  CASE_I("NULL buf with buf_len 16", bun_tcp_socket_peer_certificate(g_client, NULL, sizeof buf),
         BUN_TCP_EINVAL);
  CASE_I("buf_len SIZE_MAX (plain: 0)", bun_tcp_socket_peer_certificate(g_client, buf, SIZE_MAX), 0);
}

static void probe_socket_peer_certificate_at(void) {
  bun_tcp_socket s;
  uint8_t buf[16];
  FOR_BAD_SOCKETS(k, s)
    CASE_I(bad_names[k], bun_tcp_socket_peer_certificate_at(s, 0, buf, sizeof buf), bad_code(k));
  CASE_I("NULL buf with buf_len 0: the length (plain: 0)",
         bun_tcp_socket_peer_certificate_at(g_client, 0, NULL, 0), 0);
  CASE_I("NULL buf with buf_len 16", bun_tcp_socket_peer_certificate_at(g_client, 0, NULL, sizeof buf),
         BUN_TCP_EINVAL);
  CASE_I("buf_len SIZE_MAX (plain: 0)", bun_tcp_socket_peer_certificate_at(g_client, 0, buf, SIZE_MAX), 0);
  CASE_I("index SIZE_MAX (past the chain: 0)",
         bun_tcp_socket_peer_certificate_at(g_client, SIZE_MAX, buf, sizeof buf), 0);
}

static void probe_socket_upgrade_tls(void) {
  bun_tcp_socket s;
  bun_tcp_handlers h = counting_handlers();
  bun_tcp_handlers no_data = counting_handlers();
  no_data.data = NULL;
  no_data.drain = NULL;
  bun_tcp_tls_options client;
  memset(&client, 0, sizeof client);
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_upgrade_tls(s, &client, &h, false), bad_code(k));
  CASE_I("NULL tls", bun_tcp_socket_upgrade_tls(g_client, NULL, &h, false), BUN_TCP_EINVAL);
  CASE_I("NULL handlers", bun_tcp_socket_upgrade_tls(g_client, &client, NULL, false), BUN_TCP_EINVAL);
  CASE_I("handlers without data and drain", bun_tcp_socket_upgrade_tls(g_client, &client, &no_data, false),
         BUN_TCP_EINVAL);
  bad_tls_t tls[20];
  int nt = bad_tls_list(tls, false);
  for (int i = 0; i < nt; i++)
    CASE_I(tls[i].what, bun_tcp_socket_upgrade_tls(g_client, &tls[i].o, &h, false), tls[i].want);
  nt = bad_tls_list(tls, true);
  for (int i = 0; i < nt; i++)
    CASE_I(tls[i].what, bun_tcp_socket_upgrade_tls(g_client, &tls[i].o, &h, true), tls[i].want);
  kind_fixture_reset();
  CASE_I("a socket still connecting", bun_tcp_socket_upgrade_tls(g_kind_socket, &client, &h, false),
         BUN_TCP_EINVAL);
  bun_tcp_socket tls_socket = tls_handshaking_socket();
  CASE_I("a socket that is TLS already", bun_tcp_socket_upgrade_tls(tls_socket, &client, &h, false),
         BUN_TCP_EINVAL);
  CASE_NULL("the socket stays plain", bun_tcp_socket_tls_version(g_client));
  CASE_I("the socket stays open", bun_tcp_socket_ready_state(g_client), BUN_TCP_STATE_OPEN);
}

/* ---- issue 15 (SPEC 8.5): session_reused, export_keying_material, listener_set_tls ---------- */

static void probe_socket_session_reused(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_session_reused(s), false);
  CASE_I("a plain socket", bun_tcp_socket_session_reused(g_client), false);
  CASE_I("a TLS socket in its handshake", bun_tcp_socket_session_reused(tls_handshaking_socket()), false);
}

static void probe_socket_export_keying_material(void) {
  bun_tcp_socket s;
  uint8_t out[32];
  const uint8_t ctx[4] = {1, 2, 3, 4};
  FOR_BAD_SOCKETS(k, s)
    CASE_I(bad_names[k], bun_tcp_socket_export_keying_material(s, out, sizeof out, "EXPERIMENTAL", NULL, 0),
           bad_code(k));
  CASE_I("NULL out", bun_tcp_socket_export_keying_material(g_client, NULL, 32, "EXPERIMENTAL", NULL, 0),
         BUN_TCP_EINVAL);
  CASE_I("out_len 0", bun_tcp_socket_export_keying_material(g_client, out, 0, "EXPERIMENTAL", NULL, 0),
         BUN_TCP_EINVAL);
  CASE_I("NULL label", bun_tcp_socket_export_keying_material(g_client, out, sizeof out, NULL, NULL, 0),
         BUN_TCP_EINVAL);
  CASE_I("label of invalid UTF-8",
         bun_tcp_socket_export_keying_material(g_client, out, sizeof out, "\xff\xfe", NULL, 0), BUN_TCP_EINVAL);
  CASE_I("NULL context with context_len 4",
         bun_tcp_socket_export_keying_material(g_client, out, sizeof out, "EXPERIMENTAL", NULL, 4), BUN_TCP_EINVAL);
  CASE_I("context_len SIZE_MAX",
         bun_tcp_socket_export_keying_material(g_client, out, sizeof out, "EXPERIMENTAL", ctx, SIZE_MAX),
         BUN_TCP_EINVAL);
  CASE_I("out_len SIZE_MAX", bun_tcp_socket_export_keying_material(g_client, out, SIZE_MAX, "EXPERIMENTAL", NULL, 0),
         BUN_TCP_EINVAL);
  CASE_I("a plain socket", bun_tcp_socket_export_keying_material(g_client, out, sizeof out, "EXPERIMENTAL", ctx, 4),
         BUN_TCP_ENOTSUP);
  CASE_I("a TLS socket in its handshake",
         bun_tcp_socket_export_keying_material(tls_handshaking_socket(), out, sizeof out, "EXPERIMENTAL", NULL, 0),
         BUN_TCP_ENOTSUP);
}

static void probe_listener_set_tls(void) {
  bun_tcp_listener l;
  bun_tcp_tls_options zero;
  memset(&zero, 0, sizeof zero);
  FOR_BAD_LISTENERS(k, l) CASE_I(bad_listener_names[k], bun_tcp_listener_set_tls(l, &zero), bad_code(k));
  CASE_I("NULL tls", bun_tcp_listener_set_tls(g_listener, NULL), BUN_TCP_EINVAL);
  CASE_I("a plain listener", bun_tcp_listener_set_tls(g_listener, &zero), BUN_TCP_ENOTSUP);
  bad_tls_t tls[20];
  int nt = bad_tls_list(tls, true);
  /* options that fail while being read fail first; the rest meet the plain listener */
  for (int i = 0; i < nt; i++)
    CASE_I(tls[i].what, bun_tcp_listener_set_tls(g_listener, &tls[i].o),
           tls[i].want == BUN_TCP_EINVAL && strstr(tls[i].what, "without cert") == NULL ? BUN_TCP_EINVAL
                                                                                        : BUN_TCP_ENOTSUP);
  CASE_TRUE("the live listener still listens", bun_tcp_listener_port(g_listener) == g_port);
}

/* ------------------------------------------------------------------------------------------------ */
/* probes: inherited listeners and address families                                                 */
/* ------------------------------------------------------------------------------------------------ */

/* One refused bun_tcp_listen_fd: its code, nothing written, no listener, the descriptor open with
 * its flags and listening state as they were. */
static void listen_fd_case(const char *what, bun_tcp_loop *loop, int fd, const bun_tcp_listen_options *o,
                           const bun_tcp_handlers *h, bool pass_out, int32_t want) {
  bun_tcp_listener out = LISTENER_SENTINEL;
  size_t before = bun_tcp_loop_listener_count(g_loop);
  int fd_flags = fd >= 0 ? fcntl(fd, F_GETFD) : -1, status_flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
  int32_t rc;
  CASE_I(what, rc = bun_tcp_listen_fd(loop, fd, o, h, pass_out ? &out : NULL), want);
  CASE_TRUE(what, out.id == LISTENER_SENTINEL.id);
  if (rc == 0 && out.id != LISTENER_SENTINEL.id) bun_tcp_listener_stop(out, true); /* undo a wrong success */
  CASE_TRUE(what, bun_tcp_loop_listener_count(g_loop) == before);
  if (fd_flags >= 0)
    CASE_TRUE("the descriptor's flags are unchanged",
              fcntl(fd, F_GETFD) == fd_flags && fcntl(fd, F_GETFL) == status_flags);
}

static void probe_listen_fd(void) {
  bun_tcp_handlers h = counting_handlers();
  bun_tcp_handlers no_data = counting_handlers();
  no_data.data = NULL;
  no_data.drain = NULL;
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  int bound = socket(AF_INET, SOCK_STREAM, 0); /* blocking, no FD_CLOEXEC: as systemd passes it */
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(bound, (struct sockaddr *)&a, sizeof a) == 0);
  FOR_BAD_LOOPS(k) listen_fd_case(bad_loop_names[k], bad_loop(k), bound, &o, &h, true, bad_loop_code(k));
  listen_fd_case("NULL handlers", g_loop, bound, &o, NULL, true, BUN_TCP_EINVAL);
  listen_fd_case("NULL out", g_loop, bound, &o, &h, false, BUN_TCP_EINVAL);
  listen_fd_case("handlers without data and drain", g_loop, bound, &o, &no_data, true, BUN_TCP_EINVAL);
  listen_fd_case("fd -1", g_loop, -1, &o, &h, true, BUN_TCP_EINVAL);
  listen_fd_case("fd INT32_MIN", g_loop, INT32_MIN, &o, &h, true, BUN_TCP_EINVAL);
  int closed_fd = dup(bound);
  close(closed_fd);
  listen_fd_case("fd not open", g_loop, closed_fd, &o, &h, true, -EBADF);
  int file = open("/dev/null", O_RDONLY);
  listen_fd_case("fd of a file", g_loop, file, &o, &h, true, -ENOTSOCK);
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  listen_fd_case("fd of a datagram socket", g_loop, udp, &o, &h, true, BUN_TCP_EINVAL);
  int unbound = socket(AF_INET, SOCK_STREAM, 0);
  listen_fd_case("fd of an unbound socket", g_loop, unbound, &o, &h, true, BUN_TCP_EINVAL);
  bun_tcp_listen_options b = o;
  b.hostname = "127.0.0.1";
  listen_fd_case("hostname set", g_loop, bound, &b, &h, true, BUN_TCP_EINVAL);
  b = o;
  b.port = 1;
  listen_fd_case("port set", g_loop, bound, &b, &h, true, BUN_TCP_EINVAL);
  b = o;
  b.unix_path = "/tmp/bun_tcp_never.sock";
  listen_fd_case("unix_path set", g_loop, bound, &b, &h, true, BUN_TCP_EINVAL);
  b = o;
  b.backlog = -1;
  listen_fd_case("backlog -1", g_loop, bound, &b, &h, true, BUN_TCP_EINVAL);
  bad_tls_t tls[20];
  int nt = bad_tls_list(tls, true);
  for (int i = 0; i < nt; i++) {
    b = o;
    b.tls = &tls[i].o;
    listen_fd_case(tls[i].what, g_loop, bound, &b, &h, true, tls[i].want);
  }
  int accept_conn = -1;
  socklen_t len = sizeof accept_conn;
  CHECK(getsockopt(bound, SOL_SOCKET, SO_ACCEPTCONN, &accept_conn, &len) == 0);
  CASE_TRUE("no refusal made it listen", accept_conn == 0);
  close(unbound);
  close(udp);
  close(file);
  close(bound);
}

static void probe_listener_address(void) {
  bun_tcp_listener l;
  char buf[64];
  FOR_BAD_LISTENERS(k, l) CASE_I(bad_listener_names[k], bun_tcp_listener_address(l, buf, sizeof buf), bad_code(k));
  CASE_I("NULL buf", bun_tcp_listener_address(g_listener, NULL, sizeof buf), BUN_TCP_EINVAL);
  CASE_I("NULL buf with buf_len 0", bun_tcp_listener_address(g_listener, NULL, 0), BUN_TCP_EINVAL);
  memset(buf, 'Z', sizeof buf);
  CASE_I("buf_len 0", bun_tcp_listener_address(g_listener, buf, 0), -ENOSPC);
  CASE_I("buf_len 9 (one short of \"127.0.0.1\" + NUL)", bun_tcp_listener_address(g_listener, buf, 9), -ENOSPC);
  CASE_TRUE("a refused call writes nothing", buf[0] == 'Z' && buf[8] == 'Z');
  CASE_I("buf_len SIZE_MAX (only what is needed is written)", bun_tcp_listener_address(g_listener, buf, SIZE_MAX), 9);
  CASE_TRUE("buf_len SIZE_MAX", strcmp(buf, "127.0.0.1") == 0 && buf[10] == 'Z');
}

static void probe_listener_family(void) {
  bun_tcp_listener l;
  FOR_BAD_LISTENERS(k, l) CASE_I(bad_listener_names[k], bun_tcp_listener_family(l), bad_code(k));
  CASE_I("the live listener", bun_tcp_listener_family(g_listener), AF_INET);
}

static void probe_socket_remote_family(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_remote_family(s), bad_code(k));
  CASE_I("the live socket", bun_tcp_socket_remote_family(g_client), AF_INET);
}

static void probe_socket_local_family(void) {
  bun_tcp_socket s;
  FOR_BAD_SOCKETS(k, s) CASE_I(bad_names[k], bun_tcp_socket_local_family(s), bad_code(k));
  CASE_I("the live socket", bun_tcp_socket_local_family(g_client), AF_INET);
}


/* ------------------------------------------------------------------------------------------------ */
/* probes: timers (bun_tcp_timer_*)                                                                 */
/* ------------------------------------------------------------------------------------------------ */
/* Their own fixtures, made on first use: a live timer on g_loop (an hour away: it never fires
 * during the run), a stopped one, a fired one-shot, timers of a freed loop and of a loop
 * abandoned by its thread, and another thread's live timer (a thread per probe, joined in it). */

static bun_tcp_timer g_timer_live, g_timer_stopped, g_timer_fired, g_timer_of_freed_loop,
    g_timer_of_abandoned_loop;
static bun_tcp_loop *g_timer_abandoned_loop;
static int g_timer_fixture_fires;
static bool g_timer_fixtures_made;

static void timer_count(bun_tcp_timer t, void *d) { g_timer_fixture_fires++; }

static void *timer_abandoning_thread(void *arg) {
  g_timer_abandoned_loop = new_loop();
  CHECK_OK(bun_tcp_timer_start(g_timer_abandoned_loop, 3600000, 0, timer_count, NULL, &g_timer_of_abandoned_loop));
  return NULL; /* exits with its loop alive: abandoned */
}

static void timer_fixtures(void) {
  if (g_timer_fixtures_made) return;
  g_timer_fixtures_made = true;
  CHECK_OK(bun_tcp_timer_start(g_loop, 3600000, 0, timer_count, NULL, &g_timer_live));
  CHECK_OK(bun_tcp_timer_start(g_loop, 3600000, 0, timer_count, NULL, &g_timer_stopped));
  CHECK_OK(bun_tcp_timer_stop(g_timer_stopped));
  CHECK_OK(bun_tcp_timer_start(g_loop, 0, 0, timer_count, NULL, &g_timer_fired));
  RUN_UNTIL(g_loop, g_timer_fixture_fires == 1);
  bun_tcp_loop *doomed = new_loop();
  CHECK_OK(bun_tcp_timer_start(doomed, 0, 1, timer_count, NULL, &g_timer_of_freed_loop));
  bun_tcp_loop_free(doomed);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, timer_abandoning_thread, NULL) == 0);
  CHECK(pthread_join(th, NULL) == 0);
}

/* Another thread's loop with a live timer: it waits while this thread probes, then checks that the
 * timer is still pending and ref'd (the loop alive), and stops it. */
static struct {
  int ready[2], done[2];
  bun_tcp_timer timer;
  bool alive_after;
  int32_t stop_after;
} tf;

static void *timer_foreign_thread(void *arg) {
  bun_tcp_loop *loop = new_loop();
  CHECK_OK(bun_tcp_timer_start(loop, 3600000, 0, timer_count, NULL, &tf.timer));
  char byte = 'r';
  CHECK(write(tf.ready[1], &byte, 1) == 1);
  CHECK(read(tf.done[0], &byte, 1) == 1);
  tf.alive_after = bun_tcp_loop_alive(loop);
  tf.stop_after = bun_tcp_timer_stop(tf.timer);
  bun_tcp_loop_free(loop);
  return NULL;
}

enum bad_timer {
  BT_ZERO, BT_GENERATION, BT_SLOT, BT_LOOP, BT_ALL_ONES, BT_SOCKET, BT_LISTENER, BT_STOPPED,
  BT_FIRED, BT_FREED_LOOP, BT_FOREIGN, BT_ABANDONED, BT_COUNT
};
static const char *const bad_timer_names[BT_COUNT] = {
    "zero handle", "forged: generation never issued", "forged: slot never existed",
    "forged: loop bits of no loop", "forged: all bits set", "forged: a live socket's id",
    "forged: a live listener's id", "stale: stopped timer", "stale: fired one-shot",
    "handle of a freed loop", "handle of another thread's loop",
    "handle of a loop abandoned by its exited thread"};

static bun_tcp_timer bad_timer(int k) {
  bun_tcp_timer t = {0};
  switch (k) {
  case BT_ZERO: break;
  case BT_GENERATION: t.id = forge_generation(g_timer_live.id); break;
  case BT_SLOT: t.id = forge_slot(g_timer_live.id); break;
  case BT_LOOP: t.id = forge_loop(g_timer_live.id); break;
  case BT_ALL_ONES: t.id = UINT64_MAX; break;
  case BT_SOCKET: t.id = g_client.id; break;
  case BT_LISTENER: t.id = g_listener.id; break;
  case BT_STOPPED: t = g_timer_stopped; break;
  case BT_FIRED: t = g_timer_fired; break;
  case BT_FREED_LOOP: t = g_timer_of_freed_loop; break;
  case BT_FOREIGN: t = tf.timer; break;
  case BT_ABANDONED: t = g_timer_of_abandoned_loop; break;
  }
  return t;
}

/* Every bad handle, with another thread's loop alive for the BT_FOREIGN case; afterwards the live
 * objects the forgeries named are untouched and nothing fired. */
static void probe_timer_handle(const char *fn_name, int32_t (*fn)(bun_tcp_timer)) {
  timer_fixtures();
  CHECK(pipe(tf.ready) == 0 && pipe(tf.done) == 0);
  pthread_t th;
  CHECK(pthread_create(&th, NULL, timer_foreign_thread, NULL) == 0);
  char byte;
  CHECK(read(tf.ready[0], &byte, 1) == 1);
  for (int k = 0; k < BT_COUNT; k++)
    CASE_I(bad_timer_names[k], fn(bad_timer(k)), k == BT_FOREIGN ? BUN_TCP_EWRONGTHREAD : BUN_TCP_ECLOSED);
  byte = 'd';
  CHECK(write(tf.done[1], &byte, 1) == 1);
  CHECK(pthread_join(th, NULL) == 0);
  for (int i = 0; i < 2; i++) close(tf.ready[i]), close(tf.done[i]);
  CASE_I("another thread's timer: still pending and ref'd", tf.alive_after, true);
  CASE_I("another thread's timer: its owner stops it", tf.stop_after, 0);
  CASE_I("the live socket a forgery named is open", bun_tcp_socket_ready_state(g_client), BUN_TCP_STATE_OPEN);
  CASE_I("the live listener a forgery named listens", bun_tcp_listener_port(g_listener), g_port);
  CASE_I("no fixture timer fired again", g_timer_fixture_fires, 1);
  (void)fn_name;
}

/* In a timer's own callback: stop / ref / unref on itself work; a timer started there fires later. */
static int32_t g_in_cb_unref, g_in_cb_ref, g_in_cb_stop, g_in_cb_start;
static int g_in_cb_runs, g_in_cb_child_runs;
static bun_tcp_loop *g_in_cb_loop;
static void timer_child(bun_tcp_timer t, void *d) { g_in_cb_child_runs++; }
static void timer_calls_itself(bun_tcp_timer t, void *d) {
  g_in_cb_runs++;
  g_in_cb_unref = bun_tcp_timer_unref(t);
  g_in_cb_ref = bun_tcp_timer_ref(t);
  g_in_cb_stop = bun_tcp_timer_stop(t);
  bun_tcp_timer child;
  g_in_cb_start = bun_tcp_timer_start(g_in_cb_loop, 0, 0, timer_child, NULL, &child);
}

static void run_in_callback_fixture(void) {
  if (g_in_cb_loop) return;
  g_in_cb_loop = new_loop();
  bun_tcp_timer t;
  CHECK_OK(bun_tcp_timer_start(g_in_cb_loop, 0, 5, timer_calls_itself, NULL, &t));
  CHECK_OK(bun_tcp_run(g_in_cb_loop)); /* the callback stops the repeat; its child fires next */
  bun_tcp_loop_free(g_in_cb_loop);
}

/* bun_tcp_timer_start from a close handler that bun_tcp_loop_free runs: the loop is being freed. */
static bun_tcp_loop *g_freeing_loop;
static bun_tcp_timer g_freeing_timer;
static int32_t g_start_while_freeing = 1, g_stop_while_freeing = 1;
static void freeing_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  if (g_start_while_freeing != 1) return; /* the first close only */
  bun_tcp_timer out;
  g_start_while_freeing = bun_tcp_timer_start(g_freeing_loop, 0, 0, timer_count, NULL, &out);
  g_stop_while_freeing = bun_tcp_timer_stop(g_freeing_timer);
}

static void probe_timer_start(void) {
  timer_fixtures();
  int32_t want;
  bun_tcp_timer out = {0x5e5e5e5e5e5e5e5eull};
  FOR_BAD_LOOPS(k) {
    want = bad_loop_code(k);
    CASE_I(bad_loop_names[k], bun_tcp_timer_start(bad_loop(k), 0, 0, timer_count, NULL, &out), want);
  }
  bun_tcp_loop *fresh = new_loop();
  CASE_I("NULL fn", bun_tcp_timer_start(fresh, 0, 0, NULL, NULL, &out), BUN_TCP_EINVAL);
  CASE_I("NULL out", bun_tcp_timer_start(fresh, 0, 0, timer_count, NULL, NULL), BUN_TCP_EINVAL);
  CASE_TRUE("out untouched by every failure", out.id == 0x5e5e5e5e5e5e5e5eull);
  CASE_I("nothing started: the loop is not alive", bun_tcp_loop_alive(fresh), false);
  CASE_I("nothing started: no timeout", bun_tcp_loop_next_timeout_ms(fresh), -1);
  CASE_I("huge delay and repeat (UINT64_MAX ms)",
         bun_tcp_timer_start(fresh, UINT64_MAX, UINT64_MAX, timer_count, NULL, &out), 0);
  CASE_I("huge delay: next_timeout_ms saturates", bun_tcp_loop_next_timeout_ms(fresh), INT32_MAX);
  CASE_I("huge delay: stop", bun_tcp_timer_stop(out), 0);
  bun_tcp_loop_free(fresh);
  CASE_I("no fixture timer fired (the foreign-thread loop got none)", g_timer_fixture_fires, 1);

  run_in_callback_fixture();
  CASE_I("in its own callback: unref", g_in_cb_unref, 0);
  CASE_I("in its own callback: ref", g_in_cb_ref, 0);
  CASE_I("in its own callback: stop", g_in_cb_stop, 0);
  CASE_I("in its own callback: start", g_in_cb_start, 0);
  CASE_I("the stopped repeat ran once", g_in_cb_runs, 1);
  CASE_I("the timer started in the callback ran, once", g_in_cb_child_runs, 1);

  g_freeing_loop = new_loop();
  bun_tcp_handlers h = quiet_handlers();
  h.close = freeing_close;
  bun_tcp_listen_options lo = listen_opts();
  lo.data = NULL;
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen(g_freeing_loop, &lo, &h, &l));
  bun_tcp_connect_options co = connect_opts();
  co.port = bun_tcp_listener_port(l);
  co.data = NULL;
  bun_tcp_socket s;
  CHECK_OK(bun_tcp_connect(g_freeing_loop, &co, &h, &s));
  RUN_UNTIL(g_freeing_loop, bun_tcp_socket_ready_state(s) == BUN_TCP_STATE_OPEN &&
                                bun_tcp_loop_socket_count(g_freeing_loop) == 2);
  CHECK_OK(bun_tcp_timer_start(g_freeing_loop, 0, 0, timer_count, NULL, &g_freeing_timer));
  bun_tcp_loop_free(g_freeing_loop);
  CASE_I("start from a close handler loop_free runs", g_start_while_freeing, BUN_TCP_ECLOSED);
  CASE_I("stop from a close handler loop_free runs (the timer is not dropped yet)", g_stop_while_freeing, 0);
  CASE_I("loop_free called no pending timer", g_timer_fixture_fires, 1);
}

static void probe_timer_stop(void) { probe_timer_handle("stop", bun_tcp_timer_stop); }
static void probe_timer_ref(void) { probe_timer_handle("ref", bun_tcp_timer_ref); }
static void probe_timer_unref(void) {
  probe_timer_handle("unref", bun_tcp_timer_unref);
  CASE_I("the live timer still keeps its loop alive (after every bad unref)", bun_tcp_loop_alive(g_loop), true);
  CASE_I("the live timer is still pending", bun_tcp_timer_ref(g_timer_live), 0);
}

/* ------------------------------------------------------------------------------------------------ */
/* the table                                                                                        */
/* ------------------------------------------------------------------------------------------------ */
typedef struct row {
  const char *name;
  void (*fn)(void); /* the function itself: a row naming no function does not compile */
  void (*probe)(void);
} row_t;

#define ROW(f, probe) {#f, (void (*)(void))f, probe}

static const row_t rows[] = {
    ROW(bun_tcp_err_name, probe_err_name),
    ROW(bun_tcp_strerror, probe_strerror),
    ROW(bun_tcp_last_error_message, probe_last_error_message),
    ROW(bun_tcp_listen, probe_listen),
    ROW(bun_tcp_listener_port, probe_listener_port),
    ROW(bun_tcp_listener_stop, probe_listener_stop),
    ROW(bun_tcp_listener_reload, probe_listener_reload),
    ROW(bun_tcp_listener_ref, probe_listener_ref),
    ROW(bun_tcp_listener_unref, probe_listener_unref),
    ROW(bun_tcp_listener_data, probe_listener_data),
    ROW(bun_tcp_listener_set_data, probe_listener_set_data),
    ROW(bun_tcp_loop_new, probe_loop_new),
    ROW(bun_tcp_loop_free, probe_loop_free),
    ROW(bun_tcp_poll, probe_poll),
    ROW(bun_tcp_run, probe_run),
    ROW(bun_tcp_loop_alive, probe_loop_alive),
    ROW(bun_tcp_loop_wakeup, probe_loop_wakeup),
    ROW(bun_tcp_loop_post, probe_loop_post),
    ROW(bun_tcp_loop_next_timeout_ms, probe_loop_next_timeout_ms),
    ROW(bun_tcp_loop_fd, probe_loop_fd),
    ROW(bun_tcp_loop_set_trace, probe_loop_set_trace),         /* tracing and metrics */
    ROW(bun_tcp_loop_time_handlers, probe_loop_time_handlers), /* tracing and metrics */
    ROW(bun_tcp_loop_metrics, probe_loop_metrics),             /* tracing and metrics */
    ROW(bun_tcp_loop_socket_count, probe_loop_socket_count),
    ROW(bun_tcp_loop_listener_count, probe_loop_listener_count),
    ROW(bun_tcp_timer_start, probe_timer_start),
    ROW(bun_tcp_timer_stop, probe_timer_stop),
    ROW(bun_tcp_timer_ref, probe_timer_ref),
    ROW(bun_tcp_timer_unref, probe_timer_unref),
    ROW(bun_tcp_version, probe_version),
    ROW(bun_tcp_connect, probe_connect),
    ROW(bun_tcp_socket_write, probe_socket_write),
    ROW(bun_tcp_socket_write_all, probe_socket_write_all),
    ROW(bun_tcp_socket_end, probe_socket_end),
    ROW(bun_tcp_socket_shutdown, probe_socket_shutdown),
    ROW(bun_tcp_socket_close, probe_socket_close),
    ROW(bun_tcp_socket_terminate, probe_socket_terminate),
    ROW(bun_tcp_socket_timeout, probe_socket_timeout),
    ROW(bun_tcp_socket_timeout_ms, probe_socket_timeout_ms),
    ROW(bun_tcp_socket_data, probe_socket_data),
    ROW(bun_tcp_socket_set_data, probe_socket_set_data),
    ROW(bun_tcp_socket_reload, probe_socket_reload),
    ROW(bun_tcp_socket_ready_state, probe_socket_ready_state),
    ROW(bun_tcp_socket_ref, probe_socket_ref),
    ROW(bun_tcp_socket_unref, probe_socket_unref),
    ROW(bun_tcp_socket_pause, probe_socket_pause),
    ROW(bun_tcp_socket_resume, probe_socket_resume),
    ROW(bun_tcp_socket_flush, probe_socket_flush),
    ROW(bun_tcp_socket_cork, probe_socket_cork),
    ROW(bun_tcp_socket_uncork, probe_socket_uncork),
    ROW(bun_tcp_socket_buffered_amount, probe_socket_buffered_amount),
    ROW(bun_tcp_socket_set_no_delay, probe_socket_set_no_delay),
    ROW(bun_tcp_socket_set_keep_alive, probe_socket_set_keep_alive),
    ROW(bun_tcp_socket_set_keep_alive_ex, probe_socket_set_keep_alive_ex),
    ROW(bun_tcp_socket_set_write_limit, probe_socket_set_write_limit), /* write limit */
    ROW(bun_tcp_socket_remote_address, probe_socket_remote_address),
    ROW(bun_tcp_socket_remote_port, probe_socket_remote_port),
    ROW(bun_tcp_socket_local_address, probe_socket_local_address),
    ROW(bun_tcp_socket_local_port, probe_socket_local_port),
    ROW(bun_tcp_socket_bytes_written, probe_socket_bytes_written),
    ROW(bun_tcp_socket_fd, probe_socket_fd),
    ROW(bun_tcp_socket_listener, probe_socket_listener),
    ROW(bun_tcp_socket_detach, probe_socket_detach),
    ROW(bun_tcp_socket_adopt, probe_socket_adopt),
    ROW(bun_tcp_socket_authorized, probe_socket_authorized),
    ROW(bun_tcp_socket_verify_error, probe_socket_verify_error),
    ROW(bun_tcp_socket_alpn_protocol, probe_socket_alpn_protocol),
    ROW(bun_tcp_socket_server_name, probe_socket_server_name),
    ROW(bun_tcp_socket_tls_version, probe_socket_tls_version),
    ROW(bun_tcp_socket_cipher, probe_socket_cipher),
    ROW(bun_tcp_socket_peer_certificate, probe_socket_peer_certificate),
    ROW(bun_tcp_socket_peer_certificate_at, probe_socket_peer_certificate_at),
    ROW(bun_tcp_socket_upgrade_tls, probe_socket_upgrade_tls),
    ROW(bun_tcp_tls_provider, probe_tls_provider),
    /* issue 15 (SPEC 8.5) */
    ROW(bun_tcp_socket_session_reused, probe_socket_session_reused),
    ROW(bun_tcp_socket_export_keying_material, probe_socket_export_keying_material),
    ROW(bun_tcp_listener_set_tls, probe_listener_set_tls),
    ROW(bun_tcp_listen_fd, probe_listen_fd),
    ROW(bun_tcp_listener_address, probe_listener_address),
    ROW(bun_tcp_listener_family, probe_listener_family),
    ROW(bun_tcp_socket_remote_family, probe_socket_remote_family),
    ROW(bun_tcp_socket_local_family, probe_socket_local_family),
};
#define ROW_COUNT (sizeof rows / sizeof rows[0])

/* ------------------------------------------------------------------------------------------------ */
/* the header's functions                                                                           */
/* ------------------------------------------------------------------------------------------------ */

#define MAX_DECLARED 256
static char *g_declared[MAX_DECLARED];
static int g_declared_count;

/* Every `bun_tcp_*` name followed by '(' outside comments: cbindgen writes one declaration per
 * function, `<type> bun_tcp_name(<args>);`, maybe over several lines. */
static void read_declared_functions(void) {
  const char *src = getenv("BUN_TCP_SOURCE_DIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/include/bun_tcp.h", src && *src ? src : ".");
  FILE *f = fopen(path, "rb");
  if (!f) FAIL("cannot open %s (set BUN_TCP_SOURCE_DIR to the source tree): %s", path, strerror(errno));
  bytebuf_t text;
  memset(&text, 0, sizeof text);
  uint8_t chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) bytebuf_append(&text, chunk, n);
  fclose(f);
  uint8_t nul = 0;
  bytebuf_append(&text, &nul, 1);
  char *p = (char *)text.ptr;
  /* blank out comments, keeping line structure irrelevant */
  for (char *q = p; *q; q++) {
    if (q[0] == '/' && q[1] == '/') {
      while (*q && *q != '\n') *q++ = ' ';
      if (!*q) break;
    } else if (q[0] == '/' && q[1] == '*') {
      char *end = strstr(q + 2, "*/");
      char *stop = end ? end + 2 : q + strlen(q);
      memset(q, ' ', (size_t)(stop - q));
      q = stop - 1;
    }
  }
  for (char *q = p; (q = strstr(q, "bun_tcp_")) != NULL;) {
    bool starts_word = q == p || !(isalnum((unsigned char)q[-1]) || q[-1] == '_');
    char *e = q;
    while (isalnum((unsigned char)*e) || *e == '_') e++;
    char *after = e;
    while (*after == ' ' || *after == '\t' || *after == '\n' || *after == '\r') after++;
    if (starts_word && *after == '(') {
      if (g_declared_count >= MAX_DECLARED) FAIL("more than %d declarations", MAX_DECLARED);
      g_declared[g_declared_count++] = strndup(q, (size_t)(e - q));
    }
    q = e;
  }
  bytebuf_free(&text);
  if (g_declared_count < 10)
    FAIL("found only %d functions in %s: the parser is broken", g_declared_count, path);
}

static bool declared(const char *name) {
  for (int i = 0; i < g_declared_count; i++)
    if (strcmp(g_declared[i], name) == 0) return true;
  return false;
}

static bool has_row(const char *name) {
  for (size_t i = 0; i < ROW_COUNT; i++)
    if (strcmp(rows[i].name, name) == 0) return true;
  return false;
}

/* ------------------------------------------------------------------------------------------------ */

static void make_fixtures(void) {
  bun_tcp_handlers h = counting_handlers();
  g_loop = new_loop();
  bun_tcp_listen_options lo = listen_opts();
  CHECK_OK(bun_tcp_listen(g_loop, &lo, &h, &g_listener));
  g_port = bun_tcp_listener_port(g_listener);
  bun_tcp_connect_options co = connect_opts();
  CHECK_OK(bun_tcp_connect(g_loop, &co, &h, &g_client));
  RUN_UNTIL(g_loop, g_opens == 2 && g_accepted.id != 0);

  /* a closed socket: its handle is stale once the tick ends */
  bun_tcp_socket victim;
  CHECK_OK(bun_tcp_connect(g_loop, &co, &h, &victim));
  RUN_UNTIL(g_loop, g_opens == 4);
  CHECK_OK(bun_tcp_socket_close(victim));
  RUN_UNTIL(g_loop, g_closes == 2); /* both ends */
  poll_ok(g_loop, 0);
  g_closed = victim;

  /* a stopped listener whose slot is released (no socket of it is left) */
  CHECK_OK(bun_tcp_listen(g_loop, &lo, &h, &g_stopped));
  CHECK_OK(bun_tcp_listener_stop(g_stopped, false));
  poll_ok(g_loop, 0);

  /* a freed loop with a listener and a socket; then a newer loop (maybe at the same address) */
  bun_tcp_handlers q = quiet_handlers();
  bool same = false;
  for (int attempt = 0; attempt < 200 && !same; attempt++) {
    if (g_newer_loop) bun_tcp_loop_free(g_newer_loop);
    bun_tcp_loop *d = new_loop();
    bun_tcp_listen_options dlo = listen_opts();
    dlo.data = NULL;
    CHECK_OK(bun_tcp_listen(d, &dlo, &q, &g_freed_listener));
    bun_tcp_connect_options dco = connect_opts();
    dco.port = bun_tcp_listener_port(g_freed_listener);
    dco.data = NULL;
    CHECK_OK(bun_tcp_connect(d, &dco, &q, &g_freed_socket));
    RUN_UNTIL(d, bun_tcp_socket_ready_state(g_freed_socket) == BUN_TCP_STATE_OPEN);
    g_newer_loop = free_and_replace(d, attempt, &same);
    g_freed_loop = d;
  }
  printf("    the newer loop %s the freed loop's address\n", same ? "reuses" : "does not reuse");

  /* a loop abandoned by its thread */
  pthread_t abandoning;
  CHECK(pthread_create(&abandoning, NULL, abandoning_thread, NULL) == 0);
  CHECK(pthread_join(abandoning, NULL) == 0);

  /* another thread's loop */
  CHECK(pipe(fb.ready) == 0 && pipe(fb.done) == 0);
  CHECK(pthread_create(&fb.thread, NULL, foreign_thread, NULL) == 0);
  char byte;
  CHECK(read(fb.ready[0], &byte, 1) == 1);

  g_huge_string = (char *)malloc(65537);
  memset(g_huge_string, 'a', 65536);
  g_huge_string[65536] = 0;
  g_empty_unix_path = (char *)calloc(1, 1);
  static char long_alpn[257];
  memset(long_alpn, 'p', 256);
  g_long_alpn[0] = long_alpn;
}

int main(void) {
  test_init("bad_input_table", 60);

  test_case("every function of the header has a row, every row a function");
  read_declared_functions();
  int missing = 0;
  for (int i = 0; i < g_declared_count; i++)
    if (!has_row(g_declared[i])) {
      fprintf(stderr, "  MISSING ROW: %s is declared in include/bun_tcp.h but has no row\n", g_declared[i]);
      missing++;
    }
  for (size_t i = 0; i < ROW_COUNT; i++)
    if (!declared(rows[i].name)) {
      fprintf(stderr, "  STRAY ROW: %s names no function of include/bun_tcp.h\n", rows[i].name);
      missing++;
    }
  if (missing) FAIL("%d function(s) without a row or row(s) without a function", missing);
  printf("    %d functions, %zu rows\n", g_declared_count, ROW_COUNT);

  /* descriptors the library opens once per process (none expected) are not leaks: warm up */
  bun_tcp_loop_free(new_loop());
  int fds_before = count_open_fds();

  test_case("fixtures");
  make_fixtures();

  test_case("rows");
  for (size_t i = 0; i < ROW_COUNT; i++) {
    g_row = rows[i].name;
    g_row_cases = 0;
    test_stage(g_row);
    rows[i].probe();
    if (g_row_cases == 0) case_failed(__LINE__, "table", "the probe ran no case");
  }
  g_row = "(after the rows)";

  test_case("nothing changed: the foreign loop, the live pair");
  char byte = 'd';
  CHECK(write(fb.done[1], &byte, 1) == 1);
  CHECK(pthread_join(fb.thread, NULL) == 0);
  CASE_I("the foreign loop: no handler fired", fb.calls_during_probes, 0);
  CASE_I("the foreign loop: its socket is open", fb.ready_state, BUN_TCP_STATE_OPEN);
  CASE_I("the foreign loop: its sockets", fb.socket_count, 2);
  CASE_I("the foreign loop: its listener", fb.listener_count, 1);
  CASE_I("the foreign loop: its listener's port", fb.port_after, fb.port);
  CASE_I("the foreign loop: our post ran there, once", atomic_load(&fb.posted_ran), 1);
  long before = g_calls;
  run_for(g_loop, 20);
  CASE_TRUE("no handler fired after the probes", g_calls == before);
  CASE_I("the live client is open", bun_tcp_socket_ready_state(g_client), BUN_TCP_STATE_OPEN);
  CASE_I("the live client still writes", bun_tcp_socket_write(g_client, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL_MS(g_loop, g_server_in.len >= 2, 2000);
  CASE_TRUE("the peer got exactly what was written after the probes",
            g_server_in.len == 2 && memcmp(g_server_in.ptr, "ok", 2) == 0);

  test_case("clean up; no descriptor leaked");
  if (g_kind_loop) bun_tcp_loop_free(g_kind_loop);
  if (g_tls_loop) bun_tcp_loop_free(g_tls_loop);
  if (g_tls_peer >= 0) close(g_tls_peer);
  if (bun_tcp_loop_fd(g_newer_loop) >= 0) bun_tcp_loop_free(g_newer_loop);
  bun_tcp_loop_free(g_loop);
  close(fb.ready[0]);
  close(fb.ready[1]);
  close(fb.done[0]);
  close(fb.done[1]);
  CASE_I("open descriptors after freeing every loop", count_open_fds(), fds_before);
  free(g_huge_string);
  free(g_empty_unix_path);
  bytebuf_free(&g_server_in);
  for (int i = 0; i < g_declared_count; i++) free(g_declared[i]);

  printf("    %d cases, %d wrong\n", g_cases, g_failures);
  if (g_failures) FAIL("%d of %d cases got a wrong result (listed above)", g_failures, g_cases);
  return test_pass();
}
