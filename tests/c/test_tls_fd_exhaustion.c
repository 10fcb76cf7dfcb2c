/* Resource exhaustion (issue 12, the hunt): with RLIMIT_NOFILE lowered and every descriptor taken,
 * each call that needs a descriptor reports it clearly and nothing hangs or leaks:
 *   - bun_tcp_loop_new: NULL with a message;
 *   - bun_tcp_listen (TCP, unix, "localhost", TLS with a cert_file): -EMFILE; with 1-3 descriptors
 *     free, loop_new and listen leak none of them;
 *   - bun_tcp_connect to an IP literal: -EMFILE returned, or connect_error EMFILE (nothing else);
 *   - bun_tcp_connect to "localhost" (resolved off the loop): connect_error EMFILE, not ENOTFOUND;
 *   - bun_tcp_connect with TLS options that name a ca_file: -EMFILE; to a unix path: -EMFILE or
 *     connect_error EMFILE;
 *   - bun_tcp_socket_adopt needs no new descriptor: works; upgrade_tls with a cert_file then
 *     returns -EMFILE and leaves the socket plain and open;
 *   - accept: a connection waits in the backlog, without spinning, and is accepted (open) once
 *     descriptors are free again; a listener stopped while its accept fails accepts nothing later.
 *     Under valgrind, setrlimit(RLIMIT_NOFILE) is emulated (the kernel keeps its limit, see
 *     /proc/self/limits): the kernel's accept4 succeeds, then valgrind closes the new descriptor
 *     and reports EMFILE, so the waiting connection is gone (its client sees the close) and no
 *     library can accept it later. There the test checks that close, and that a connection made
 *     once descriptors are free is accepted.
 * Then, with descriptors free, the same calls succeed, and descriptors and sockets are back to
 * their baseline. Named test_tls_* so that ctest provides the TLS fixtures (cert_file). */
#include "harness.h"

#include <sys/resource.h>

static int *fillers;
static int n_fillers;
/* setrlimit(RLIMIT_NOFILE) did not reach the kernel (valgrind emulates it): see the top. */
static bool nofile_emulated;

/* The soft limit on descriptors the kernel applies (-1 if unknown). */
static long kernel_nofile_soft(void) {
  FILE *f = fopen("/proc/self/limits", "re");
  if (!f) return -1;
  char line[256];
  long soft = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Max open files %ld", &soft) == 1) break;
  fclose(f);
  return soft;
}

/* Takes every free descriptor under a soft limit of (highest open + slack). */
static void exhaust_descriptors(void) {
  struct rlimit rl;
  CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
  int highest = 0;
  DIR *d = opendir("/proc/self/fd");
  CHECK(d != NULL);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    int fd = atoi(e->d_name);
    /* descriptors at or above the hard limit are not ours (valgrind keeps its own there) */
    if (rl.rlim_max != RLIM_INFINITY && (rlim_t)fd >= rl.rlim_max) continue;
    if (fd > highest) highest = fd;
  }
  closedir(d);
  rlim_t want = (rlim_t)highest + 64;
  if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) want = rl.rlim_max;
  rl.rlim_cur = want;
  CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
  long kernel_soft = kernel_nofile_soft();
  nofile_emulated = kernel_soft >= 0 && (rlim_t)kernel_soft != want;
  if (nofile_emulated)
    printf("    RLIMIT_NOFILE %lu is emulated: the kernel's limit is still %ld (valgrind)\n",
           (unsigned long)want, kernel_soft);
  fillers = calloc((size_t)want + 1, sizeof *fillers);
  CHECK(fillers != NULL);
  for (;;) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      CHECK_EQ(errno, EMFILE);
      break;
    }
    fillers[n_fillers++] = fd;
  }
  CHECK(n_fillers > 0);
}

static void release_descriptors(void) {
  for (int i = 0; i < n_fillers; i++) close(fillers[i]);
  n_fillers = 0;
  free(fillers);
  fillers = NULL;
}

static rec_t client_ip, client_name, client_after, adopted;

int main(void) {
  test_init("tls_fd_exhaustion", 60);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  uint16_t port = bun_tcp_listener_port(l);
  rec_init(&client_ip);
  rec_init(&client_name);
  rec_init(&client_after);
  rec_init(&adopted);

  /* A raw client made before the descriptors run out: its connection waits in the backlog. */
  int raw = raw_tcp_connect(port);
  CHECK(raw >= 0);
  /* A second listener with a waiting connection, stopped while its accept fails with EMFILE */
  srv_t sv_stopped;
  srv_init(&sv_stopped);
  bun_tcp_listener l_stopped = listen_srv(loop, &sv_stopped, &h, false);
  int raw_stopped = raw_tcp_connect(bun_tcp_listener_port(l_stopped));
  /* A connected pair for adopt, made beforehand too. */
  int pair[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair));
  int baseline_fds = count_open_fds();

  test_case("every descriptor taken");
  exhaust_descriptors();

  test_stage("accept: the connection waits in the backlog, no spin");
  long calls = run_for(loop, 300);
  CHECK_EQ(sv.n_accepted, 0);
  CHECK_CMP(calls, ==, 0);
  /* Under an emulated limit the failed accept took the connection and closed it (see the top). */
  bool raw_taken = false;
  if (nofile_emulated) {
    char c;
    ssize_t n = recv(raw, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    raw_taken = n == 0 || (n < 0 && errno == ECONNRESET);
    printf("    the waiting connection %s\n",
           raw_taken ? "was closed by the emulated EMFILE" : "still waits");
  }

  test_stage("stop a listener whose accept is failing with EMFILE");
  CHECK_OK(bun_tcp_listener_stop(l_stopped, true));
  /* its own descriptor is free now: the first listener may take it for its waiting connection */
  run_for(loop, 200);
  CHECK_EQ(sv_stopped.n_accepted, 0);
  CHECK(sv.n_accepted <= 1);
  for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers[n_fillers++] = fd;

  test_stage("loop_new");
  bun_tcp_loop *second = bun_tcp_loop_new();
  const char *msg = bun_tcp_last_error_message();
  CHECK_MSG(second == NULL, "loop_new worked without a descriptor");
  CHECK_MSG(msg && *msg, "loop_new failed without a message");
  printf("    loop_new: NULL, \"%s\"\n", msg);

  test_stage("listen tcp");
  {
    bun_tcp_listen_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "127.0.0.1";
    bun_tcp_listener l2 = {0};
    CHECK_RC(bun_tcp_listen(loop, &o, &h, &l2), -EMFILE);
    CHECK_EQ(l2.id, 0);
    test_stage("listen unix");
    o.hostname = NULL;
    o.unix_path = "/tmp/bun_tcp_fd_exhaustion.sock";
    CHECK_RC(bun_tcp_listen(loop, &o, &h, &l2), -EMFILE);
    CHECK_EQ(access(o.unix_path, F_OK), -1); /* nothing left behind */
    test_stage("listen on localhost (resolved in the call): EMFILE, not ENOTFOUND");
    o.unix_path = NULL;
    o.hostname = "localhost";
    CHECK_RC(bun_tcp_listen(loop, &o, &h, &l2), -EMFILE);
  }

  test_stage("listen tls with cert_file/key_file");
  {
    tls_cfg t;
    tls_cfg_init(&t);
    t.o.cert_file = tls_path("server.crt");
    t.o.key_file = tls_path("server.key");
    /* tls_path needs no descriptor; the file reads do */
    bun_tcp_listen_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "127.0.0.1";
    o.tls = &t.o;
    bun_tcp_listener l2 = {0};
    CHECK_RC(bun_tcp_listen(loop, &o, &h, &l2), -EMFILE);
    CHECK_EQ(l2.id, 0);
  }

  test_stage("connect to an IP literal");
  {
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "127.0.0.1";
    o.port = port;
    o.data = &client_ip;
    bun_tcp_socket s = {0};
    int32_t rc = bun_tcp_connect(loop, &o, &h, &s);
    if (rc == 0) {
      client_ip.s = s;
      RUN_UNTIL(loop, client_ip.n_connect_error == 1);
      CHECK_TRACE(&client_ip.tr, "connect_error:EMFILE");
    } else {
      CHECK_RC(rc, -EMFILE);
      CHECK_EQ(s.id, 0);
    }
    printf("    connect 127.0.0.1: %s\n", rc == 0 ? "connect_error EMFILE" : "returned -EMFILE");
  }

  test_stage("connect to localhost (resolved off the loop)");
  {
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "localhost";
    o.port = port;
    o.data = &client_name;
    bun_tcp_socket s = {0};
    int32_t rc = bun_tcp_connect(loop, &o, &h, &s);
    if (rc == 0) {
      client_name.s = s;
      RUN_UNTIL(loop, client_name.n_connect_error == 1);
      printf("    connect localhost: connect_error %s (%s): %s\n", client_name.connect_error_name,
             client_name.connect_error_syscall, client_name.connect_error_message);
      CHECK_TRACE(&client_name.tr, "connect_error:EMFILE");
      CHECK_RC(client_name.connect_error_code, -EMFILE);
    } else {
      CHECK_RC(rc, -EMFILE);
    }
  }

  test_stage("TLS connect with a ca_file: -EMFILE, nothing fires");
  {
    tls_cfg t;
    tls_cfg_init(&t);
    t.o.ca_file = tls_path("ca.crt");
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "127.0.0.1";
    o.port = port;
    o.data = &client_ip;
    o.tls = &t.o;
    bun_tcp_socket s = {0};
    CHECK_RC(bun_tcp_connect(loop, &o, &h, &s), -EMFILE);
    CHECK_EQ(s.id, 0);
  }

  test_stage("connect to a unix path");
  {
    rec_t unix_client;
    rec_init(&unix_client);
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.unix_path = "/tmp/bun_tcp_fd_exhaustion_none.sock";
    o.data = &unix_client;
    bun_tcp_socket s = {0};
    int32_t rc = bun_tcp_connect(loop, &o, &h, &s);
    if (rc == 0) {
      unix_client.s = s;
      RUN_UNTIL(loop, unix_client.n_connect_error == 1);
      CHECK_TRACE(&unix_client.tr, "connect_error:EMFILE");
    } else {
      CHECK_RC(rc, -EMFILE);
    }
    rec_free(&unix_client);
  }

  test_stage("adopt needs no new descriptor");
  {
    bun_tcp_socket s = {0};
    CHECK_OK(bun_tcp_socket_adopt(loop, pair[0], &h, &adopted, false, &s));
    adopted.s = s;
    RUN_UNTIL(loop, adopted.n_open == 1);
  }

  test_stage("upgrade_tls with cert_file/key_file: -EMFILE, the socket stays plain and open");
  {
    tls_cfg t;
    tls_cfg_init(&t);
    t.o.cert_file = tls_path("server.crt");
    t.o.key_file = tls_path("server.key");
    CHECK_RC(bun_tcp_socket_upgrade_tls(adopted.s, &t.o, &h, true), -EMFILE);
    CHECK_EQ(bun_tcp_socket_ready_state(adopted.s), BUN_TCP_STATE_OPEN);
    CHECK(bun_tcp_socket_tls_version(adopted.s) == NULL);
    CHECK_EQ(bun_tcp_socket_write(adopted.s, (const uint8_t *)"plain", 5), 5);
    char b[8];
    CHECK_EQ(read(pair[1], b, sizeof b), 5);
  }

  test_stage("loop_new with 1, 2, 3 descriptors free: no descriptor leaks when a later step fails");
  for (int k = 1; k <= 3; k++) {
    for (int i = 0; i < k; i++) close(fillers[--n_fillers]);
    bun_tcp_loop *l = bun_tcp_loop_new();
    if (l) bun_tcp_loop_free(l);
    printf("    %d free: loop_new %s\n", k, l ? "worked" : "returned NULL");
    for (int i = 0; i < k; i++) {
      int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      CHECK_MSG(fd >= 0, "descriptor %d of %d not free again after loop_new (leaked)", i + 1, k);
      fillers[n_fillers++] = fd;
    }
    CHECK_EQ(open("/dev/null", O_RDONLY | O_CLOEXEC), -1);
  }

  test_stage("listen and connect with 1 descriptor free: no leak either");
  {
    close(fillers[--n_fillers]);
    bun_tcp_listen_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "127.0.0.1";
    bun_tcp_listener l2 = {0};
    if (bun_tcp_listen(loop, &o, &h, &l2) == 0) CHECK_OK(bun_tcp_listener_stop(l2, true));
    poll_ok(loop, 0);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK_MSG(fd >= 0, "the free descriptor leaked in listen");
    fillers[n_fillers++] = fd;
  }

  CHECK(sv.n_accepted <= 1); /* (see "stop a listener ...") */
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 1);

  test_case("descriptors free again");
  release_descriptors();
  test_stage("accept resumes");
  if (raw_taken) { /* nothing waits any more: a new connection takes its place */
    close(raw);
    raw = raw_tcp_connect(port);
    CHECK(raw >= 0);
  }
  RUN_UNTIL(loop, sv.n_accepted == 1 && sv.socks[0].n_open == 1);
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_EQ(sv_stopped.n_accepted, 0); /* the stopped listener accepts nothing, ever */
  close(raw_stopped);
  second = bun_tcp_loop_new();
  CHECK(second != NULL);
  bun_tcp_loop_free(second);
  {
    tls_cfg t;
    tls_cfg_init(&t);
    t.o.cert_file = tls_path("server.crt");
    t.o.key_file = tls_path("server.key");
    bun_tcp_listen_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "127.0.0.1";
    o.tls = &t.o;
    bun_tcp_listener l2 = {0};
    CHECK_OK(bun_tcp_listen(loop, &o, &h, &l2));
    CHECK_OK(bun_tcp_listener_stop(l2, true));
  }
  {
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "localhost";
    o.port = port;
    o.data = &client_after;
    bun_tcp_socket s = {0};
    /* localhost may resolve to ::1 first; the listener is on 127.0.0.1: Happy Eyeballs copes */
    CHECK_OK(bun_tcp_connect(loop, &o, &h, &s));
    client_after.s = s;
    RUN_UNTIL(loop, client_after.n_open == 1 && sv.n_accepted == 2);
  }

  test_stage("back to baseline");
  close(raw);
  close(pair[1]);
  CHECK_OK(bun_tcp_socket_close(client_after.s));
  CHECK_OK(bun_tcp_socket_close(adopted.s));
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, bun_tcp_loop_socket_count(loop) == 0);
  CHECK_EQ(bun_tcp_run(loop), 0);
  check_closed_once(&client_after, "client after");
  check_closed_once(&adopted, "adopted");
  check_closed_once(&sv.socks[0], "accepted 0");
  check_closed_once(&sv.socks[1], "accepted 1");
  CHECK_EQ(client_name.n_open + client_name.n_close, 0);
  CHECK_EQ(client_ip.n_open + client_ip.n_close, 0);
  /* the baseline counted both listeners, both raw clients and both ends of the pair: all closed
   * now (the adopted pair[0] by the library) */
  CHECK_EQ(count_open_fds(), baseline_fds - 6);
  srv_free(&sv_stopped);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&client_ip);
  rec_free(&client_name);
  rec_free(&client_after);
  rec_free(&adopted);
  tls_fixtures_free();
  return test_pass();
}
