/* SPEC 8.5 (issue 15): session resumption between a bun_tcp client and a bun_tcp server, and the
 * key log written before the handshake handler runs.
 *
 * Each case: one loop, one TLS listener (echo), three client connects one after the other with
 * equal TLS options (the second and third from a fresh copy of every PEM buffer: equal content,
 * other pointers). Every connect writes "ping", gets it back, ends; both sides trace
 *   "open,reused:no|yes,handshake:ok,data:ping,...,close"
 * where "reused" is bun_tcp_socket_session_reused inside `handshake` (it is false in `open`,
 * during the handshake, and after close: stale handle).
 *   - TLS 1.3 (default versions): the first handshake is full, the next two resumed, on both ends;
 *   - TLS 1.2 (the client's max_version): the same;
 *   - disable_session_resumption on the client, then on the server: every handshake full;
 *   - a second loop with the same options starts with its own cache: its first handshake is full.
 * Key log: client and server each log to their own file (keylog_file); inside `handshake` the
 * handler reads its file and finds one CLIENT_TRAFFIC_SECRET_0 line (TLS 1.3) or CLIENT_RANDOM line
 * (TLS 1.2) per handshake so far, this one included: the lines are written before the handler.
 * The client's and the server's lines are the same (same secrets on both ends).
 * allow_unauthorized against an untrusted server: the resumed handshake reports the same verdict
 * (UNABLE_TO_VERIFY_LEAF_SIGNATURE, authorized false) as the full one.
 * A keylog_file that cannot be opened (a directory: -EISDIR; a missing directory: -ENOENT) fails
 * listen and connect at the call; nothing is created and nothing fires. */
#include "harness.h"

#define CONNECTS 3

static const char *g_keylog_label; /* the line counted per handshake */
static char g_cli_log[PATH_MAX + 64], g_srv_log[PATH_MAX + 64];
static bool g_logging;
static int g_cli_handshakes, g_srv_handshakes;

static int count_lines(const char *path, const char *label) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[1024];
  int n = 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, label, strlen(label)) == 0 && line[strlen(label)] == ' ') n++;
  fclose(f);
  return n;
}

static void on_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK(!bun_tcp_socket_session_reused(s)); /* handshake still running */
}

static void on_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_t *r = rec_of(s, d, false);
  bool is_server = r->server != NULL;
  trace_add(&r->tr, "reused:%s", bun_tcp_socket_session_reused(s) ? "yes" : "no");
  rec_on_handshake(s, d, ok, e);
  int *count = is_server ? &g_srv_handshakes : &g_cli_handshakes;
  (*count)++;
  if (g_logging) {
    const char *path = is_server ? g_srv_log : g_cli_log;
    CHECK_MSG(count_lines(path, g_keylog_label) == *count, "%s: %d %s lines before handshake %d",
              is_server ? "server" : "client", count_lines(path, g_keylog_label), g_keylog_label, *count);
  }
  if (!is_server) CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"ping", 4), 4);
}

static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->in.len == 4) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

/* a deep copy of a PEM item: same bytes, another pointer */
static bun_tcp_bytes copy_bytes(bun_tcp_bytes b) {
  uint8_t *p = malloc(b.len);
  CHECK(p != NULL);
  memcpy(p, b.ptr, b.len);
  return (bun_tcp_bytes){p, b.len};
}

static const char *expect_trace(bool reused) {
  return reused ? "open,reused:yes,handshake:ok,data:ping,end,close"
                : "open,reused:no,handshake:ok,data:ping,end,close";
}

/* Runs CONNECTS connects on a fresh loop; want_reused[i]: whether connect i resumes. */
static void run_case(const char *name, uint16_t client_max, bool client_disable, bool server_disable,
                     bool logging, const bool want_reused[CONNECTS]) {
  test_case(name);
  g_cli_handshakes = g_srv_handshakes = 0;
  g_logging = logging;
  g_keylog_label = client_max == BUN_TCP_TLS1_2 ? "CLIENT_RANDOM" : "CLIENT_TRAFFIC_SECRET_0";
  snprintf(g_cli_log, sizeof g_cli_log, "%s/keylog-client-%d.txt", tls_fixture_dir(), (int)getpid());
  snprintf(g_srv_log, sizeof g_srv_log, "%s/keylog-server-%d.txt", tls_fixture_dir(), (int)getpid());
  unlink(g_cli_log);
  unlink(g_srv_log);

  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  tls_cfg server;
  tls_cfg_server(&server);
  server.o.disable_session_resumption = server_disable;
  if (logging) server.o.keylog_file = g_srv_log;
  bun_tcp_handlers sh = rec_handlers();
  sh.open = on_open;
  sh.handshake = on_handshake;
  sh.data = srv_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);

  bun_tcp_handlers ch = rec_handlers();
  ch.open = on_open;
  ch.handshake = on_handshake;
  ch.data = cli_data;
  rec_t cr[CONNECTS];
  for (int i = 0; i < CONNECTS; i++) {
    tls_cfg client;
    tls_cfg_client(&client);
    if (i > 0) client.ca[0] = copy_bytes(client.ca[0]);
    client.o.max_version = client_max;
    client.o.disable_session_resumption = client_disable;
    if (logging) client.o.keylog_file = g_cli_log;
    rec_init(&cr[i]);
    bun_tcp_socket c = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr[i], &ch, &client.o);
    CHECK(!bun_tcp_socket_session_reused(c)); /* connecting */
    RUN_UNTIL(loop, cr[i].n_close == 1 && sv.n_accepted == i + 1 && sv.socks[i].n_close == 1);
    CHECK(!bun_tcp_socket_session_reused(c)); /* stale */
    if (i > 0) free((void *)client.ca[0].ptr);
    CHECK_TRACE(&cr[i].tr, expect_trace(want_reused[i]));
    CHECK_TRACE(&sv.socks[i].tr, expect_trace(want_reused[i]));
    check_closed_once(&cr[i], "client");
    check_closed_once(&sv.socks[i], "server");
  }
  CHECK_EQ(g_cli_handshakes, CONNECTS);
  CHECK_EQ(g_srv_handshakes, CONNECTS);
  if (logging) {
    /* both ends derived the same secrets: every client line is also a server line */
    FILE *f = fopen(g_cli_log, "r");
    CHECK(f != NULL);
    char line[1024];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
      line[strcspn(line, "\n")] = 0;
      char *label_end = strchr(line, ' ');
      CHECK(label_end != NULL);
      *label_end = 0;
      FILE *g = fopen(g_srv_log, "r");
      CHECK(g != NULL);
      char other[1024];
      bool found = false;
      *label_end = ' ';
      while (!found && fgets(other, sizeof other, g)) {
        other[strcspn(other, "\n")] = 0;
        found = strcmp(other, line) == 0;
      }
      fclose(g);
      CHECK_MSG(found, "client key log line not in the server's: %s", line);
      lines++;
    }
    fclose(f);
    CHECK_CMP(lines, >=, CONNECTS);
    unlink(g_cli_log);
    unlink(g_srv_log);
  }
  CHECK_OK(bun_tcp_listener_stop(l, true));
  run_for(loop, 20);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  for (int i = 0; i < CONNECTS; i++) rec_free(&cr[i]);
}

/* allow_unauthorized against a server the client does not trust: the resumed handshake reports the
 * same verdict as the full one (the chain comes from the session), authorized false both times */
static void verdict_survives_resumption(void) {
  test_case("allow_unauthorized: a resumed handshake keeps the verdict");
  g_logging = false;
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  tls_cfg server;
  tls_cfg_init(&server);
  tls_cfg_chain(&server, "rogue.crt", "rogue.key");
  bun_tcp_handlers sh = rec_handlers();
  sh.open = on_open;
  sh.handshake = on_handshake;
  sh.data = srv_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = on_open;
  ch.handshake = on_handshake;
  ch.data = cli_data;
  for (int i = 0; i < 2; i++) {
    tls_cfg client;
    tls_cfg_client(&client);
    client.o.allow_unauthorized = true;
    rec_t cr;
    rec_init(&cr);
    connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &ch, &client.o);
    RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == i + 1 && sv.socks[i].n_close == 1);
    CHECK_TRACE(&cr.tr, i == 0 ? "open,reused:no,handshake:ok:UNABLE_TO_VERIFY_LEAF_SIGNATURE,data:ping,end,close"
                               : "open,reused:yes,handshake:ok:UNABLE_TO_VERIFY_LEAF_SIGNATURE,data:ping,end,close");
    CHECK(!cr.hs_authorized);
    rec_free(&cr);
  }
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
}

/* a keylog_file that cannot be opened fails listen and connect at the call, fires nothing */
static void keylog_file_refused(void) {
  test_case("keylog_file a directory or in a missing directory: listen and connect fail");
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers h = rec_tls_handlers();
  const char *bad[] = {"/", "/nonexistent/bun_tcp/keys.txt"};
  int32_t want[] = {-EISDIR, -ENOENT};
  for (int i = 0; i < 2; i++) {
    tls_cfg server;
    tls_cfg_server(&server);
    server.o.keylog_file = bad[i];
    bun_tcp_listen_options lo;
    memset(&lo, 0, sizeof lo);
    lo.hostname = "127.0.0.1";
    lo.tls = &server.o;
    bun_tcp_listener l = {0};
    CHECK_RC(bun_tcp_listen(loop, &lo, &h, &l), want[i]);
    CHECK_EQ(l.id, 0);
    tls_cfg client;
    tls_cfg_client(&client);
    client.o.keylog_file = bad[i];
    bun_tcp_connect_options co;
    memset(&co, 0, sizeof co);
    co.hostname = "127.0.0.1";
    co.port = 9;
    co.tls = &client.o;
    rec_t r;
    rec_init(&r);
    co.data = &r;
    bun_tcp_socket s = {0};
    CHECK_RC(bun_tcp_connect(loop, &co, &h, &s), want[i]);
    CHECK_EQ(s.id, 0);
  }
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  bun_tcp_loop_free(loop);
}

int main(void) {
  keylog_file_refused();
  verdict_survives_resumption();
  static const bool full_then_resumed[CONNECTS] = {false, true, true};
  static const bool always_full[CONNECTS] = {false, false, false};
  run_case("TLS 1.3: full, then resumed on both ends", 0, false, false, true, full_then_resumed);
  run_case("TLS 1.3 again on a new loop: the first handshake is full again", 0, false, false, false,
           full_then_resumed);
  run_case("TLS 1.2: full, then resumed on both ends", BUN_TCP_TLS1_2, false, false, true, full_then_resumed);
  run_case("TLS 1.3, disable_session_resumption on the client", 0, true, false, false, always_full);
  run_case("TLS 1.3, disable_session_resumption on the server", 0, false, true, false, always_full);
  run_case("TLS 1.2, disable_session_resumption on the client", BUN_TCP_TLS1_2, true, false, false,
           always_full);
  run_case("TLS 1.2, disable_session_resumption on the server", BUN_TCP_TLS1_2, false, true, false,
           always_full);
  tls_fixtures_free();
  printf("ok\n");
  return 0;
}
