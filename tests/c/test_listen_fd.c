/* bun_tcp_listen_fd: listening on an inherited descriptor (SPEC §8.2).
 *
 *   - every refusal returns its exact code, writes nothing to *out, adds no listener, fires
 *     nothing, and leaves the descriptor as it was: open, its FD_CLOEXEC and O_NONBLOCK flags and
 *     its listening state (SO_ACCEPTCONN) unchanged (checked for a blocking, no-CLOEXEC socket as
 *     systemd passes them, and for a non-blocking CLOEXEC one);
 *   - a bound socket over IPv4, IPv6 and unix-domain (and one already listening) serves an echo
 *     round: client "open,data:ping,end,close", server "open,data:ping,end,close"; port, address
 *     and family are the socket's; the listener made it non-blocking and close-on-exec;
 *   - a bound socket listens with the options' backlog (0 = 511); a listening one keeps its own;
 *   - stop closes the descriptor (fcntl F_GETFD gives EBADF) and leaves a unix path in place;
 *   - opts NULL works (data NULL); `data` and `allow_half_open` are honoured;
 *   - from a handler: inside `data` it works; inside a `close` run by bun_tcp_loop_free it is
 *     BUN_TCP_ECLOSED and the descriptor is untouched.
 * (TLS over an inherited descriptor: test_tls_listen_fd.c.) */
#include "harness.h"
#include "listen_fd_common.h"
#include <pthread.h>

static bun_tcp_loop *g_loop;
static int g_calls;
static void count_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { g_calls++; }

#define OUT_SENTINEL ((bun_tcp_listener){0x5e5e5e5eull})

/* One refused call: exact code, nothing written, no listener, the descriptor untouched. */
static void refused(const char *what, bun_tcp_loop *loop, int fd, const bun_tcp_listen_options *o,
                    const bun_tcp_handlers *h, bool pass_out, int32_t want) {
  test_stage(what);
  fd_state_t was = fd_state_of(fd);
  size_t listeners = bun_tcp_loop_listener_count(g_loop);
  bun_tcp_listener out = OUT_SENTINEL;
  int32_t rc = bun_tcp_listen_fd(loop, fd, o, h, pass_out ? &out : NULL);
  if (rc != want)
    FAIL("%s: got %d (%s), expected %d (%s); last error \"%s\"", what, rc, ERRNAME(rc), want, ERRNAME(want),
         harness_str(bun_tcp_last_error_message()));
  CHECK(out.id == OUT_SENTINEL.id);
  CHECK_EQ(bun_tcp_loop_listener_count(g_loop), listeners);
  if (fd >= 0 && was.fd_flags >= 0) {
    fd_state_t now = fd_state_of(fd);
    if (!fd_state_same(was, now))
      FAIL("%s: the descriptor changed: fd flags %d -> %d, status flags %#x -> %#x, SO_ACCEPTCONN %d -> %d", what,
           was.fd_flags, now.fd_flags, was.status_flags, now.status_flags, was.accept_conn, now.accept_conn);
  }
}

static int32_t g_thread_rc;
static int g_thread_fd;
static void *other_thread(void *arg) {
  bun_tcp_handlers h = {0};
  h.data = count_data;
  bun_tcp_listener out = OUT_SENTINEL;
  g_thread_rc = bun_tcp_listen_fd(g_loop, g_thread_fd, NULL, &h, &out);
  return NULL;
}

static void every_refusal(bool systemd_flags) {
  test_case(systemd_flags ? "refusals: blocking, no FD_CLOEXEC" : "refusals: O_NONBLOCK, FD_CLOEXEC");
  bun_tcp_handlers h = {0};
  h.data = count_data;
  bun_tcp_handlers no_data = {0};
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  int bound = raw_bound(RAW_V4, NULL, 0);
  if (!systemd_flags) {
    set_nonblock(bound);
    CHECK(fcntl(bound, F_SETFD, FD_CLOEXEC) == 0);
  }
  refused("NULL loop", NULL, bound, &o, &h, true, BUN_TCP_EINVAL);
  refused("NULL handlers", g_loop, bound, &o, NULL, true, BUN_TCP_EINVAL);
  refused("NULL out", g_loop, bound, &o, &h, false, BUN_TCP_EINVAL);
  refused("handlers without data and drain", g_loop, bound, &o, &no_data, true, BUN_TCP_EINVAL);
  refused("fd -1", g_loop, -1, &o, &h, true, BUN_TCP_EINVAL);
  refused("fd INT_MIN", g_loop, INT32_MIN, &o, &h, true, BUN_TCP_EINVAL);
  o.hostname = "127.0.0.1";
  refused("hostname set", g_loop, bound, &o, &h, true, BUN_TCP_EINVAL);
  o.hostname = "\xff not utf-8";
  refused("hostname set, not UTF-8 (EINVAL, not EINVALHOST)", g_loop, bound, &o, &h, true, BUN_TCP_EINVAL);
  o.hostname = NULL;
  o.port = 80;
  refused("port set", g_loop, bound, &o, &h, true, BUN_TCP_EINVAL);
  o.port = 0;
  o.unix_path = "/tmp/x.sock";
  refused("unix_path set", g_loop, bound, &o, &h, true, BUN_TCP_EINVAL);
  o.unix_path = NULL;
  o.unix_path_len = 3;
  refused("unix_path_len set", g_loop, bound, &o, &h, true, BUN_TCP_EINVAL);
  o.unix_path_len = 0;
  o.backlog = -1;
  refused("backlog -1", g_loop, bound, &o, &h, true, BUN_TCP_EINVAL);
  o.backlog = 0;
  {
    bun_tcp_tls_options tls;
    memset(&tls, 0, sizeof tls);
    o.tls = &tls; /* a server without cert and key */
    refused("TLS without cert and key", g_loop, bound, &o, &h, true, BUN_TCP_EINVAL);
    o.tls = NULL;
  }

  int file = open("/dev/null", O_RDONLY);
  refused("a file", g_loop, file, &o, &h, true, -ENOTSOCK);
  int pipefd[2];
  CHECK(pipe(pipefd) == 0);
  refused("a pipe", g_loop, pipefd[0], &o, &h, true, -ENOTSOCK);
  int closed_fd = dup(file);
  close(closed_fd);
  refused("a descriptor that is not open", g_loop, closed_fd, &o, &h, true, -EBADF);

  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(udp, (struct sockaddr *)&a, sizeof a) == 0);
  refused("a bound datagram socket", g_loop, udp, &o, &h, true, BUN_TCP_EINVAL);
  int unix_dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
  refused("a unix datagram socket", g_loop, unix_dgram, &o, &h, true, BUN_TCP_EINVAL);
  int seqpacket = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  refused("a unix seqpacket socket", g_loop, seqpacket, &o, &h, true, BUN_TCP_EINVAL);
  int unbound = socket(AF_INET, SOCK_STREAM, 0);
  refused("an unbound TCP socket", g_loop, unbound, &o, &h, true, BUN_TCP_EINVAL);
  int unbound6 = socket(AF_INET6, SOCK_STREAM, 0);
  if (unbound6 >= 0) refused("an unbound TCP/IPv6 socket", g_loop, unbound6, &o, &h, true, BUN_TCP_EINVAL);
  int unbound_unix = socket(AF_UNIX, SOCK_STREAM, 0);
  refused("an unbound unix socket", g_loop, unbound_unix, &o, &h, true, BUN_TCP_EINVAL);
  int netlink = socket(AF_NETLINK, SOCK_RAW, 0);
  if (netlink >= 0) refused("a netlink socket (not a stream)", g_loop, netlink, &o, &h, true, BUN_TCP_EINVAL);

  /* a connected TCP socket: listen(2) refuses it (EINVAL) after the checks passed; the
   * listener made for it is undone and the descriptor is as it was */
  uint16_t port;
  int server = raw_tcp_bound(true, &port);
  int client = raw_tcp_connect(port);
  int accepted = accept(server, NULL, NULL);
  CHECK(accepted >= 0);
  refused("a connected TCP socket (listen(2) fails)", g_loop, client, &o, &h, true, -EINVAL);
  refused("an accepted TCP socket (listen(2) fails)", g_loop, accepted, &o, &h, true, -EINVAL);

  /* another thread */
  g_thread_fd = bound;
  fd_state_t was = fd_state_of(bound);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK_RC(g_thread_rc, BUN_TCP_EWRONGTHREAD);
  CHECK(fd_state_same(was, fd_state_of(bound)));

  /* a freed loop */
  bun_tcp_loop *freed = bun_tcp_loop_new();
  bun_tcp_loop_free(freed);
  bun_tcp_loop *newer = bun_tcp_loop_new(); /* may reuse the address: still not the freed loop */
  if (newer != freed) refused("a freed loop", freed, bound, &o, &h, true, BUN_TCP_EINVAL);
  bun_tcp_loop_free(newer);

  CHECK_EQ(g_calls, 0);
  int fds[] = {bound, file, pipefd[0], pipefd[1], udp, unix_dgram, seqpacket, unbound, unbound6, unbound_unix,
               netlink, server, client, accepted};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (fds[i] >= 0) CHECK(close(fds[i]) == 0); /* each is still open: none was closed by a refusal */
}

/* A bound (or listening) socket becomes a listener; echo; its flags; stop closes it. */
static void serve(enum raw_kind kind, bool already_listening) {
  char name[96];
  snprintf(name, sizeof name, "%s, %s", raw_kind_names[kind], already_listening ? "already listening" : "bound only");
  test_case(name);
  char path[108];
  snprintf(path, sizeof path, "/tmp/bun_tcp_test_%ld_lfd.sock", (long)getpid());
  int fd = raw_bound(kind, path, already_listening ? 5 : 0);
  CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.data = lfd_srv_data;
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.data = &sv;
  o.backlog = 9;
  o.reuse_port = true; /* ignored: an option of bind(2), which is done */
  o.ipv6_only = true;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen_fd(g_loop, fd, &o, &sh, &l));
  sv.l = l;
  CHECK(l.id != 0);
  CHECK(bun_tcp_listener_data(l) == &sv);
  CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
  if (kind != RAW_UNIX) CHECK_EQ(tcp_listen_backlog(fd), already_listening ? 5 : 9);
  char addr[128];
  int family = kind == RAW_V4 ? AF_INET : kind == RAW_V6 ? AF_INET6 : AF_UNIX;
  const char *want = kind == RAW_V4 ? "127.0.0.1" : kind == RAW_V6 ? "::1" : path;
  CHECK_EQ(bun_tcp_listener_address(l, addr, sizeof addr), (long long)strlen(want));
  CHECK_STR(addr, want);
  CHECK_EQ(bun_tcp_listener_family(l), family);
  if (kind == RAW_UNIX)
    CHECK_EQ(bun_tcp_listener_port(l), 0);
  else {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    CHECK(getsockname(fd, (struct sockaddr *)&ss, &sl) == 0);
    uint16_t port = ntohs(kind == RAW_V4 ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
    CHECK_EQ(bun_tcp_listener_port(l), port);
  }
  echo_round(g_loop, l, &sv, kind, path, NULL);
  echo_round(g_loop, l, &sv, kind, path, NULL);
  CHECK_EQ(sv.n_accepted, 2);
  CHECK_OK(bun_tcp_listener_stop(l, false));
  errno = 0;
  CHECK_EQ(fcntl(fd, F_GETFD), -1);
  CHECK_EQ(errno, EBADF);
  if (kind == RAW_UNIX) {
    struct stat st;
    CHECK_MSG(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "stop must not unlink an inherited socket's path");
    unlink(path);
  }
  run_for(g_loop, 10);
  CHECK_EQ(bun_tcp_loop_listener_count(g_loop), 0);
  srv_free(&sv);
}

/* A bound socket listens with the default backlog (511) when opts are NULL or backlog is 0. */
static void null_opts_default_backlog(void) {
  test_case("opts NULL: data NULL, backlog 511");
  int fd = raw_bound(RAW_V4, NULL, 0);
  bun_tcp_handlers h = {0};
  h.data = count_data;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen_fd(g_loop, fd, NULL, &h, &l));
  CHECK(bun_tcp_listener_data(l) == NULL);
  CHECK_EQ(tcp_listen_backlog(fd), 511);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  errno = 0;
  CHECK_EQ(fcntl(fd, F_GETFD), -1);
  CHECK_EQ(errno, EBADF);
  run_for(g_loop, 10);
}

/* allow_half_open from the options reaches the accepted sockets: after the client's end the
 * server side stays writable and its reply still arrives. */
static rec_t g_half_cli;
static void half_srv_end(bun_tcp_socket s, void *d) {
  rec_on_end(s, d);
  CHECK_EQ(bun_tcp_socket_end(s, (const uint8_t *)"late", 4), 4);
}
static void half_cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void half_open_honoured(void) {
  test_case("allow_half_open honoured");
  int fd = raw_bound(RAW_V4, NULL, 0);
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.end = half_srv_end;
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.data = &sv;
  o.allow_half_open = true;
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen_fd(g_loop, fd, &o, &sh, &l));
  rec_init(&g_half_cli);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = half_cli_open;
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = bun_tcp_listener_port(l);
  co.data = &g_half_cli;
  co.allow_half_open = true;
  CHECK_OK(bun_tcp_connect(g_loop, &co, &ch, &g_half_cli.s));
  RUN_UNTIL(g_loop, g_half_cli.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  CHECK_TRACE(&g_half_cli.tr, "open,data:late,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,end,close");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  run_for(g_loop, 10);
  srv_free(&sv);
  rec_free(&g_half_cli);
}

/* Calls from handlers: inside a socket's `data` handler listen_fd works (and the new listener
 * serves at once); inside a `close` handler run by bun_tcp_loop_free it is BUN_TCP_ECLOSED and the
 * descriptor stays the caller's, untouched. */
static int g_inner_fd = -1;
static bun_tcp_listener g_inner;
static int32_t g_inner_rc = 1;
static void inner_listen_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  bun_tcp_handlers h = rec_handlers();
  h.data = lfd_srv_data;
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.data = ((rec_t *)d)->user;
  g_inner_rc = bun_tcp_listen_fd(g_loop, g_inner_fd, &o, &h, &g_inner);
}
static fd_state_t g_free_fd_was;
static void listen_in_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  bun_tcp_handlers h = {0};
  h.data = count_data;
  bun_tcp_listener out = OUT_SENTINEL;
  g_free_fd_was = fd_state_of(g_inner_fd);
  g_inner_rc = bun_tcp_listen_fd((bun_tcp_loop *)((rec_t *)d)->user, g_inner_fd, NULL, &h, &out);
  CHECK(out.id == OUT_SENTINEL.id);
}
static void in_handlers(void) {
  test_case("listen_fd inside a data handler");
  srv_t outer, inner;
  srv_init(&outer);
  srv_init(&inner);
  bun_tcp_handlers sh = rec_handlers();
  bun_tcp_listener l = listen_srv(g_loop, &outer, &sh, false);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers ch = rec_handlers();
  ch.data = inner_listen_data;
  cr.user = &inner;
  g_inner_fd = raw_bound(RAW_V4, NULL, 0);
  connect_rec(g_loop, bun_tcp_listener_port(l), &cr, &ch, false);
  RUN_UNTIL(g_loop, outer.n_accepted == 1 && outer.socks[0].n_open == 1);
  CHECK_EQ(bun_tcp_socket_write(outer.socks[0].s, (const uint8_t *)"go", 2), 2);
  RUN_UNTIL(g_loop, g_inner_rc != 1);
  CHECK_RC(g_inner_rc, 0);
  inner.l = g_inner;
  echo_round(g_loop, g_inner, &inner, RAW_V4, NULL, NULL);
  CHECK_OK(bun_tcp_listener_stop(g_inner, true));
  CHECK_OK(bun_tcp_socket_close(cr.s));
  RUN_UNTIL(g_loop, outer.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  run_for(g_loop, 10);
  srv_free(&outer);
  srv_free(&inner);
  rec_free(&cr);

  test_case("listen_fd inside a close handler run by loop_free: BUN_TCP_ECLOSED, fd untouched");
  bun_tcp_loop *doomed = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_listener dl = listen_srv(doomed, &sv, &sh, false);
  rec_t victim;
  rec_init(&victim);
  victim.user = doomed;
  bun_tcp_handlers vh = rec_handlers();
  vh.close = listen_in_close;
  connect_rec(doomed, bun_tcp_listener_port(dl), &victim, &vh, false);
  RUN_UNTIL(doomed, victim.n_open == 1 && sv.n_accepted == 1);
  g_inner_fd = raw_bound(RAW_V4, NULL, 0);
  g_inner_rc = 1;
  bun_tcp_loop_free(doomed);
  CHECK_RC(g_inner_rc, BUN_TCP_ECLOSED);
  CHECK(fd_state_same(g_free_fd_was, fd_state_of(g_inner_fd)));
  CHECK(close(g_inner_fd) == 0);
  srv_free(&sv);
  rec_free(&victim);
}

int main(void) {
  test_init("test_listen_fd", 60);
  int fds_before = count_open_fds();
  g_loop = new_loop();
  every_refusal(true);
  every_refusal(false);
  serve(RAW_V4, false);
  serve(RAW_V4, true);
  if (ipv6_loopback_works()) {
    serve(RAW_V6, false);
    serve(RAW_V6, true);
  } else
    printf("    (no IPv6 loopback here: the IPv6 cases are skipped)\n");
  serve(RAW_UNIX, false);
  serve(RAW_UNIX, true);
  null_opts_default_backlog();
  half_open_honoured();
  in_handlers();
  CHECK_EQ(g_calls, 0);
  bun_tcp_loop_free(g_loop);
  CHECK_EQ(count_open_fds(), fds_before);
  return test_pass();
}
