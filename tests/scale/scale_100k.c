/* scale_100k: N concurrent loopback connections (default 100,000), all open at once, each echoing
 * one message, then all closed. Run it with scripts/scale.sh; ctest runs a 2,000-connection smoke.
 *
 *   usage: scale_100k [-n connections] [-s server_loops] [-c client_loops] [-d destinations]
 *                     [-b message_bytes] [-t phase_timeout_s]
 *
 * Layout: server processes, each with `-s` loops on as many threads, all listening on 0.0.0.0:PORT
 * with reuse_port (the kernel spreads connections over every listener of every process); client
 * processes, each with `-c` loops on threads, connecting to 127.0.0.1 .. 127.0.0.D: on Linux all
 * of 127.0.0.0/8 is local, so D destination addresses give D * (ephemeral port range) distinct
 * 4-tuples (bun_tcp_connect_options has no local-address field to vary the source instead).
 * Processes, not one, because each holds at most RLIMIT_NOFILE fds: the soft limit is raised to
 * the hard one (and the hard one to fs.nr_open when permitted), and the connections are split so
 * that no process needs more fds than that.
 *
 * The coordinator (this process, no loops, no threads) forks the others and drives the phases over
 * pipes: "connect" (every client opens its share, at most WINDOW connects in flight per loop),
 * "echo" (every connection sends its message; the server echoes; each byte is checked), "stats"
 * (servers report open sockets, RSS and fds while every connection is still open), "close" (every
 * client ends; the server closes on FIN), then "stop"/"quit". A child's loops are only touched on
 * their own threads: the child's main thread reads commands and posts them with
 * bun_tcp_loop_post. Any error ends the run with exit 1; every phase has a deadline. */
#define _GNU_SOURCE 1
#include <bun_tcp.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WINDOW 256         /* connects in flight per client loop */
#define FD_RESERVE 64      /* fds a child needs besides its sockets (stdio, pipes, epoll, ...) */
#define SERVER_SLACK 1.15  /* the kernel's spread over listeners is even only on average */
#define MAX_CHILDREN 256

/* ------------------------------------------------------------------------------------------------ */
/* shared helpers                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

typedef struct config {
  long connections;
  int server_loops, client_loops, destinations, message_bytes, phase_timeout_s;
} config;

static config g_cfg = {100000, 2, 2, 16, 64, 300};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "scale_100k: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

/* kB of "VmRSS:" or "VmHWM:" in /proc/self/status */
static long proc_status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0) kb = atol(line + n);
  if (f) fclose(f);
  return kb;
}

static long open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  long n = 0;
  for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n - 1; /* the directory's own fd */
}

/* Byte i of connection id's message: every connection's bytes differ. */
static uint8_t message_byte(uint32_t id, int i) {
  return (uint8_t)('a' + (id * 7u + (uint32_t)i * 13u) % 26u);
}

/* A child's line to the coordinator: one write(2) below PIPE_BUF, so lines from several threads
 * never interleave. */
static int g_report_fd = -1;
static void report(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  if (write(g_report_fd, line, (size_t)n) != n) _exit(2);
}

/* ------------------------------------------------------------------------------------------------ */
/* server process: `server_loops` loops listening on one port with reuse_port                      */
/* ------------------------------------------------------------------------------------------------ */

typedef struct server_loop {
  bun_tcp_loop *loop;
  bun_tcp_listener listener;
  long accepted; /* written on the loop's thread only; read after join */
  int failed;
} server_loop;

static atomic_long g_server_open, g_server_peak_open;

static void server_open(bun_tcp_socket s, void *data) {
  ((server_loop *)data)->accepted++;
  long open = atomic_fetch_add(&g_server_open, 1) + 1;
  long peak = atomic_load(&g_server_peak_open);
  while (open > peak && !atomic_compare_exchange_weak(&g_server_peak_open, &peak, open)) {
  }
}

static void server_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  if (bun_tcp_socket_write_all(s, bytes, len) != (int64_t)len) report("error server write");
}

/* The client may see the server's FIN before the server loop has run `close`: "stop" waits for
 * the last one on this condition. */
static pthread_mutex_t g_all_closed_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_all_closed = PTHREAD_COND_INITIALIZER;

static void server_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  if (err) report("error server close %s", err->name);
  if (atomic_fetch_sub(&g_server_open, 1) == 1) {
    pthread_mutex_lock(&g_all_closed_lock);
    pthread_cond_broadcast(&g_all_closed);
    pthread_mutex_unlock(&g_all_closed_lock);
  }
}

/* Waits until every accepted socket has closed, at most the phase timeout; returns those open. */
static long wait_all_closed(void) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += g_cfg.phase_timeout_s;
  pthread_mutex_lock(&g_all_closed_lock);
  while (atomic_load(&g_server_open) != 0 &&
         pthread_cond_timedwait(&g_all_closed, &g_all_closed_lock, &deadline) == 0) {
  }
  pthread_mutex_unlock(&g_all_closed_lock);
  return atomic_load(&g_server_open);
}

static void stop_server_loop(void *arg) { bun_tcp_listener_stop(((server_loop *)arg)->listener, true); }

static uint16_t g_listen_port;
static pthread_barrier_t g_server_bound;

static void *run_server_loop(void *arg) {
  server_loop *sl = arg;
  sl->loop = bun_tcp_loop_new();
  bun_tcp_handlers h = {.open = server_open, .data = server_data, .close = server_close};
  bun_tcp_listen_options o = {.hostname = "0.0.0.0", .port = g_listen_port, .data = sl,
                              .reuse_port = true, .backlog = 4096};
  int32_t rc = sl->loop ? bun_tcp_listen(sl->loop, &o, &h, &sl->listener) : -1;
  if (rc != 0) {
    report("error listen %s %s", bun_tcp_err_name(rc), bun_tcp_last_error_message());
    sl->failed = 1;
  } else if (g_listen_port == 0) {
    g_listen_port = bun_tcp_listener_port(sl->listener); /* the others join this port */
  }
  pthread_barrier_wait(&g_server_bound);
  if (!sl->failed) bun_tcp_run(sl->loop); /* until stop_server_loop */
  bun_tcp_loop_free(sl->loop);
  return NULL;
}

static int server_main(FILE *commands, uint16_t port) {
  int n = g_cfg.server_loops;
  server_loop *loops = calloc((size_t)n, sizeof *loops);
  pthread_t *threads = calloc((size_t)n, sizeof *threads);
  long baseline_kb = proc_status_kb("VmRSS:");
  g_listen_port = port;
  /* one loop at a time: with port 0, the first one picks the port */
  pthread_barrier_init(&g_server_bound, NULL, 2);
  for (int i = 0; i < n; i++) {
    pthread_create(&threads[i], NULL, run_server_loop, &loops[i]);
    pthread_barrier_wait(&g_server_bound);
  }
  for (int i = 0; i < n; i++)
    if (loops[i].failed) return 1;
  report("ready %u", (unsigned)g_listen_port);

  char cmd[64];
  while (fgets(cmd, sizeof cmd, commands)) {
    if (strcmp(cmd, "stats\n") == 0) {
      report("stats %ld %ld %ld %ld", atomic_load(&g_server_open), proc_status_kb("VmRSS:"),
             baseline_kb, open_fds());
    } else if (strcmp(cmd, "stop\n") == 0) {
      long open_before_stop = wait_all_closed();
      for (int i = 0; i < n; i++) bun_tcp_loop_post(loops[i].loop, stop_server_loop, &loops[i]);
      char line[400];
      int len = 0;
      for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        len += snprintf(line + len, sizeof line - (size_t)len, " %ld", loops[i].accepted);
      }
      report("done %ld %ld %ld%s", open_before_stop, atomic_load(&g_server_peak_open),
             proc_status_kb("VmHWM:"), line);
      break;
    }
  }
  pthread_barrier_destroy(&g_server_bound);
  free(loops);
  free(threads);
  return 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* client process: `client_loops` loops on threads, each opening its share of the connections      */
/* ------------------------------------------------------------------------------------------------ */

typedef struct client_loop client_loop;
typedef struct conn {
  bun_tcp_socket socket;
  uint32_t id; /* global: picks the destination address and the message bytes */
  int received;
  client_loop *owner;
} conn;

struct client_loop {
  bun_tcp_loop *loop;
  conn *conns;
  long count, next_to_connect, in_flight;
  bool quit;
};

static uint16_t g_port;
static atomic_long g_to_open, g_to_echo, g_to_close;
static double g_phase_start;

static void phase_step(atomic_long *left, const char *done_word) {
  if (atomic_fetch_sub(left, 1) == 1)
    report("%s %.1f %ld", done_word, now_ms() - g_phase_start, proc_status_kb("VmRSS:"));
}

static void connect_more(client_loop *cl);

static void client_open(bun_tcp_socket s, void *data) {
  conn *c = data;
  c->owner->in_flight--;
  phase_step(&g_to_open, "opened");
  connect_more(c->owner);
}

static void client_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  conn *c = data;
  for (size_t i = 0; i < len; i++, c->received++)
    if (c->received >= g_cfg.message_bytes || bytes[i] != message_byte(c->id, c->received)) {
      report("error echo of connection %u differs at byte %d", c->id, c->received);
      return;
    }
  if (c->received == g_cfg.message_bytes) phase_step(&g_to_echo, "echoed");
}

static void client_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  if (err) report("error client close %s", err->name);
  phase_step(&g_to_close, "closed");
}

static void client_connect_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  report("error connect %s (%s)", err->name, err->message);
}

static const bun_tcp_handlers g_client_handlers = {.open = client_open,
                                                   .data = client_data,
                                                   .close = client_close,
                                                   .connect_error = client_connect_error};

static void connect_more(client_loop *cl) {
  while (cl->in_flight < WINDOW && cl->next_to_connect < cl->count) {
    conn *c = &cl->conns[cl->next_to_connect++];
    char host[32];
    snprintf(host, sizeof host, "127.0.0.%u", 1 + c->id % (uint32_t)g_cfg.destinations);
    bun_tcp_connect_options o = {.hostname = host, .port = g_port, .data = c};
    int32_t rc = bun_tcp_connect(cl->loop, &o, &g_client_handlers, &c->socket);
    if (rc != 0) report("error connect %s %s", bun_tcp_err_name(rc), bun_tcp_last_error_message());
    cl->in_flight++;
  }
}

/* The commands, posted by the child's main thread; each runs on the loop's own thread. */
static void start_connecting(void *arg) { connect_more(arg); }

static void start_echo(void *arg) {
  client_loop *cl = arg;
  uint8_t msg[4096];
  for (long i = 0; i < cl->count; i++) {
    conn *c = &cl->conns[i];
    for (int b = 0; b < g_cfg.message_bytes; b++) msg[b] = message_byte(c->id, b);
    int64_t n = bun_tcp_socket_write_all(c->socket, msg, (size_t)g_cfg.message_bytes);
    if (n != g_cfg.message_bytes) report("error write %s", bun_tcp_err_name((int32_t)n));
  }
}

static void start_closing(void *arg) {
  client_loop *cl = arg;
  for (long i = 0; i < cl->count; i++) bun_tcp_socket_end(cl->conns[i].socket, NULL, 0);
}

static void quit_loop(void *arg) { ((client_loop *)arg)->quit = true; }

static void *run_client_loop(void *arg) {
  client_loop *cl = arg;
  while (!cl->quit)
    if (bun_tcp_poll(cl->loop, -1) < 0) report("error poll %s", bun_tcp_last_error_message());
  bun_tcp_loop_free(cl->loop);
  return NULL;
}

static pthread_barrier_t g_client_created;

static void *create_and_run_client_loop(void *arg) {
  client_loop *cl = arg;
  cl->loop = bun_tcp_loop_new();
  pthread_barrier_wait(&g_client_created);
  return cl->loop ? run_client_loop(cl) : NULL;
}

static int client_main(FILE *commands, uint16_t port, long first_id, long count) {
  int n = g_cfg.client_loops;
  g_port = port;
  client_loop *loops = calloc((size_t)n, sizeof *loops);
  pthread_t *threads = calloc((size_t)n, sizeof *threads);
  conn *conns = calloc((size_t)count, sizeof *conns);
  if (!loops || !threads || !conns) return 1;
  atomic_store(&g_to_open, count);
  atomic_store(&g_to_echo, count);
  atomic_store(&g_to_close, count);
  pthread_barrier_init(&g_client_created, NULL, (unsigned)n + 1);
  long start = 0;
  for (int i = 0; i < n; i++) {
    client_loop *cl = &loops[i];
    cl->count = count / n + (i < count % n);
    cl->conns = conns + start;
    for (long j = 0; j < cl->count; j++) {
      cl->conns[j].id = (uint32_t)(first_id + start + j);
      cl->conns[j].owner = cl;
    }
    start += cl->count;
    pthread_create(&threads[i], NULL, create_and_run_client_loop, cl);
  }
  pthread_barrier_wait(&g_client_created);
  for (int i = 0; i < n; i++)
    if (!loops[i].loop) return 1;
  report("ready %ld", proc_status_kb("VmRSS:"));

  char cmd[64];
  while (fgets(cmd, sizeof cmd, commands)) {
    void (*step)(void *) = NULL;
    if (strcmp(cmd, "connect\n") == 0) step = start_connecting;
    else if (strcmp(cmd, "echo\n") == 0) step = start_echo;
    else if (strcmp(cmd, "close\n") == 0) step = start_closing;
    else if (strcmp(cmd, "stats\n") == 0) report("stats 0 %ld 0 %ld", proc_status_kb("VmRSS:"), open_fds());
    else if (strcmp(cmd, "quit\n") == 0) step = quit_loop;
    if (!step) continue;
    g_phase_start = now_ms();
    for (int i = 0; i < n; i++) bun_tcp_loop_post(loops[i].loop, step, &loops[i]);
    if (step == quit_loop) break;
  }
  for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
  report("done %ld", proc_status_kb("VmHWM:"));
  pthread_barrier_destroy(&g_client_created);
  free(conns);
  free(loops);
  free(threads);
  return 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* coordinator                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

typedef struct child {
  pid_t pid;
  int command_fd, report_fd;
  char buf[4096];
  size_t len;
  char line[512]; /* the last line read */
} child;

static child g_children[MAX_CHILDREN];
static int g_child_count;

static void kill_children(void) {
  for (int i = 0; i < g_child_count; i++)
    if (g_children[i].pid > 0) kill(g_children[i].pid, SIGKILL);
}

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "scale_100k: FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  kill_children();
  exit(1);
}

typedef int (*child_main_fn)(FILE *commands, long a, long b, long c);

static int run_server_child(FILE *f, long port, long unused1, long unused2) {
  return server_main(f, (uint16_t)port);
}
static int run_client_child(FILE *f, long port, long first_id, long count) {
  return client_main(f, (uint16_t)port, first_id, count);
}

static child *spawn(child_main_fn fn, long a, long b, long c) {
  if (g_child_count == MAX_CHILDREN) fail("too many processes");
  int to_child[2], from_child[2];
  if (pipe(to_child) || pipe(from_child)) fail("pipe: %s", strerror(errno));
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) fail("fork: %s", strerror(errno));
  if (pid == 0) {
    for (int i = 0; i < g_child_count; i++) { /* the other children's pipes */
      close(g_children[i].command_fd);
      close(g_children[i].report_fd);
    }
    close(to_child[1]);
    close(from_child[0]);
    g_report_fd = from_child[1];
    FILE *commands = fdopen(to_child[0], "r");
    int rc = fn(commands, a, b, c);
    fclose(commands);
    close(g_report_fd);
    exit(rc);
  }
  close(to_child[0]);
  close(from_child[1]);
  child *ch = &g_children[g_child_count++];
  ch->pid = pid;
  ch->command_fd = to_child[1];
  ch->report_fd = from_child[0];
  return ch;
}

static void send_command(child *ch, const char *cmd) {
  size_t n = strlen(cmd);
  if (write(ch->command_fd, cmd, n) != (ssize_t)n) fail("process %d: command %s", ch->pid, cmd);
}

/* Reads the child's next line into ch->line; it must start with `word` ("error ..." lines fail). */
static void expect_line(child *ch, const char *word, double deadline) {
  for (;;) {
    char *nl = memchr(ch->buf, '\n', ch->len);
    if (nl) {
      size_t n = (size_t)(nl - ch->buf);
      if (n >= sizeof ch->line) n = sizeof ch->line - 1;
      memcpy(ch->line, ch->buf, n);
      ch->line[n] = '\0';
      ch->len -= (size_t)(nl + 1 - ch->buf);
      memmove(ch->buf, nl + 1, ch->len);
      if (strncmp(ch->line, word, strlen(word)) != 0)
        fail("process %d: expected \"%s\", got \"%s\"", ch->pid, word, ch->line);
      return;
    }
    double left = deadline - now_ms();
    if (left <= 0) fail("process %d: no \"%s\" before the deadline (%d s)", ch->pid, word, g_cfg.phase_timeout_s);
    struct pollfd p = {.fd = ch->report_fd, .events = POLLIN};
    if (poll(&p, 1, (int)left + 1) < 0 && errno != EINTR) fail("poll: %s", strerror(errno));
    if (!(p.revents & (POLLIN | POLLHUP))) continue;
    ssize_t r = read(ch->report_fd, ch->buf + ch->len, sizeof ch->buf - ch->len - 1);
    if (r <= 0) fail("process %d exited while we waited for \"%s\"", ch->pid, word);
    ch->len += (size_t)r;
  }
}

/* Sends `cmd` to children [from, to) and waits for each one's `word` line. */
static double phase(int from, int to, const char *cmd, const char *word) {
  double start = now_ms(), deadline = start + g_cfg.phase_timeout_s * 1000.0;
  for (int i = from; i < to; i++) send_command(&g_children[i], cmd);
  for (int i = from; i < to; i++) expect_line(&g_children[i], word, deadline);
  return now_ms() - start;
}

/* Raises RLIMIT_NOFILE: soft to hard, and hard to fs.nr_open when the process may. */
static long raise_fd_limit(char *note, size_t note_len) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  long nr_open = 0;
  FILE *f = fopen("/proc/sys/fs/nr_open", "r");
  if (f && fscanf(f, "%ld", &nr_open) != 1) nr_open = 0;
  if (f) fclose(f);
  snprintf(note, note_len, "hard limit kept");
  if (nr_open > 0 && (long)rl.rlim_max < nr_open) {
    struct rlimit want = {(rlim_t)nr_open, (rlim_t)nr_open};
    if (setrlimit(RLIMIT_NOFILE, &want) == 0)
      snprintf(note, note_len, "hard limit raised to fs.nr_open");
    else
      snprintf(note, note_len, "hard limit not raised to fs.nr_open=%ld: %s (needs CAP_SYS_RESOURCE)",
               nr_open, strerror(errno));
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  return (long)rl.rlim_cur;
}

static long field(const char *line, int index) { /* the index-th number after the word */
  const char *p = line;
  for (int i = 0; i <= index; i++) {
    p = strchr(p, ' ');
    if (!p) return -1;
    p++;
  }
  return atol(p);
}

/* kB of a /proc/meminfo field: system-wide, so only indicative on a busy machine */
static long meminfo_kb(const char *field) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  long kb = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0) kb = atol(line + n);
  if (f) fclose(f);
  return kb;
}

static void print_sockstat(void) {
  FILE *f = fopen("/proc/net/sockstat", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "TCP:", 4) == 0) printf("kernel /proc/net/sockstat: %s", line);
  if (f) fclose(f);
}

int main(int argc, char **argv) {
  for (int opt; (opt = getopt(argc, argv, "n:s:c:d:b:t:")) != -1;) {
    long v = atol(optarg);
    switch (opt) {
      case 'n': g_cfg.connections = v; break;
      case 's': g_cfg.server_loops = (int)v; break;
      case 'c': g_cfg.client_loops = (int)v; break;
      case 'd': g_cfg.destinations = (int)v; break;
      case 'b': g_cfg.message_bytes = (int)v; break;
      case 't': g_cfg.phase_timeout_s = (int)v; break;
      default: die("usage: scale_100k [-n conns] [-s server_loops] [-c client_loops] [-d dests] [-b bytes] [-t s]");
    }
  }
  if (g_cfg.connections < 1 || g_cfg.server_loops < 1 || g_cfg.client_loops < 1 ||
      g_cfg.destinations < 1 || g_cfg.destinations > 254 || g_cfg.message_bytes < 1 ||
      g_cfg.message_bytes > 4096 || g_cfg.phase_timeout_s < 1)
    die("bad arguments");
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);

  char limit_note[160];
  long fd_limit = raise_fd_limit(limit_note, sizeof limit_note);
  long per_process = fd_limit - FD_RESERVE - 8L * (g_cfg.server_loops + g_cfg.client_loops);
  if (per_process < 100) die("RLIMIT_NOFILE %ld is too low", fd_limit);
  long n = g_cfg.connections;
  int servers = (int)((n * SERVER_SLACK + per_process - 1) / per_process);
  int clients = (int)((n + per_process - 1) / per_process);
  if (servers + clients > MAX_CHILDREN) die("%d processes needed: raise RLIMIT_NOFILE", servers + clients);
  printf("scale: %ld connections; %d server process(es) x %d loops, %d client process(es) x %d loops; "
         "destinations 127.0.0.1-%d, %d-byte messages\n",
         n, servers, g_cfg.server_loops, clients, g_cfg.client_loops, g_cfg.destinations,
         g_cfg.message_bytes);
  printf("RLIMIT_NOFILE %ld (%s): at most %ld connections per process\n", fd_limit, limit_note,
         per_process);

  long slab_before_kb = meminfo_kb("Slab:");
  double deadline = now_ms() + g_cfg.phase_timeout_s * 1000.0;
  child *first = spawn(run_server_child, 0, 0, 0);
  expect_line(first, "ready", deadline);
  long port = field(first->line, 0);
  for (int i = 1; i < servers; i++) expect_line(spawn(run_server_child, port, 0, 0), "ready", deadline);
  long first_id = 0;
  for (int i = 0; i < clients; i++) {
    long count = n / clients + (i < n % clients);
    expect_line(spawn(run_client_child, port, first_id, count), "ready", deadline);
    first_id += count;
  }
  printf("listening on 0.0.0.0:%ld (reuse_port, %d listeners)\n", port, servers * g_cfg.server_loops);

  int c0 = servers, c1 = servers + clients;
  double connect_ms = phase(c0, c1, "connect\n", "opened");
  printf("established %ld connections in %.1f ms (%.0f per second)\n", n, connect_ms, n / connect_ms * 1e3);
  double echo_ms = phase(c0, c1, "echo\n", "echoed");
  long client_rss_kb = 0;
  for (int i = c0; i < c1; i++) client_rss_kb += field(g_children[i].line, 1);
  printf("echoed %ld x %d bytes in %.1f ms\n", n, g_cfg.message_bytes, echo_ms);

  /* every connection is open on both sides now: nothing closes before the "close" phase */
  phase(0, c1, "stats\n", "stats");
  long server_open = 0, server_rss_kb = 0, server_base_kb = 0, server_fds = 0, client_fds = 0;
  for (int i = 0; i < servers; i++) {
    server_open += field(g_children[i].line, 0);
    server_rss_kb += field(g_children[i].line, 1);
    server_base_kb += field(g_children[i].line, 2);
    server_fds += field(g_children[i].line, 3);
  }
  for (int i = c0; i < c1; i++) client_fds += field(g_children[i].line, 3);
  printf("open at once: %ld server sockets; fds: server processes %ld, client processes %ld\n",
         server_open, server_fds, client_fds);
  printf("server RSS: %.1f MiB total (%.1f MiB before connections), %.0f bytes per connection\n",
         server_rss_kb / 1024.0, server_base_kb / 1024.0,
         (server_rss_kb - server_base_kb) * 1024.0 / (double)n);
  printf("client RSS: %.1f MiB total after the echoes, %.0f bytes per connection (all included)\n",
         client_rss_kb / 1024.0, client_rss_kb * 1024.0 / (double)n);
  print_sockstat();
  long slab_kb = meminfo_kb("Slab:") - slab_before_kb;
  printf("kernel slab (system-wide /proc/meminfo): +%.1f MiB since the start, %.0f bytes per "
         "connection (both ends)\n", slab_kb / 1024.0, slab_kb * 1024.0 / (double)n);
  if (server_open != n) fail("%ld server sockets open, expected %ld", server_open, n);

  double close_ms = phase(c0, c1, "close\n", "closed");
  printf("closed %ld connections in %.1f ms\n", n, close_ms);

  phase(0, servers, "stop\n", "done");
  long accepted = 0, min_loop = -1, max_loop = 0, server_hwm_kb = 0;
  printf("connections per server loop:");
  for (int i = 0; i < servers; i++) {
    const char *line = g_children[i].line;
    if (field(line, 0) != 0) fail("server process %d: %ld sockets open before stop", i, field(line, 0));
    server_hwm_kb += field(line, 2);
    for (int l = 0; l < g_cfg.server_loops; l++) {
      long got = field(line, 3 + l);
      printf(" %ld", got);
      accepted += got;
      if (min_loop < 0 || got < min_loop) min_loop = got;
      if (got > max_loop) max_loop = got;
    }
  }
  printf("\n(min %ld, max %ld, mean %.1f)\n", min_loop, max_loop,
         (double)accepted / (servers * g_cfg.server_loops));
  phase(c0, c1, "quit\n", "done");
  long client_hwm_kb = 0;
  for (int i = c0; i < c1; i++) client_hwm_kb += field(g_children[i].line, 0);
  printf("VmHWM (peak RSS): server %.1f MiB, client %.1f MiB\n", server_hwm_kb / 1024.0,
         client_hwm_kb / 1024.0);
  if (accepted != n) fail("servers accepted %ld connections, expected %ld", accepted, n);
  if (min_loop == 0) fail("a server loop accepted no connection");

  for (int i = 0; i < g_child_count; i++) {
    int status = 0;
    waitpid(g_children[i].pid, &status, 0);
    g_children[i].pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("process %d ended with status %d", i, status);
  }
  printf("scale: OK\n");
  return 0;
}
