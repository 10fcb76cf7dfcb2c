/* helpers shared by test_listen_fd.c and test_tls_listen_fd.c (header-only, after harness.h):
 * raw sockets made the way systemd makes them (blocking, no FD_CLOEXEC), their flags, and one
 * echo round over a listener made with bun_tcp_listen_fd. */
#ifndef BUN_TCP_TEST_LISTEN_FD_COMMON_H
#define BUN_TCP_TEST_LISTEN_FD_COMMON_H
#include "harness.h"
#include <netinet/tcp.h>
#include <sys/un.h>

enum raw_kind { RAW_V4, RAW_V6, RAW_UNIX };
static const char *const raw_kind_names[] = {"IPv4", "IPv6", "unix"};

/* A stream socket bound to 127.0.0.1, ::1 or `unix_path`, port ephemeral; listening with
 * `backlog` unless it is 0. Blocking and without FD_CLOEXEC, as an inherited socket arrives. */
static HARNESS_UNUSED int raw_bound(enum raw_kind kind, const char *unix_path, int backlog) {
  int family = kind == RAW_V4 ? AF_INET : kind == RAW_V6 ? AF_INET6 : AF_UNIX;
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) FAIL("socket: %s", strerror(errno));
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (kind == RAW_V4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  } else if (kind == RAW_V6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    struct sockaddr_un *a = (struct sockaddr_un *)&ss;
    a->sun_family = AF_UNIX;
    snprintf(a->sun_path, sizeof a->sun_path, "%s", unix_path);
    unlink(unix_path);
    len = sizeof *a;
  }
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) FAIL("bind %s: %s", raw_kind_names[kind], strerror(errno));
  if (backlog > 0 && listen(fd, backlog) < 0) FAIL("listen: %s", strerror(errno));
  return fd;
}

static HARNESS_UNUSED bool ipv6_loopback_works(void) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

/* What must not change on a refused call: descriptor flags, status flags, listening state. */
typedef struct fd_state {
  int fd_flags, status_flags, accept_conn;
} fd_state_t;

static HARNESS_UNUSED fd_state_t fd_state_of(int fd) {
  fd_state_t st;
  st.fd_flags = fcntl(fd, F_GETFD);
  st.status_flags = fcntl(fd, F_GETFL);
  socklen_t len = sizeof st.accept_conn;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &st.accept_conn, &len) < 0) st.accept_conn = -errno;
  return st;
}

static HARNESS_UNUSED bool fd_state_same(fd_state_t a, fd_state_t b) {
  return a.fd_flags == b.fd_flags && a.status_flags == b.status_flags && a.accept_conn == b.accept_conn;
}

/* A listening TCP socket's backlog as the kernel keeps it (tcpi_sacked is sk_max_ack_backlog for
 * a socket in LISTEN). */
static HARNESS_UNUSED int tcp_listen_backlog(int fd) {
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) FAIL("TCP_INFO: %s", strerror(errno));
  if (ti.tcpi_state != TCP_LISTEN) FAIL("not in LISTEN (state %d)", ti.tcpi_state);
  return (int)ti.tcpi_sacked;
}

/* ---- one echo round: a client says "ping" when ready, the server echoes, the client ends ---- */
static HARNESS_UNUSED void lfd_srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write_all(s, b, n), (long long)n);
}
static HARNESS_UNUSED void lfd_cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)"ping", 4), 4);
}
static HARNESS_UNUSED void lfd_cli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  if (ok && !e) CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)"ping", 4), 4);
}
static HARNESS_UNUSED void lfd_cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->in.len == 4) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

/* Connects to the listener `l` (on `kind`, unix at `unix_path`), runs one echo round and checks
 * both traces. With `client_tls` the client verifies the server (server.crt: localhost, 127.0.0.1,
 * ::1) and writes in its handshake handler. */
static HARNESS_UNUSED void echo_round(bun_tcp_loop *loop, bun_tcp_listener l, srv_t *sv, enum raw_kind kind,
                                      const char *unix_path, const bun_tcp_tls_options *client_tls) {
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers ch = rec_handlers();
  ch.data = lfd_cli_data;
  if (client_tls)
    ch.handshake = lfd_cli_handshake;
  else
    ch.open = lfd_cli_open;
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  if (kind == RAW_UNIX)
    co.unix_path = unix_path;
  else {
    co.hostname = kind == RAW_V4 ? "127.0.0.1" : "::1";
    co.port = bun_tcp_listener_port(l);
    CHECK_CMP(co.port, >, 0);
  }
  co.data = &cr;
  co.tls = client_tls;
  int before = sv->n_accepted;
  CHECK_OK(bun_tcp_connect(loop, &co, &ch, &cr.s));
  RUN_UNTIL(loop, cr.n_close == 1 && sv->n_accepted == before + 1 && sv->socks[before].n_close == 1);
  CHECK_TRACE(&cr.tr, client_tls ? "open,handshake:ok,data:ping,end,close" : "open,data:ping,end,close");
  CHECK_TRACE(&sv->socks[before].tr, "open,data:ping,end,close");
  check_closed_once(&cr, "client");
  check_closed_once(&sv->socks[before], "server side");
  rec_free(&cr);
}
#endif
