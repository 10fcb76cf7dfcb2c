/* the header: bun_tcp_loop_set_trace and BUN_TCP_TRACE=1: one event per handler call, with the
 * socket, the handler's name, its byte count or verdict and its error.
 *
 *   - an exchange (client open, write "hello"; the server echoes; the client ends once it has the
 *     bytes; the server has no `end` handler): the events of each socket, in order, are exactly
 *     its handler calls, and the events happen right before the handlers (the trace of a socket
 *     is never behind its handler record);
 *   - a refused connect: "connect_error" with ECONNREFUSED, syscall connect, in the text line too;
 *   - a peer reset: the server socket's "close" carries ECONNRESET, syscall read: why it closed;
 *   - a `close` the table has no handler for is still traced;
 *   - the callback turning tracing off from inside its own call: nothing traced after it;
 *   - NULL func: off; handler time is measured while tracing (bun_tcp_metrics.handler_ns > 0);
 *   - BUN_TCP_TRACE=1 at loop creation: one line per event on stderr (captured in a file); a loop
 *     created without it prints nothing; set_trace(NULL) silences the environment's tracing;
 *   - errors: NULL / freed loop BUN_TCP_EINVAL, another thread BUN_TCP_EWRONGTHREAD. */
#include "harness.h"
#include <pthread.h>

#define MAX_EVENTS 64

typedef struct seen {
  uint64_t socket;
  char handler[16];
  size_t len;
  int32_t code;
  char err_name[32];
  char syscall[16];
  char line[256];
} seen_t;

static seen_t g_events[MAX_EVENTS];
static int g_n;
static bun_tcp_loop *g_loop;
static bool g_stop_on_close; /* the callback turns tracing off at the first close */

static void on_trace(const bun_tcp_trace_event *ev, void *data) {
  CHECK(data == &g_events);
  if (g_n >= MAX_EVENTS) FAIL("too many trace events");
  seen_t *e = &g_events[g_n++];
  memset(e, 0, sizeof *e);
  e->socket = ev->socket.id;
  snprintf(e->handler, sizeof e->handler, "%s", ev->handler);
  e->len = ev->len;
  if (ev->error) {
    e->code = ev->error->code;
    snprintf(e->err_name, sizeof e->err_name, "%s", ev->error->name);
    snprintf(e->syscall, sizeof e->syscall, "%s", harness_str(ev->error->syscall));
  }
  snprintf(e->line, sizeof e->line, "%s", ev->line);
  CHECK(strchr(ev->line, '\n') == NULL);
  if (g_stop_on_close && strcmp(ev->handler, "close") == 0) CHECK_OK(bun_tcp_loop_set_trace(g_loop, NULL, NULL));
}

/* The events of one socket as "open,data:5,end,close" (errors as close:ECONNRESET). */
static void events_of(uint64_t socket, char *out, size_t cap) {
  out[0] = 0;
  size_t used = 0;
  for (int i = 0; i < g_n; i++) {
    if (g_events[i].socket != socket) continue;
    const seen_t *e = &g_events[i];
    char item[64];
    if (strcmp(e->handler, "data") == 0)
      snprintf(item, sizeof item, "data:%zu", e->len);
    else if (e->code)
      snprintf(item, sizeof item, "%s:%s", e->handler, e->err_name);
    else
      snprintf(item, sizeof item, "%s", e->handler);
    used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "," : "", item);
  }
}

#define CHECK_EVENTS(socket, expected)                                                             \
  do {                                                                                             \
    char _got[512];                                                                                \
    events_of((socket).id, _got, sizeof _got);                                                     \
    CHECK_STR(_got, expected);                                                                     \
  } while (0)

/* client: write "hello" at open, end once it is back */
static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)"hello", 5), 5);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->bytes_in == 5) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write_all(s, b, n), (int64_t)n);
}

static void *other_thread(void *arg) {
  bun_tcp_metrics m;
  CHECK_EQ(bun_tcp_loop_set_trace((bun_tcp_loop *)arg, on_trace, &g_events), BUN_TCP_EWRONGTHREAD);
  CHECK_EQ(bun_tcp_loop_metrics((bun_tcp_loop *)arg, &m), BUN_TCP_EWRONGTHREAD);
  CHECK_EQ(bun_tcp_loop_time_handlers((bun_tcp_loop *)arg, true), BUN_TCP_EWRONGTHREAD);
  return NULL;
}

static void refused_connect(bun_tcp_loop *loop, rec_t *r) {
  uint16_t port;
  int hold = raw_tcp_bound(false, &port); /* bound, not listening: connects get RST */
  bun_tcp_handlers h = rec_handlers();
  connect_rec(loop, port, r, &h, false);
  RUN_UNTIL(loop, r->n_connect_error == 1);
  close(hold);
}

static void exchange_and_errors(void) {
  test_case("an exchange, a refused connect and a reset, traced by a callback");
  g_n = 0;
  bun_tcp_loop *loop = g_loop = new_loop();
  CHECK_OK(bun_tcp_loop_set_trace(loop, on_trace, &g_events));
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.data = srv_data;
  sh.end = NULL; /* the FIN closes the server socket */
  bun_tcp_listener l = listen_srv(loop, &sv, &sh, false);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  ch.data = cli_data;
  bun_tcp_socket cs = connect_rec(loop, bun_tcp_listener_port(l), &cr, &ch, false);
  RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  CHECK_TRACE(&cr.tr, "open,data:hello,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:hello,close");
  CHECK_EVENTS(cs, "open,data:5,end,close");
  CHECK_EVENTS(sv.socks[0].s, "open,data:5,close");
  CHECK_EQ(g_n, 7);

  test_stage("refused connect");
  rec_t rr;
  rec_init(&rr);
  refused_connect(loop, &rr);
  CHECK_EVENTS(rr.s, "connect_error:ECONNREFUSED");
  const seen_t *e = &g_events[g_n - 1];
  CHECK_EQ(e->code, -ECONNREFUSED);
  CHECK_STR(e->syscall, "connect");
  char want[128];
  snprintf(want, sizeof want, "socket=0x%llx connect_error err=ECONNREFUSED", (unsigned long long)rr.s.id);
  CHECK_MSG(strstr(e->line, want) != NULL, "line \"%s\" lacks \"%s\"", e->line, want);
  CHECK_MSG(strstr(e->line, "syscall=connect") != NULL, "line \"%s\"", e->line);
  CHECK_MSG(strncmp(e->line, "bun_tcp loop=", 13) == 0, "line \"%s\"", e->line);

  test_stage("peer reset, server socket without a close handler");
  bun_tcp_handlers sh2 = rec_handlers();
  sh2.close = NULL;
  CHECK_OK(bun_tcp_listener_reload(l, &sh2));
  int before = g_n;
  int fd = raw_tcp_connect(bun_tcp_listener_port(l));
  RUN_UNTIL(loop, sv.n_accepted == 2 && sv.socks[1].n_open == 1);
  raw_reset(fd);
  RUN_UNTIL(loop, bun_tcp_socket_ready_state(sv.socks[1].s) == BUN_TCP_STATE_CLOSED);
  CHECK_EQ(sv.socks[1].n_close, 0); /* no handler ran ... */
  CHECK_EVENTS(sv.socks[1].s, "open,close:ECONNRESET"); /* ... but the trace says why it closed */
  CHECK_EQ(g_n, before + 2);
  CHECK_STR(g_events[g_n - 1].syscall, "read");
  CHECK_MSG(strstr(g_events[g_n - 1].line, " close err=ECONNRESET") != NULL, "line \"%s\"", g_events[g_n - 1].line);

  test_stage("handler time is measured while tracing");
  bun_tcp_metrics m;
  CHECK_OK(bun_tcp_loop_metrics(loop, &m));
  CHECK_CMP(m.handler_ns, >, 0);

  test_stage("the callback turns tracing off from inside its call");
  CHECK_OK(bun_tcp_listener_reload(l, &sh));
  g_stop_on_close = true;
  before = g_n;
  rec_t cr2;
  rec_init(&cr2);
  connect_rec(loop, bun_tcp_listener_port(l), &cr2, &ch, false);
  RUN_UNTIL(loop, cr2.n_close == 1 && sv.n_accepted == 3 && sv.socks[2].n_close == 1);
  /* traced up to and including the first close (the server's or the client's), nothing after */
  CHECK_STR(g_events[g_n - 1].handler, "close");
  int closes = 0;
  for (int i = before; i < g_n; i++) closes += strcmp(g_events[i].handler, "close") == 0;
  CHECK_EQ(closes, 1);
  CHECK_CMP(g_n - before, <, 7);
  g_stop_on_close = false;

  test_stage("off: nothing traced");
  before = g_n;
  rec_t rr2;
  rec_init(&rr2);
  refused_connect(loop, &rr2);
  CHECK_EQ(g_n, before);

  test_stage("errors");
  CHECK_EQ(bun_tcp_loop_set_trace(NULL, on_trace, &g_events), BUN_TCP_EINVAL);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, other_thread, loop) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  CHECK_EQ(bun_tcp_loop_set_trace(loop, on_trace, &g_events), BUN_TCP_EINVAL); /* freed */
  srv_free(&sv);
  rec_free(&cr);
  rec_free(&cr2);
}

/* Runs a refused connect on a fresh loop with stderr going to a file; returns the file's text. */
static void traced_to_stderr(bool set_env, bool silence, char *out, size_t cap) {
  char path[] = "/tmp/bun_tcp_trace_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  unlink(path);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  CHECK(dup2(fd, STDERR_FILENO) >= 0);
  if (set_env) setenv("BUN_TCP_TRACE", "1", 1);
  bun_tcp_loop *loop = new_loop();
  unsetenv("BUN_TCP_TRACE"); /* read once, at creation: the loop keeps tracing */
  if (silence) CHECK_OK(bun_tcp_loop_set_trace(loop, NULL, NULL));
  rec_t r;
  rec_init(&r);
  refused_connect(loop, &r);
  bun_tcp_loop_free(loop);
  fflush(stderr);
  CHECK(dup2(saved, STDERR_FILENO) >= 0);
  close(saved);
  ssize_t n = pread(fd, out, cap - 1, 0);
  CHECK(n >= 0);
  out[n] = 0;
  close(fd);
  rec_free(&r);
}

static void environment(void) {
  test_case("BUN_TCP_TRACE=1 prints one line per event on stderr");
  char text[4096];
  traced_to_stderr(true, false, text, sizeof text);
  printf("    stderr: %s", text);
  CHECK_MSG(strncmp(text, "bun_tcp loop=", 13) == 0, "stderr \"%s\"", text);
  CHECK_MSG(strstr(text, " connect_error err=ECONNREFUSED code=-111 syscall=connect ") != NULL, "stderr \"%s\"", text);
  int lines = 0;
  for (const char *p = text; *p; p++) lines += *p == '\n';
  CHECK_EQ(lines, 1);
  CHECK_EQ(text[strlen(text) - 1], '\n');

  test_case("without the variable, or after set_trace(NULL): nothing on stderr");
  traced_to_stderr(false, false, text, sizeof text);
  CHECK_STR(text, "");
  traced_to_stderr(true, true, text, sizeof text);
  CHECK_STR(text, "");
}

int main(void) {
  test_init("test_loop_trace", 60);
  unsetenv("BUN_TCP_TRACE");
  exchange_and_errors();
  environment();
  return test_pass();
}
