/* the header: TLS: a client that sends garbage to a TLS server gets closed, and the server keeps
 * serving the others.
 *
 * One TLS listener; an established TLS client A (open, one echo) stays connected throughout.
 * Raw TCP peers then misbehave, one after another:
 *   - an HTTP request in plaintext; a TLS-looking record header followed by junk; 64 KiB of
 *     pseudo-random bytes: each is closed by the server (the raw socket reads EOF or a reset,
 *     possibly after an alert), and the server fires no handler for them (no handshake handler:
 *     a socket whose handshake fails closes silently);
 *   - a peer that connects and closes without a byte: silent too;
 *   - with a handshake handler on the listener (reload), a garbage peer is reported as
 *     "open,handshake:fail:E,error:E,close_err:E" with E = ERR_SSL_PROTOCOL;
 * After each, A still echoes ("still-N"), a new TLS client B completes its exchange, and the
 * listener has accepted exactly the sockets that opened.
 * Also: a TLS client whose "server" answers with a plaintext banner gets connect_error
 * ERR_SSL_PROTOCOL (never open).
 */
#include "harness.h"

static int g_opens;
static void srv_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  g_opens++;
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

/* sends `bytes` from a raw socket, then waits until the server closes it */
static void raw_garbage(bun_tcp_loop *loop, uint16_t port, const uint8_t *bytes, size_t len) {
  int fd = raw_tcp_connect(port);
  if (len) {
    size_t off = 0;
    double deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();
    set_nonblock(fd);
    while (off < len) {
      ssize_t n = send(fd, bytes + off, len - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += (size_t)n;
        continue;
      }
      if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) break; /* already closed on us */
      if (n < 0 && errno != EAGAIN && errno != EINTR) FAIL("raw send: %s", strerror(errno));
      if (now_ms() > deadline) FAIL("raw send of garbage did not finish");
      poll_ok(loop, 10);
    }
  } else {
    shutdown(fd, SHUT_WR);
  }
  double deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();
  uint8_t buf[4096];
  size_t got = 0;
  for (;;) {
    ssize_t n = raw_read(fd, buf, sizeof buf, true);
    if (n == 0 || n == -2) break; /* EOF or reset: closed by the server */
    if (n > 0) got += (size_t)n;
    if (now_ms() > deadline) FAIL("the server did not close the garbage peer");
    poll_ok(loop, 10);
  }
  printf("    garbage peer closed by the server (%zu bytes of alert before)\n", got);
  CHECK_CMP(got, <, 64); /* at most an alert record, never application data */
  close(fd);
}

static void check_alive(bun_tcp_loop *loop, bun_tcp_socket a, rec_t *ar, int round,
                        const tls_cfg *client, uint16_t port) {
  char msg[32];
  int n = snprintf(msg, sizeof msg, "still-%d", round);
  size_t before = ar->in.len;
  CHECK_EQ(bun_tcp_socket_write(a, (const uint8_t *)msg, (size_t)n), n);
  RUN_UNTIL(loop, ar->in.len == before + (size_t)n);
  CHECK(memcmp(ar->in.ptr + before, msg, (size_t)n) == 0);
  /* a new client is served too */
  rec_t br;
  rec_init(&br);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_socket b = connect_tls_rec(loop, NULL, port, &br, &h, &client->o);
  RUN_UNTIL(loop, br.n_open == 1);
  CHECK_EQ(bun_tcp_socket_write(b, (const uint8_t *)"B", 1), 1);
  RUN_UNTIL(loop, br.in.len == 1);
  CHECK_OK(bun_tcp_socket_close(b));
  CHECK_TRACE(&br.tr, "open,data:B,close");
  rec_free(&br);
}

static void banner_server(void) {
  test_case("TLS client against a plaintext banner: connect_error ERR_SSL_PROTOCOL");
  bun_tcp_loop *loop = new_loop();
  uint16_t port;
  int lfd = raw_tcp_bound(true, &port);
  tls_cfg c;
  tls_cfg_client(&c);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers h = rec_handlers();
  connect_tls_rec(loop, NULL, port, &r, &h, &c.o);
  int fd = raw_accept_polling(loop, lfd);
  raw_send_all(fd, "220 smtp.example ESMTP ready\r\n", 30);
  RUN_UNTIL(loop, r.n_connect_error == 1);
  run_for(loop, 50);
  CHECK_TRACE(&r.tr, "connect_error:ERR_SSL_PROTOCOL");
  CHECK_EQ(r.connect_error_code, BUN_TCP_ETLS_PROTOCOL);
  close(fd);
  close(lfd);
  bun_tcp_loop_free(loop);
  rec_free(&r);
}

int main(void) {
  test_init("test_tls_garbage_client", 60);
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ETLS_PROTOCOL), "ERR_SSL_PROTOCOL");
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open;
  sh.data = srv_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("established client A");
  rec_t ar;
  rec_init(&ar);
  bun_tcp_handlers ah = rec_handlers();
  bun_tcp_socket a = connect_tls_rec(loop, NULL, port, &ar, &ah, &client.o);
  RUN_UNTIL(loop, ar.n_open == 1 && g_opens == 1);
  check_alive(loop, a, &ar, 0, &client, port);
  int opens = g_opens; /* A and B */

  static const char http[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  static const uint8_t record[] = {0x16, 0x03, 0x01, 0x00, 0x20, 'j', 'u', 'n', 'k', 0, 1, 2, 3,
                                   4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                   21, 22, 23, 24, 25, 26, 27};
  uint8_t *noise = (uint8_t *)malloc(64 * 1024);
  if (!noise) FAIL("out of memory");
  stream_fill(99, 0, noise, 64 * 1024);

  test_case("plaintext HTTP request");
  raw_garbage(loop, port, (const uint8_t *)http, sizeof http - 1);
  check_alive(loop, a, &ar, 1, &client, port);
  test_case("TLS record header with junk");
  raw_garbage(loop, port, record, sizeof record);
  check_alive(loop, a, &ar, 2, &client, port);
  test_case("64 KiB of noise");
  raw_garbage(loop, port, noise, 64 * 1024);
  check_alive(loop, a, &ar, 3, &client, port);
  test_case("connect and close without a byte");
  raw_garbage(loop, port, NULL, 0);
  check_alive(loop, a, &ar, 4, &client, port);
  /* only A and the B clients ever opened */
  CHECK_EQ(g_opens, opens + 4);
  for (int i = 0; i < sv.n_accepted; i++) CHECK_EQ(sv.socks[i].n_handshake, 0);

  test_case("with a handshake handler the garbage peer is reported");
  bun_tcp_handlers sh2 = sh;
  sh2.handshake = rec_on_handshake;
  CHECK_OK(bun_tcp_listener_reload(l, &sh2));
  int idx = sv.n_accepted;
  raw_garbage(loop, port, (const uint8_t *)http, sizeof http - 1);
  RUN_UNTIL(loop, sv.n_accepted == idx + 1 && sv.socks[idx].n_close == 1);
  CHECK_TRACE(&sv.socks[idx].tr, "open,handshake:fail:ERR_SSL_PROTOCOL,error:ERR_SSL_PROTOCOL,"
                                  "close_err:ERR_SSL_PROTOCOL");
  check_alive(loop, a, &ar, 5, &client, port);

  CHECK_OK(bun_tcp_socket_close(a));
  CHECK_EQ(ar.n_close, 1);
  CHECK_EQ(ar.n_error, 0);
  bun_tcp_listener_stop(l, true);
  run_for(loop, 20);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  free(noise);
  srv_free(&sv);
  rec_free(&ar);

  banner_server();
  tls_fixtures_free();
  return test_pass();
}
