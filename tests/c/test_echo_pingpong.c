/* Echo ping-pong, 10 rounds: the client sends "ping <i>", the server echoes it from its data handler,
 * the client sends the next one when the echo is complete. Every write is accepted whole and no drain
 * fires on either side (drain only follows a short write). */
#include "harness.h"

#define ROUNDS 10
static int rounds_done;
static char expect[32];
static size_t expect_len;
static bytebuf_t got;
static int c_drain, s_drain, c_close, s_close, s_open, c_open;

static void send_ping(bun_tcp_socket s) {
  expect_len = (size_t)snprintf(expect, sizeof expect, "ping %d", rounds_done);
  got.len = 0;
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)expect, expect_len), (long long)expect_len);
}

static void c_on_open(bun_tcp_socket s, void *d) {
  (void)d;
  c_open++;
  send_ping(s);
}
static void c_on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  (void)d;
  bytebuf_append(&got, b, n);
  CHECK_CMP(got.len, <=, expect_len);
  if (got.len < expect_len) return;
  CHECK(memcmp(got.ptr, expect, expect_len) == 0);
  rounds_done++;
  if (rounds_done < ROUNDS)
    send_ping(s);
  else
    CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void c_on_drain(bun_tcp_socket s, void *d) { (void)s; (void)d; c_drain++; }
static void c_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)s; (void)d;
  CHECK(e == NULL);
  c_close++;
}
static void s_on_open(bun_tcp_socket s, void *d) { (void)s; (void)d; s_open++; }
static void s_on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  (void)d;
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}
static void s_on_drain(bun_tcp_socket s, void *d) { (void)s; (void)d; s_drain++; }
static void s_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)s; (void)d;
  CHECK(e == NULL);
  s_close++;
}

int main(void) {
  test_init("echo_pingpong", 30);
  bun_tcp_loop *loop = new_loop();
  static int ltag, ctag;
  bun_tcp_handlers hs, hc;
  memset(&hs, 0, sizeof hs);
  memset(&hc, 0, sizeof hc);
  hs.open = s_on_open; hs.data = s_on_data; hs.drain = s_on_drain; hs.close = s_on_close;
  hc.open = c_on_open; hc.data = c_on_data; hc.drain = c_on_drain; hc.close = c_on_close;

  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  lo.data = &ltag;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &lo, &hs, &l));
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = bun_tcp_listener_port(l);
  co.data = &ctag;
  bun_tcp_socket s = {0};
  CHECK_OK(bun_tcp_connect(loop, &co, &hc, &s));

  RUN_UNTIL(loop, c_close == 1 && s_close == 1);
  CHECK_EQ(rounds_done, ROUNDS);
  CHECK_EQ(c_open, 1);
  CHECK_EQ(s_open, 1);
  CHECK_EQ(c_drain, 0);
  CHECK_EQ(s_drain, 0);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  bytebuf_free(&got);
  return test_pass();
}
