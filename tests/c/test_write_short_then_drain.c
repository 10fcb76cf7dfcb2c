/* A short write: writing 64 MiB at once to a peer that is paused returns 0 < n < len; drain follows
 * once the peer reads again; the rest, resent from drain, arrives complete and in order. */
#include "harness.h"

#define SEED 77u
#define LEN (64u << 20)

static srv_t sv;
static uint8_t *buf;
static size_t sent;
static int64_t first_n = -1;
static int c_drain, c_close;
static uint64_t recv_off;
static bool recv_ok = true;

static void c_open(bun_tcp_socket s, void *d) { (void)s; (void)d; }
static void c_on_drain(bun_tcp_socket s, void *d) {
  (void)d;
  c_drain++;
  while (sent < LEN) {
    int64_t n = bun_tcp_socket_write(s, buf + sent, LEN - sent);
    CHECK_CMP(n, >=, 0);
    sent += (size_t)n;
    if (sent < LEN) return;
  }
  CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void c_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)s; (void)d;
  CHECK(e == NULL);
  c_close++;
}
static void s_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  if (recv_ok && !stream_check(SEED, recv_off, b, n)) {
    recv_ok = false;
    FAIL("received bytes differ from the stream at offset %llu", (unsigned long long)recv_off);
  }
  recv_off += n;
}

int main(void) {
  test_init("write_short_then_drain", 120);
  buf = (uint8_t *)malloc(LEN);
  stream_fill(SEED, 0, buf, LEN);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  sv.keep_bytes = false;
  sv.pause_on_open = true;
  bun_tcp_handlers hs = rec_handlers();
  hs.data = s_data;
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);

  bun_tcp_handlers hc;
  memset(&hc, 0, sizeof hc);
  hc.open = c_open;
  hc.drain = c_on_drain;
  hc.close = c_on_close;
  static int ctag;
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = bun_tcp_listener_port(l);
  co.data = &ctag;
  bun_tcp_socket cs = {0};
  CHECK_OK(bun_tcp_connect(loop, &co, &hc, &cs));
  RUN_UNTIL(loop, sv.n_accepted == 1 && bun_tcp_socket_ready_state(cs) == 1);
  rec_t *r = &sv.socks[0];
  r->tr.data_contents = false;

  test_case("64 MiB to a paused peer is a short write");
  first_n = bun_tcp_socket_write(cs, buf, LEN);
  printf("    first write accepted %lld of %u bytes\n", (long long)first_n, LEN);
  CHECK_CMP(first_n, >, 0);
  CHECK_CMP(first_n, <, LEN);
  sent = (size_t)first_n;
  CHECK_EQ(c_drain, 0); /* drain never fires synchronously inside write */
  CHECK_EQ(r->bytes_in, 0); /* paused: nothing delivered */

  test_case("resume the peer: drain fires and the rest goes through");
  run_for(loop, 100);
  CHECK_EQ(r->bytes_in, 0);
  CHECK_OK(bun_tcp_socket_resume(r->s));
  RUN_UNTIL_MS(loop, c_drain >= 1, 20000);
  RUN_UNTIL_MS(loop, c_close == 1 && r->n_close == 1, 60000);
  CHECK_EQ(sent, LEN);
  CHECK_EQ(r->bytes_in, LEN);
  CHECK(recv_ok);
  CHECK_TRACE(&r->tr, "open,data,end,close");
  CHECK_EQ(r->n_drain, 0);
  printf("    %d drains\n", c_drain);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  free(buf);
  return test_pass();
}
