/* bun_tcp_socket_set_keep_alive_ex(s, on, idle_s, interval_s, count), as uv_tcp_keepalive_ex:
 *   1. the values reach the kernel (getsockopt SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL,
 *      TCP_KEEPCNT), on a client and on an accepted socket, the limits 1 and 32767 / 127 included;
 *   2. a value out of the kernel's range (0, 32768, or a count of 0 or 128, UINT32_MAX) is
 *      BUN_TCP_EINVAL and changes nothing: all four options read back as before, whether
 *      keep-alive was off or on;
 *   3. off: SO_KEEPALIVE goes off and the times are ignored (even out-of-range ones);
 *   4. set while connecting (IP literal: the descriptor exists), applied to the connection that
 *      opens; -ENOTCONN while a host name resolves; unix sockets: 0, nothing to set;
 *   5. stale handle: BUN_TCP_ECLOSED; nothing fired on the way ("open" only). */
#include "harness.h"

typedef struct ka {
  int on, idle, interval, count;
} ka_t;

static int opt(int fd, int level, int name) {
  int v = -1;
  socklen_t l = sizeof v;
  if (getsockopt(fd, level, name, &v, &l) != 0) FAIL("getsockopt: %s", strerror(errno));
  return v;
}

static ka_t read_ka(int fd) {
  ka_t k = {opt(fd, SOL_SOCKET, SO_KEEPALIVE) != 0, opt(fd, IPPROTO_TCP, TCP_KEEPIDLE),
            opt(fd, IPPROTO_TCP, TCP_KEEPINTVL), opt(fd, IPPROTO_TCP, TCP_KEEPCNT)};
  return k;
}

#define CHECK_KA(fd, want_on, want_idle, want_interval, want_count)                                \
  do {                                                                                             \
    ka_t k_ = read_ka(fd);                                                                         \
    CHECK_EQ(k_.on, (want_on));                                                                    \
    CHECK_EQ(k_.idle, (want_idle));                                                                \
    CHECK_EQ(k_.interval, (want_interval));                                                        \
    CHECK_EQ(k_.count, (want_count));                                                              \
  } while (0)

/* every refused combination leaves the four options exactly as they were */
static void refused_leave_all(bun_tcp_socket s, int fd) {
  static const uint32_t bad[][3] = {
      {0, 10, 5},     {32768, 10, 5}, {UINT32_MAX, 10, 5}, {30, 0, 5},         {30, 32768, 5},
      {30, UINT32_MAX, 5}, {30, 10, 0}, {30, 10, 128},     {30, 10, UINT32_MAX}, {0, 0, 0},
  };
  ka_t before = read_ka(fd);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_RC(bun_tcp_socket_set_keep_alive_ex(s, true, bad[i][0], bad[i][1], bad[i][2]), BUN_TCP_EINVAL);
    CHECK_KA(fd, before.on, before.idle, before.interval, before.count);
  }
}

int main(void) {
  test_init("keep_alive_ex", 30);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t c;
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("set while connecting: applied to the connection that opens");
  bun_tcp_socket s = connect_rec(loop, port, &c, &h, false);
  CHECK_EQ(bun_tcp_socket_ready_state(s), BUN_TCP_STATE_CONNECTING);
  CHECK_OK(bun_tcp_socket_set_keep_alive_ex(s, true, 45, 7, 4));
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  int fd = bun_tcp_socket_fd(s);
  int sfd = bun_tcp_socket_fd(sv.socks[0].s);
  CHECK_CMP(fd, >=, 0);
  CHECK_CMP(sfd, >=, 0);
  CHECK_KA(fd, 1, 45, 7, 4);

  test_case("values reach the kernel, limits included");
  CHECK_OK(bun_tcp_socket_set_keep_alive_ex(s, true, 1, 1, 1));
  CHECK_KA(fd, 1, 1, 1, 1);
  CHECK_OK(bun_tcp_socket_set_keep_alive_ex(s, true, 32767, 32767, 127));
  CHECK_KA(fd, 1, 32767, 32767, 127);
  CHECK_OK(bun_tcp_socket_set_keep_alive_ex(sv.socks[0].s, true, 600, 60, 9));
  CHECK_KA(sfd, 1, 600, 60, 9);

  test_case("out of range while on: EINVAL, nothing changed");
  CHECK_OK(bun_tcp_socket_set_keep_alive_ex(s, true, 30, 10, 5));
  refused_leave_all(s, fd);
  CHECK_KA(fd, 1, 30, 10, 5);

  test_case("off: SO_KEEPALIVE off, the times ignored");
  CHECK_OK(bun_tcp_socket_set_keep_alive_ex(s, false, 0, UINT32_MAX, 0));
  CHECK_KA(fd, 0, 30, 10, 5);

  test_case("out of range while off: EINVAL, nothing changed");
  refused_leave_all(s, fd);
  CHECK_KA(fd, 0, 30, 10, 5);

  test_case("set_keep_alive keeps the interval and count set by set_keep_alive_ex");
  CHECK_OK(bun_tcp_socket_set_keep_alive(s, true, 20000));
  CHECK_KA(fd, 1, 20, 10, 5);

  test_case("a host name still resolving: -ENOTCONN");
  rec_t named;
  rec_init(&named);
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "localhost";
  o.port = port;
  o.data = &named;
  CHECK_OK(bun_tcp_connect(loop, &o, &h, &named.s));
  int32_t rc = bun_tcp_socket_set_keep_alive_ex(named.s, true, 30, 10, 5);
  /* the resolver thread may already have answered and the attempt started: then 0 */
  CHECK_MSG(rc == -ENOTCONN || rc == 0, "rc %d", rc);
  RUN_UNTIL(loop, named.n_open + named.n_connect_error == 1);
  if (named.n_open) CHECK_OK(bun_tcp_socket_close(named.s));

  test_case("unix sockets: 0, nothing to set");
  {
    char path[64];
    snprintf(path, sizeof path, "/tmp/bun_tcp_ka_ex_%d.sock", (int)getpid());
    unlink(path);
    srv_t usv;
    srv_init(&usv);
    bun_tcp_listen_options lo;
    memset(&lo, 0, sizeof lo);
    lo.unix_path = path;
    lo.data = &usv;
    bun_tcp_listener ul = {0};
    CHECK_OK(bun_tcp_listen(loop, &lo, &h, &ul));
    rec_t uc;
    rec_init(&uc);
    memset(&o, 0, sizeof o);
    o.unix_path = path;
    o.data = &uc;
    CHECK_OK(bun_tcp_connect(loop, &o, &h, &uc.s));
    RUN_UNTIL(loop, uc.n_open == 1 && usv.n_accepted == 1);
    CHECK_OK(bun_tcp_socket_set_keep_alive_ex(uc.s, true, 30, 10, 5));
    CHECK_RC(bun_tcp_socket_set_keep_alive_ex(uc.s, true, 0, 10, 5), BUN_TCP_EINVAL);
    CHECK_OK(bun_tcp_socket_close(uc.s));
    RUN_UNTIL(loop, usv.socks[0].n_close == 1);
    CHECK_OK(bun_tcp_listener_stop(ul, true));
    rec_free(&uc);
    srv_free(&usv);
  }

  test_case("nothing fired; stale handles refused");
  CHECK_TRACE(&c.tr, "open");
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_OK(bun_tcp_socket_close(s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  poll_ok(loop, 0);
  CHECK_RC(bun_tcp_socket_set_keep_alive_ex(s, true, 30, 10, 5), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_set_keep_alive_ex(s, false, 0, 0, 0), BUN_TCP_ECLOSED);
  bun_tcp_socket zero = {0};
  CHECK_RC(bun_tcp_socket_set_keep_alive_ex(zero, true, 30, 10, 5), BUN_TCP_ECLOSED);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  rec_free(&named);
  srv_free(&sv);
  return test_pass();
}
