/* end(32 MiB) accepts the whole chunk (returns 32 MiB) even though the peer is paused; every byte is
 * delivered in order once the peer resumes, then the FIN: the server sees open, data..., end, close.
 * Writes after end are refused. */
#include "harness.h"

#define SEED 99u
#define LEN (32u << 20)

static srv_t sv;
static rec_t c;
static uint8_t *buf;
static uint64_t recv_off;

static void s_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  if (!stream_check(SEED, recv_off, b, n))
    FAIL("received bytes differ from the stream at offset %llu", (unsigned long long)recv_off);
  recv_off += n;
}

int main(void) {
  test_init("end_large_payload", 120);
  buf = (uint8_t *)malloc(LEN);
  stream_fill(SEED, 0, buf, LEN);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  sv.keep_bytes = false;
  sv.pause_on_open = true;
  rec_init(&c);
  bun_tcp_handlers hs = rec_handlers();
  hs.data = s_data;
  bun_tcp_handlers hc = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &hc, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  rec_t *r = &sv.socks[0];
  r->tr.data_contents = false;

  test_case("end(32 MiB) returns the whole length");
  CHECK_EQ(bun_tcp_socket_end(c.s, buf, LEN), LEN);
  memset(buf, 0, LEN); /* the library must have copied what it queued */
  CHECK_NEG(bun_tcp_socket_write(c.s, (const uint8_t *)"x", 1));

  test_case("the paused peer gets nothing, then everything after resume");
  run_for(loop, 100);
  CHECK_EQ(r->bytes_in, 0);
  CHECK_EQ(c.n_close, 0);
  CHECK_OK(bun_tcp_socket_resume(r->s));
  RUN_UNTIL_MS(loop, c.n_close == 1 && r->n_close == 1, 60000);
  CHECK_EQ(r->bytes_in, LEN);
  CHECK_EQ(recv_off, LEN);
  CHECK_TRACE(&r->tr, "open,data,end,close");
  CHECK_TRACE(&c.tr, "open,end,close");
  CHECK_EQ(c.n_error, 0);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  free(buf);
  return test_pass();
}
