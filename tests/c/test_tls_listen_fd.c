/* TLS over an inherited descriptor: bun_tcp_listen_fd with `tls` on a bound socket over IPv4,
 * IPv6 and unix-domain (and on one already listening). A client that trusts ca.crt verifies
 * server.crt (localhost, 127.0.0.1, ::1) and runs one echo round:
 *   client "open,handshake:ok,data:ping,end,close", server "open,data:ping,end,close".
 * tls_handshake_timeout_ms is honoured: a raw client that never speaks is closed by the server
 * after 200 ms (its read sees EOF), with no handler on the server (it never opened). */
#include "harness.h"
#include "listen_fd_common.h"

static void tls_serve(bun_tcp_loop *loop, enum raw_kind kind, bool already_listening) {
  char name[96];
  snprintf(name, sizeof name, "TLS, %s, %s", raw_kind_names[kind], already_listening ? "listening" : "bound only");
  test_case(name);
  char path[108];
  snprintf(path, sizeof path, "/tmp/bun_tcp_test_%ld_tlfd.sock", (long)getpid());
  int fd = raw_bound(kind, path, already_listening ? 16 : 0);
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.data = lfd_srv_data;
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.data = &sv;
  o.tls = &server.o;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen_fd(loop, fd, &o, &sh, &l));
  sv.l = l;
  echo_round(loop, l, &sv, kind, path, &client.o);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  errno = 0;
  CHECK_EQ(fcntl(fd, F_GETFD), -1);
  CHECK_EQ(errno, EBADF);
  if (kind == RAW_UNIX) unlink(path);
  run_for(loop, 10);
  srv_free(&sv);
}

static void handshake_timeout_honoured(bun_tcp_loop *loop) {
  test_case("TLS, tls_handshake_timeout_ms honoured");
  int fd = raw_bound(RAW_V4, NULL, 0);
  tls_cfg server;
  tls_cfg_server(&server);
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.data = &sv;
  o.tls = &server.o;
  o.tls_handshake_timeout_ms = 200;
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen_fd(loop, fd, &o, &sh, &l));
  int silent = raw_tcp_connect(bun_tcp_listener_port(l));
  set_nonblock(silent);
  double t0 = now_ms();
  bool eof = false;
  while (!eof) {
    CHECK_MSG(now_ms() - t0 < DEFAULT_WAIT_MS * harness_time_scale(), "the silent client was never closed");
    poll_ok(loop, 20);
    char b;
    ssize_t n = read(silent, &b, 1);
    if (n == 0 || (n < 0 && errno != EAGAIN)) eof = true;
  }
  CHECK_CMP(now_ms() - t0, >=, 150.0); /* not before the limit (a lower bound only) */
  CHECK_EQ(sv.n_accepted, 0);          /* it never opened: no handler */
  close(silent);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  run_for(loop, 10);
  srv_free(&sv);
}

int main(void) {
  test_init("test_tls_listen_fd", 60);
  bun_tcp_loop *loop = new_loop();
  tls_serve(loop, RAW_V4, false);
  tls_serve(loop, RAW_V4, true);
  if (ipv6_loopback_works()) {
    tls_serve(loop, RAW_V6, false);
    tls_serve(loop, RAW_V6, true);
  } else
    printf("    (no IPv6 loopback here: the IPv6 cases are skipped)\n");
  tls_serve(loop, RAW_UNIX, false);
  tls_serve(loop, RAW_UNIX, true);
  handshake_timeout_honoured(loop);
  bun_tcp_loop_free(loop);
  tls_fixtures_free();
  return test_pass();
}
