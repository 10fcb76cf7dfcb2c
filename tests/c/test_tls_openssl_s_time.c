/* SPEC 8.5 (issue 15): `openssl s_time` against a bun_tcp TLS server (skipped, exit 77, without
 * the openssl CLI). s_time connects again and again for one second; with -reuse it makes one
 * connection to get a session and then offers that session on every later one, with -new it never
 * offers one. The server (in this process, on this loop) counts its completed handshakes and how
 * many resumed (bun_tcp_socket_session_reused in `handshake`), and answers the "-www /" request
 * with a short HTTP response and end.
 *
 *   - -reuse -www /, TLS 1.2 and TLS 1.3: s_time reports N timed connections (N >= 1) and prints
 *     N 'r' (reused) marks; the server saw N + 1 handshakes: the first full, the N others resumed.
 *   - -new -www /, TLS 1.2 and TLS 1.3: the server saw N handshakes, none resumed; s_time printed
 *     no 'r'.
 *   - -reuse without -www, TLS 1.2: every connection after the first resumes as well (TLS 1.2
 *     settles the session in the handshake).
 *   - -reuse without -www, TLS 1.3: nothing resumes, by s_time's doing: it never reads from the
 *     connection, so the session tickets bun_tcp sends after the handshake (TLS 1.3 has no other
 *     way to resume) never reach it, and its session has nothing to offer. The server sees N + 1
 *     handshakes at most, none resumed (s_time closes with the tickets unread, so the server may
 *     get a reset; a handshake whose Finished it beat fails with ECONNRESET, and is allowed here).
 * Each case prints its connection rate (s_time's connections over the wall time from its start to
 * its exit, and s_time's own connections per user-CPU second) for the record; nothing asserts on
 * speed. */
#include "harness.h"
#include <sys/wait.h>

#define RESPONSE "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"

static char g_dir[PATH_MAX + 64];

/* ---- the server ---------------------------------------------------------------------------- */
typedef struct conn {
  char tail[4]; /* the last bytes seen, to find the request's "\r\n\r\n" across reads */
  bool answered;
} conn;

static struct {
  int open, handshakes, reused, failed, errors;
  int first_full; /* index (from 0) of the first full handshake, -1: none yet */
  int fulls;
} g;

static void srv_open(bun_tcp_socket s, void *d) {
  conn *c = calloc(1, sizeof *c);
  CHECK(c != NULL);
  CHECK_OK(bun_tcp_socket_set_data(s, c));
  g.open++;
}

static void srv_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  if (!ok) {
    g.failed++;
    return;
  }
  CHECK(e == NULL);
  if (bun_tcp_socket_session_reused(s)) {
    g.reused++;
  } else {
    if (g.first_full < 0) g.first_full = g.handshakes;
    g.fulls++;
  }
  g.handshakes++;
}

static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  conn *c = d;
  if (c->answered) return;
  /* "GET / HTTP/1.0\r\n\r\n": answer at the blank line */
  for (size_t i = 0; i < n; i++) {
    memmove(c->tail, c->tail + 1, 3);
    c->tail[3] = (char)b[i];
    if (memcmp(c->tail, "\r\n\r\n", 4) == 0) {
      c->answered = true;
      CHECK_EQ(bun_tcp_socket_end(s, (const uint8_t *)RESPONSE, strlen(RESPONSE)), (long long)strlen(RESPONSE));
      return;
    }
  }
}

/* s_time closes without close_notify (and, without -www, with unread tickets: a reset) */
static void srv_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { g.errors++; }

static void srv_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  free(d);
  g.open--;
}

/* ---- s_time ------------------------------------------------------------------------------- */
static bool child_exited(pid_t pid, int *status) { return waitpid(pid, status, WNOHANG) == pid; }

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  CHECK(f != NULL);
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

/* What s_time printed: a header, a line of marks (one per timed connection: '*' full, 'r'
 * reused), a blank line, then "N connections in 1.02s; 1234.56 connections/user sec, bytes read M" */
typedef struct s_time_out {
  int connections;
  double per_user_sec;
  int marks_reused, marks_full;
} s_time_out;

static s_time_out parse_s_time(const char *text) {
  s_time_out o = {0};
  const char *line = strstr(text, " connections in ");
  CHECK_MSG(line != NULL, "no \"connections in\" line in s_time's output:\n%s", text);
  while (line > text && line[-1] != '\n') line--;
  CHECK_MSG(sscanf(line, "%d connections in %*fs; %lf connections/user sec", &o.connections, &o.per_user_sec) == 2,
            "unexpected s_time summary: %.120s", line);
  const char *end = line;
  while (end > text && end[-1] == '\n') end--;
  const char *marks = end;
  while (marks > text && marks[-1] != '\n') marks--;
  for (const char *p = marks; p < end; p++) {
    CHECK_MSG(*p == 'r' || *p == '*', "not a line of marks: %.*s", (int)(end - marks), marks);
    if (*p == 'r') o.marks_reused++;
    else o.marks_full++;
  }
  return o;
}

/* Runs `openssl s_time -connect 127.0.0.1:PORT <version> <mode> -time 1 [-www /]` against a fresh
 * bun_tcp server until it exits and the server has closed every connection. */
static s_time_out run_s_time(const char *version_flag, const char *mode_flag, bool www) {
  memset(&g, 0, sizeof g);
  g.first_full = -1;
  bun_tcp_loop *loop = new_loop();
  tls_cfg server;
  tls_cfg_server(&server);
  bun_tcp_handlers h = {0};
  h.open = srv_open;
  h.handshake = srv_handshake;
  h.data = srv_data;
  h.error = srv_error;
  h.close = srv_close;
  bun_tcp_listen_options lo = {0};
  lo.hostname = "127.0.0.1";
  lo.tls = &server.o;
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen(loop, &lo, &h, &l));
  char connect[64], out[PATH_MAX + 96];
  snprintf(connect, sizeof connect, "127.0.0.1:%u", (unsigned)bun_tcp_listener_port(l));
  snprintf(out, sizeof out, "%s/s_time.txt", g_dir);
  char *argv[] = {"openssl", "s_time", "-connect", connect, (char *)version_flag, (char *)mode_flag,
                  "-time", "1", "-CAfile", (char *)tls_path("ca.crt"), www ? "-www" : NULL, "/", NULL};
  double started = now_ms();
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    setenv("OPENSSL_CONF", "/dev/null", 1);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  RUN_UNTIL(loop, child_exited(pid, &status)); /* s_time stops after about a second */
  double wall_s = (now_ms() - started) / 1000.0;
  RUN_UNTIL(loop, g.open == 0);
  char *text = slurp(out);
  CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "s_time failed:\n%s", text);
  s_time_out o = parse_s_time(text);
  free(text);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  CHECK_CMP(o.connections, >=, 1);
  printf("    s_time %s %s%s: %d connections in %.2f s wall (%.0f/s; s_time says %.0f per user-CPU s); "
         "server: %d handshakes, %d resumed, %d failed, %d error handler calls\n",
         version_flag, mode_flag, www ? " -www /" : "", o.connections, wall_s, o.connections / wall_s,
         o.per_user_sec, g.handshakes, g.reused, g.failed, g.errors);
  return o;
}

/* -reuse: one full handshake for the session, then every timed connection resumed */
static void reuse_case(const char *version_flag, bool www) {
  char name[96];
  snprintf(name, sizeof name, "s_time %s -reuse%s: every connection after the first resumed", version_flag,
           www ? " -www /" : "");
  test_case(name);
  s_time_out o = run_s_time(version_flag, "-reuse", www);
  CHECK_EQ(g.failed, 0);
  CHECK_EQ(g.handshakes, o.connections + 1);
  CHECK_EQ(g.first_full, 0);
  CHECK_EQ(g.fulls, 1);
  CHECK_EQ(g.reused, o.connections);
  CHECK_EQ(o.marks_reused, o.connections);
  CHECK_EQ(o.marks_full, 0);
}

/* -new: no session offered, nothing resumed */
static void new_case(const char *version_flag) {
  char name[96];
  snprintf(name, sizeof name, "s_time %s -new -www /: no connection resumed", version_flag);
  test_case(name);
  s_time_out o = run_s_time(version_flag, "-new", true);
  CHECK_EQ(g.failed, 0);
  CHECK_EQ(g.handshakes, o.connections);
  CHECK_EQ(g.reused, 0);
  CHECK_EQ(o.marks_reused, 0);
  CHECK_EQ(o.marks_full, o.connections);
}

/* TLS 1.3 -reuse without -www: s_time never reads, so it never gets a ticket: nothing resumes */
static void tls13_reuse_no_read_case(void) {
  test_case("s_time -tls1_3 -reuse without -www: s_time reads no ticket, nothing resumed");
  s_time_out o = run_s_time("-tls1_3", "-reuse", false);
  CHECK_EQ(g.reused, 0);
  CHECK_CMP(g.handshakes, >=, 1);
  /* a reset (s_time closes with the tickets unread) may beat its Finished: a failed handshake */
  CHECK_CMP(g.handshakes + g.failed, <=, o.connections + 1);
  CHECK_EQ(o.marks_reused, 0);
  CHECK_EQ(o.marks_full, o.connections);
}

int main(void) {
  test_init("test_tls_openssl_s_time", 50);
  if (system("openssl version > /dev/null 2>&1") != 0) {
    printf("SKIP: no openssl CLI\n");
    return 77;
  }
  snprintf(g_dir, sizeof g_dir, "%s/openssl-s_time-%d", tls_fixture_dir(), (int)getpid());
  mkdir(g_dir, 0700);
  reuse_case("-tls1_2", true);
  reuse_case("-tls1_3", true);
  new_case("-tls1_2");
  new_case("-tls1_3");
  reuse_case("-tls1_2", false);
  tls13_reuse_no_read_case();
  char cmd[sizeof g_dir + 32];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  CHECK(system(cmd) == 0);
  tls_fixtures_free();
  return test_pass();
}
