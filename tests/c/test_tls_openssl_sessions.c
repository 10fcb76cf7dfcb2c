/* SPEC 8.5 (issue 15) against the openssl CLI on the other end (skipped, exit 77, without it):
 * resumption both ways, keying material byte for byte, key log lines equal to openssl's.
 *
 *   - openssl s_client -> bun_tcp server, TLS 1.2 and TLS 1.3: a first s_client with -sess_out
 *     prints "New, TLSv1.x", a second with -sess_in prints "Reused, TLSv1.x"; the server's
 *     bun_tcp_socket_session_reused is false then true. Both s_clients run -keymatexport
 *     EXPERIMENTAL-bun-tcp -keymatexportlen 32: the server's bun_tcp_socket_export_keying_material
 *     (same label, NULL context, 32 bytes) is the same bytes. s_client's -keylogfile line
 *     (CLIENT_TRAFFIC_SECRET_0 for TLS 1.3, CLIENT_RANDOM for TLS 1.2) is also in the server's
 *     keylog_file, which holds it before the server's handshake handler runs.
 *   - bun_tcp client -> openssl s_server, TLS 1.2 and TLS 1.3: two connects with equal options;
 *     session_reused false then true on the client; its keying material equals what s_server
 *     prints for the same connection; its keylog_file line equals s_server's -keylogfile line.
 *   - the exporter's context: NULL (none) and an empty context differ in TLS 1.2 (RFC 5705) and
 *     agree in TLS 1.3 (RFC 8446 §7.5); a non-empty context changes the output.
 */
#include "harness.h"
#include <ctype.h>
#include <sys/wait.h>

#define LABEL "EXPERIMENTAL-bun-tcp"
#define KM_LEN 32

static char g_dir[PATH_MAX + 64];

static const char *tmp_path(const char *name) {
  static char bufs[8][PATH_MAX + 96];
  static unsigned next;
  char *b = bufs[next++ % 8];
  snprintf(b, sizeof bufs[0], "%s/%s", g_dir, name);
  return b;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return strdup("");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  CHECK(s != NULL);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = 0;
  fclose(f);
  return s;
}

/* ---- a child process: openssl with stdin from a pipe we hold, output to a file ---------------- */
typedef struct child {
  pid_t pid;
  int stdin_w; /* closed when stdin_text was written (s_client), kept open for s_server */
  int status;
  bool done;
} child_t;

static child_t spawn(char *const argv[], const char *stdin_text, const char *out_path) {
  int p[2];
  CHECK(pipe(p) == 0);
  child_t c = {0};
  c.pid = fork();
  CHECK(c.pid >= 0);
  if (c.pid == 0) {
    dup2(p[0], 0);
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    close(p[0]);
    close(p[1]);
    setenv("OPENSSL_CONF", "/dev/null", 1);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(p[0]);
  c.stdin_w = p[1];
  if (stdin_text) {
    size_t n = strlen(stdin_text);
    CHECK((size_t)write(c.stdin_w, stdin_text, n) == n);
    close(c.stdin_w);
    c.stdin_w = -1;
  }
  return c;
}

static bool child_exited(child_t *c) {
  if (c->done) return true;
  if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) c->done = true;
  return c->done;
}

static void child_kill(child_t *c) {
  if (!c->done) {
    kill(c->pid, SIGTERM);
    waitpid(c->pid, &c->status, 0);
    c->done = true;
  }
  if (c->stdin_w >= 0) close(c->stdin_w);
  c->stdin_w = -1;
}

/* how many times `needle` occurs in the file */
static int file_count(const char *path, const char *needle) {
  char *text = slurp(path);
  int n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  free(text);
  return n;
}

/* "Keying material: 3F2A..." -> lower-case hex (the n-th occurrence, from 0) */
static bool openssl_keymat(const char *out, int nth, char hex[2 * KM_LEN + 1]) {
  const char *p = out;
  for (int i = 0; i <= nth; i++) {
    p = strstr(p, "Keying material: ");
    if (!p) return false;
    p += strlen("Keying material: ");
  }
  for (int i = 0; i < 2 * KM_LEN; i++) hex[i] = (char)tolower((unsigned char)p[i]);
  hex[2 * KM_LEN] = 0;
  return true;
}

static void to_hex(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Every line of `theirs` starting with `label` is a line of `ours`; returns how many there were. */
static int keylog_lines_shared(const char *theirs_path, const char *ours_path, const char *label) {
  char *theirs = slurp(theirs_path), *ours = slurp(ours_path);
  int n = 0;
  for (char *line = strtok(theirs, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, label, strlen(label)) != 0 || line[strlen(label)] != ' ') continue;
    CHECK_MSG(strstr(ours, line) != NULL, "openssl's key log line is not in ours:\n  %s\nours:\n%s", line, ours);
    n++;
  }
  free(theirs);
  free(ours);
  return n;
}

/* ---- openssl s_client -> bun_tcp server ---------------------------------------------------- */
static char g_srv_km[4][2 * KM_LEN + 1];
static bool g_srv_reused[4];
static int g_srv_seen;
static const char *g_srv_keylog, *g_label_line;
static int g_srv_handshakes;

static void srv_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  g_srv_handshakes++;
  char *log = slurp(g_srv_keylog);
  int n = 0;
  for (char *p = log; (p = strstr(p, g_label_line)) != NULL; p++) n++;
  free(log);
  CHECK_MSG(n == g_srv_handshakes, "%d %s lines in the key log before handshake %d", n, g_label_line,
            g_srv_handshakes);
}

static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  if (r->in.len < 5) return; /* "ping\n" */
  int i = g_srv_seen++;
  CHECK_CMP(i, <, 4);
  uint8_t km[KM_LEN];
  CHECK_OK(bun_tcp_socket_export_keying_material(s, km, sizeof km, LABEL, NULL, 0));
  to_hex(km, sizeof km, g_srv_km[i]);
  g_srv_reused[i] = bun_tcp_socket_session_reused(s);
  CHECK_EQ(bun_tcp_socket_end(s, r->in.ptr, r->in.len), (long long)r->in.len);
}

static void s_client_case(const char *version_flag, const char *version_name, const char *label_line) {
  char name[128];
  snprintf(name, sizeof name, "openssl s_client %s -sess_out, then -sess_in -> bun_tcp server", version_flag);
  test_case(name);
  g_srv_seen = 0;
  g_srv_handshakes = 0;
  g_label_line = label_line;
  g_srv_keylog = tmp_path("server-keylog.txt");
  unlink(g_srv_keylog);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  tls_cfg server;
  tls_cfg_server(&server);
  server.o.keylog_file = g_srv_keylog;
  bun_tcp_handlers sh = rec_handlers();
  sh.handshake = srv_handshake;
  sh.data = srv_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  char connect[64];
  snprintf(connect, sizeof connect, "127.0.0.1:%u", (unsigned)bun_tcp_listener_port(l));
  const char *sess = tmp_path("session.pem");
  unlink(sess);
  for (int round = 0; round < 2; round++) {
    const char *out = tmp_path(round == 0 ? "s_client-1.txt" : "s_client-2.txt");
    const char *klog = tmp_path(round == 0 ? "s_client-keylog-1.txt" : "s_client-keylog-2.txt");
    unlink(klog);
    char *argv[] = {"openssl", "s_client", "-connect", connect, (char *)version_flag, "-CAfile",
                    (char *)tls_path("ca.crt"), "-servername", "localhost", "-ign_eof", "-keylogfile",
                    (char *)klog, "-keymatexport", LABEL, "-keymatexportlen", "32",
                    round == 0 ? "-sess_out" : "-sess_in", (char *)sess, NULL};
    child_t c = spawn(argv, "ping\n", out);
    RUN_UNTIL(loop, child_exited(&c));
    char *text = slurp(out);
    CHECK_MSG(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0, "s_client failed:\n%s", text);
    char want[64];
    snprintf(want, sizeof want, "%s, %s, Cipher is", round == 0 ? "New" : "Reused", version_name);
    CHECK_MSG(strstr(text, want) != NULL, "s_client does not say \"%s\":\n%s", want, text);
    CHECK_EQ(g_srv_seen, round + 1);
    CHECK_EQ(g_srv_reused[round], round == 1);
    char theirs[2 * KM_LEN + 1];
    CHECK_MSG(openssl_keymat(text, 0, theirs), "no keying material in s_client's output:\n%s", text);
    CHECK_STR(g_srv_km[round], theirs);
    CHECK_CMP(keylog_lines_shared(klog, g_srv_keylog, label_line), ==, 1);
    free(text);
  }
  RUN_UNTIL(loop, sv.n_accepted == 2 && sv.socks[0].n_close == 1 && sv.socks[1].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
}

/* ---- bun_tcp client -> openssl s_server ---------------------------------------------------- */
typedef struct cli_state {
  bool reused;
  char km[2 * KM_LEN + 1];
  bool tls12;
} cli_state;
static cli_state g_cli[2];
static int g_cli_i;

static void cli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  cli_state *st = &g_cli[g_cli_i];
  st->reused = bun_tcp_socket_session_reused(s);
  uint8_t km[KM_LEN], none[KM_LEN], empty[KM_LEN], ctx[KM_LEN];
  CHECK_OK(bun_tcp_socket_export_keying_material(s, km, sizeof km, LABEL, NULL, 0));
  to_hex(km, sizeof km, st->km);
  CHECK_OK(bun_tcp_socket_export_keying_material(s, none, sizeof none, "another label", NULL, 0));
  CHECK_OK(bun_tcp_socket_export_keying_material(s, empty, sizeof empty, "another label", (const uint8_t *)"", 0));
  CHECK_OK(bun_tcp_socket_export_keying_material(s, ctx, sizeof ctx, "another label", (const uint8_t *)"c", 1));
  CHECK(memcmp(none, km, KM_LEN) != 0); /* the label counts */
  if (st->tls12)
    CHECK_MSG(memcmp(none, empty, KM_LEN) != 0, "TLS 1.2: no context must differ from an empty one");
  else
    CHECK_MSG(memcmp(none, empty, KM_LEN) == 0, "TLS 1.3: no context is the empty context");
  CHECK(memcmp(empty, ctx, KM_LEN) != 0);
  CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void s_server_case(const char *version_flag, bool tls12, const char *label_line) {
  char name[128];
  snprintf(name, sizeof name, "bun_tcp client -> openssl s_server %s: full, then resumed", version_flag);
  test_case(name);
  const char *out = tmp_path("s_server.txt");
  const char *klog = tmp_path("s_server-keylog.txt");
  const char *ours = tmp_path("client-keylog.txt");
  bun_tcp_loop *loop = new_loop();
  uint16_t port = 0;
  child_t srv;
  /* s_server gets a port that was free a moment ago; another process may take it first, so a
   * failed start is retried on another port */
  for (int attempt = 0;; attempt++) {
    int probe = raw_tcp_bound(false, &port);
    close(probe);
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    unlink(out); /* else the last run's "ACCEPT" could be read before the child truncates it */
    unlink(klog);
    unlink(ours);
    /* line-buffered output: "ACCEPT" and each connection's lines reach the file at once */
    char *argv[] = {"stdbuf", "-oL", "-eL", "openssl", "s_server", "-accept", port_s, "-4", (char *)version_flag,
                    "-cert", (char *)tls_path("server.crt"), "-key", (char *)tls_path("server.key"),
                    "-keylogfile", (char *)klog, "-keymatexport", LABEL, "-keymatexportlen", "32", NULL};
    srv = spawn(argv, NULL, out);
    RUN_UNTIL(loop, file_count(out, "ACCEPT") > 0 || child_exited(&srv));
    if (!srv.done) break;
    char *text = slurp(out);
    CHECK_MSG(attempt < 3, "s_server exited:\n%s", text);
    free(text);
    close(srv.stdin_w);
  }
  char *text = NULL;
  bun_tcp_handlers ch = rec_handlers();
  ch.handshake = cli_handshake;
  memset(g_cli, 0, sizeof g_cli);
  for (g_cli_i = 0; g_cli_i < 2; g_cli_i++) {
    g_cli[g_cli_i].tls12 = tls12;
    tls_cfg client;
    tls_cfg_client(&client);
    client.o.server_name = "localhost";
    client.o.keylog_file = ours;
    rec_t cr;
    rec_init(&cr);
    connect_tls_rec(loop, NULL, port, &cr, &ch, &client.o);
    RUN_UNTIL(loop, cr.n_close == 1 || cr.n_connect_error == 1);
    CHECK_TRACE(&cr.tr, "open,handshake:ok,end,close");
    rec_free(&cr);
  }
  /* s_server prints each connection's keying material once that connection is set up */
  RUN_UNTIL(loop, file_count(out, "Keying material: ") == 2);
  child_kill(&srv);
  text = slurp(out);
  CHECK(!g_cli[0].reused);
  CHECK(g_cli[1].reused);
  for (int i = 0; i < 2; i++) {
    char theirs[2 * KM_LEN + 1];
    CHECK_MSG(openssl_keymat(text, i, theirs), "no keying material %d in s_server's output:\n%s", i, text);
    CHECK_STR(g_cli[i].km, theirs);
  }
  free(text);
  CHECK_CMP(keylog_lines_shared(klog, ours, label_line), ==, 2);
  bun_tcp_loop_free(loop);
}

int main(void) {
  if (system("openssl version > /dev/null 2>&1") != 0) {
    printf("SKIP: no openssl CLI\n");
    return 77;
  }
  snprintf(g_dir, sizeof g_dir, "%s/openssl-sessions-%d", tls_fixture_dir(), (int)getpid());
  mkdir(g_dir, 0700);
  s_client_case("-tls1_3", "TLSv1.3", "CLIENT_TRAFFIC_SECRET_0");
  s_client_case("-tls1_2", "TLSv1.2", "CLIENT_RANDOM");
  s_server_case("-tls1_3", false, "CLIENT_TRAFFIC_SECRET_0");
  s_server_case("-tls1_2", true, "CLIENT_RANDOM");
  char cmd[sizeof g_dir + 32];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  CHECK(system(cmd) == 0);
  tls_fixtures_free();
  printf("ok\n");
  return 0;
}
