/* Connect options local_address / local_port (bun_tcp_connect_options, after allow_half_open):
 *   1. local_address "127.0.0.2" + a free local_port to a 127.0.0.1 listener: the server sees
 *      exactly that address and port as the peer, the client as its local end; traces "open";
 *   2. local_port alone (no local_address): the server sees the port;
 *   3. local_address "[::1]" (brackets allowed) to a listener on ::1: the server sees ::1;
 *   4. local_address "::1" to a "127.0.0.1" target: no address of its family, so
 *      "connect_error:EAFNOSUPPORT" (syscall "bind"), never open or close;
 *   5. a local port held by a listening socket: "connect_error:EADDRINUSE" (syscall "bind"), with
 *      and without local_address;
 *   6. refused at the call, nothing fires: "localhost" and "1.2.3" as local_address are
 *      BUN_TCP_EINVALHOST; local_address or local_port on a unix connect is BUN_TCP_EINVAL. */
#include "harness.h"

static srv_t sv;

/* A port nobody holds right now: bound, read, released. */
static uint16_t free_port(void) {
  uint16_t port = 0;
  int fd = raw_tcp_bound(false, &port);
  close(fd);
  return port;
}

static bun_tcp_connect_options opts_to(const char *host, uint16_t port, rec_t *r) {
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = host;
  o.port = port;
  o.data = r;
  return o;
}

static void connect_ok(bun_tcp_loop *loop, const bun_tcp_connect_options *o, rec_t *r) {
  bun_tcp_handlers h = rec_handlers();
  CHECK_OK(bun_tcp_connect(loop, o, &h, &r->s));
}

/* Connects with the options, waits for both opens, checks the ends both sides see, closes. */
static void bound_connect(bun_tcp_loop *loop, bun_tcp_connect_options *o, const char *want_addr,
                          uint16_t want_port) {
  rec_t c;
  rec_init(&c);
  o->data = &c;
  int accepted_before = sv.n_accepted;
  connect_ok(loop, o, &c);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == accepted_before + 1);
  rec_t *srv_side = &sv.socks[accepted_before];
  char addr[64];
  CHECK_CMP(bun_tcp_socket_remote_address(srv_side->s, addr, sizeof addr), >, 0);
  CHECK_STR(addr, want_addr);
  CHECK_CMP(bun_tcp_socket_local_address(c.s, addr, sizeof addr), >, 0);
  CHECK_STR(addr, want_addr);
  if (want_port) {
    CHECK_EQ(bun_tcp_socket_remote_port(srv_side->s), (int32_t)want_port);
    CHECK_EQ(bun_tcp_socket_local_port(c.s), (int32_t)want_port);
  }
  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, srv_side->n_close == 1);
  CHECK_TRACE(&c.tr, "open,close");
  CHECK_TRACE(&srv_side->tr, "open,end,close");
  rec_free(&c);
}

/* Connects with the options and expects exactly one connect_error with name and syscall. */
static void failing_connect(bun_tcp_loop *loop, bun_tcp_connect_options *o, int32_t code,
                            const char *name, const char *syscall) {
  rec_t c;
  rec_init(&c);
  o->data = &c;
  connect_ok(loop, o, &c);
  CHECK_EQ(c.n_connect_error, 0); /* reported from the loop, never inside the call */
  RUN_UNTIL(loop, c.n_connect_error == 1);
  run_for(loop, 50);
  char expected[96];
  snprintf(expected, sizeof expected, "connect_error:%s", name);
  CHECK_TRACE(&c.tr, expected);
  CHECK_EQ(c.connect_error_code, code);
  CHECK_STR(c.connect_error_syscall, syscall);
  CHECK_EQ(c.n_open + c.n_close, 0);
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), BUN_TCP_STATE_CLOSED);
  rec_free(&c);
}

static void refused_at_call(bun_tcp_loop *loop, bun_tcp_connect_options *o, int32_t code) {
  rec_t c;
  rec_init(&c);
  o->data = &c;
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_socket s = {0};
  CHECK_RC(bun_tcp_connect(loop, o, &h, &s), code);
  CHECK_EQ(s.id, 0u);
  run_for(loop, 30);
  CHECK_EQ(c.total_calls, 0);
  rec_free(&c);
}

int main(void) {
  test_init("connect_local_address", 60);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("local_address 127.0.0.2 and a local_port: the server sees both");
  uint16_t local = free_port();
  bun_tcp_connect_options o = opts_to("127.0.0.1", port, NULL);
  o.local_address = "127.0.0.2";
  o.local_port = local;
  bound_connect(loop, &o, "127.0.0.2", local);

  test_case("local_port alone");
  local = free_port();
  o = opts_to("127.0.0.1", port, NULL);
  o.local_port = local;
  bound_connect(loop, &o, "127.0.0.1", local);

  test_case("local_address [::1] to a listener on ::1");
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "::1";
  lo.data = &sv; /* its accepted socket takes the next record of sv */
  bun_tcp_listener l6 = {0};
  CHECK_OK(bun_tcp_listen(loop, &lo, &h, &l6));
  o = opts_to("::1", bun_tcp_listener_port(l6), NULL);
  o.local_address = "[::1]";
  bound_connect(loop, &o, "::1", 0);
  CHECK_OK(bun_tcp_listener_stop(l6, true));

  test_case("local_address ::1 to 127.0.0.1: no target of its family, EAFNOSUPPORT");
  o = opts_to("127.0.0.1", port, NULL);
  o.local_address = "::1";
  failing_connect(loop, &o, -EAFNOSUPPORT, "EAFNOSUPPORT", "bind");
  o = opts_to("::1", port, NULL);
  o.local_address = "127.0.0.1";
  failing_connect(loop, &o, -EAFNOSUPPORT, "EAFNOSUPPORT", "bind");

  test_case("a busy local port: EADDRINUSE, syscall bind");
  uint16_t busy = 0;
  int holder = raw_tcp_bound(true, &busy); /* listening on 127.0.0.1:busy */
  o = opts_to("127.0.0.1", port, NULL);
  o.local_address = "127.0.0.1";
  o.local_port = busy;
  failing_connect(loop, &o, -EADDRINUSE, "EADDRINUSE", "bind");
  o = opts_to("127.0.0.1", port, NULL);
  o.local_port = busy;
  failing_connect(loop, &o, -EADDRINUSE, "EADDRINUSE", "bind");
  close(holder);

  test_case("refused at the call: a name or a malformed literal as local_address");
  o = opts_to("127.0.0.1", port, NULL);
  o.local_address = "localhost";
  refused_at_call(loop, &o, BUN_TCP_EINVALHOST);
  o.local_address = "1.2.3";
  refused_at_call(loop, &o, BUN_TCP_EINVALHOST);
  o.local_address = "";
  refused_at_call(loop, &o, BUN_TCP_EINVALHOST);

  test_case("refused at the call: local_address or local_port on a unix connect");
  o = opts_to(NULL, 0, NULL);
  o.unix_path = "/tmp/bun_tcp_local_address_unused.sock";
  o.local_address = "127.0.0.1";
  refused_at_call(loop, &o, BUN_TCP_EINVAL);
  o.local_address = NULL;
  o.local_port = 4000;
  refused_at_call(loop, &o, BUN_TCP_EINVAL);

  test_case("nothing else reached the server");
  CHECK_EQ(sv.n_accepted, 3);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  return test_pass();
}
