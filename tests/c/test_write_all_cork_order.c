/* write_all + cork keep every byte in order (the header: bun_tcp_socket_write_all / cork, draft notes):
 *  A. write_all(16 MiB) to a paused peer returns 16 MiB and leaves bytes queued (buffered_amount > 0);
 *     a plain write while the queue is not empty returns 0 (does not jump the queue); more write_all
 *     and corked write/write_all (each returning len) queue behind; after the peer resumes, drain fires
 *     with buffered_amount == 0.
 *  B. cork; write; write_all; write; uncork with an empty queue.
 *  C. cork inside a handler without uncork: flushed when the handler returns.
 *  D. 300 rounds interleaving write_all, plain write (remainder re-sent with write_all) and corked
 *     groups while the peer reads.
 * The receiver checks that it got exactly the concatenation (one deterministic stream), then end. */
#include "harness.h"

#define SEED 4242u

static srv_t sv;
static rec_t c;
static uint64_t off;              /* stream bytes handed to the library so far */
static uint64_t recv_off;
static int drains_with_empty_queue, drains_with_bytes;
static uint8_t *tmp;
static bool phase_c_done;

static const uint8_t *stream_at(uint64_t o, size_t n) {
  stream_fill(SEED, o, tmp, n);
  return tmp;
}

static void s_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  if (!stream_check(SEED, recv_off, b, n))
    FAIL("receiver: bytes differ from the expected concatenation at offset %llu",
         (unsigned long long)recv_off);
  recv_off += n;
}

static void c_drain(bun_tcp_socket s, void *data) {
  rec_on_drain(s, data);
  if (bun_tcp_socket_buffered_amount(s) == 0)
    drains_with_empty_queue++;
  else
    drains_with_bytes++;
}

static void c_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  if (phase_c_done) return;
  phase_c_done = true;
  /* C: cork and never uncork: the library flushes when this handler returns */
  CHECK_OK(bun_tcp_socket_cork(s));
  static const size_t sizes[3] = {1000, 2000, 3000};
  for (int i = 0; i < 3; i++) {
    int64_t r = i == 1 ? bun_tcp_socket_write_all(s, stream_at(off, sizes[i]), sizes[i])
                       : bun_tcp_socket_write(s, stream_at(off, sizes[i]), sizes[i]);
    CHECK_EQ(r, (long long)sizes[i]);
    off += sizes[i];
  }
}

static void write_all_n(size_t n) {
  CHECK_EQ(bun_tcp_socket_write_all(c.s, stream_at(off, n), n), (long long)n);
  off += n;
}

int main(void) {
  test_init("write_all_cork_order", 120);
  tmp = (uint8_t *)malloc(16u << 20);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  sv.keep_bytes = false;
  sv.pause_on_open = true;
  rec_init(&c);
  bun_tcp_handlers hs = rec_handlers();
  hs.data = s_data;
  bun_tcp_handlers hc = rec_handlers();
  hc.drain = c_drain;
  hc.data = c_data;
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &hc, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  rec_t *r = &sv.socks[0];
  r->tr.data_contents = false;

  test_case("A: queue behind a paused peer");
  CHECK_EQ(bun_tcp_socket_buffered_amount(c.s), 0);
  write_all_n(16u << 20);
  size_t q = bun_tcp_socket_buffered_amount(c.s);
  printf("    buffered after write_all(16 MiB): %zu\n", q);
  CHECK_CMP(q, >, 0);
  CHECK_CMP(q, <=, 16u << 20);
  CHECK_EQ(bun_tcp_socket_write(c.s, stream_at(off, 10), 10), 0); /* no queue jumping */
  write_all_n(1000);
  CHECK_CMP(bun_tcp_socket_buffered_amount(c.s), >=, 1000);
  CHECK_OK(bun_tcp_socket_cork(c.s));
  CHECK_EQ(bun_tcp_socket_write(c.s, stream_at(off, 100), 100), 100);
  off += 100;
  write_all_n(200);
  CHECK_EQ(bun_tcp_socket_write(c.s, stream_at(off, 300), 300), 300);
  off += 300;
  CHECK_OK(bun_tcp_socket_uncork(c.s));
  CHECK_EQ(c.n_drain, 0);
  run_for(loop, 50);
  CHECK_EQ(r->bytes_in, 0);
  CHECK_OK(bun_tcp_socket_resume(r->s));
  RUN_UNTIL_MS(loop, recv_off == off && c.n_drain >= 1 && bun_tcp_socket_buffered_amount(c.s) == 0, 30000);
  CHECK_CMP(drains_with_empty_queue, >=, 1);
  CHECK_EQ(drains_with_bytes, 0); /* drain fires when the queue is empty again */

  test_case("B: corked group on an empty queue");
  CHECK_OK(bun_tcp_socket_cork(c.s));
  CHECK_EQ(bun_tcp_socket_write(c.s, stream_at(off, 5000), 5000), 5000);
  off += 5000;
  write_all_n(10000);
  CHECK_EQ(bun_tcp_socket_write(c.s, stream_at(off, 7), 7), 7);
  off += 7;
  CHECK_OK(bun_tcp_socket_uncork(c.s));
  RUN_UNTIL(loop, recv_off == off);

  test_case("C: cork inside a handler, flushed when it returns");
  CHECK_EQ(bun_tcp_socket_write(r->s, (const uint8_t *)"go", 2), 2);
  RUN_UNTIL(loop, phase_c_done);
  RUN_UNTIL(loop, recv_off == off);
  CHECK_EQ(bun_tcp_socket_buffered_amount(c.s), 0);

  test_case("D: 300 interleaved rounds");
  uint64_t rng = 1;
  for (int i = 0; i < 300; i++) {
    rng = splitmix64(rng);
    size_t n1 = 1 + (size_t)(rng % 65536);
    size_t n2 = 1 + (size_t)((rng >> 20) % 4096);
    size_t n3 = 1 + (size_t)((rng >> 40) % 30000);
    write_all_n(n1);
    int64_t w = bun_tcp_socket_write(c.s, stream_at(off, n2), n2);
    CHECK_CMP(w, >=, 0);
    CHECK_CMP(w, <=, (long long)n2);
    off += (uint64_t)w;
    if ((size_t)w < n2) write_all_n(n2 - (size_t)w); /* re-send the rest, in order */
    CHECK_OK(bun_tcp_socket_cork(c.s));
    write_all_n(n3);
    CHECK_EQ(bun_tcp_socket_write(c.s, stream_at(off, 50), 50), 50);
    off += 50;
    CHECK_OK(bun_tcp_socket_uncork(c.s));
    if (i % 10 == 0) poll_ok(loop, 0);
  }
  RUN_UNTIL_MS(loop, recv_off == off && bun_tcp_socket_buffered_amount(c.s) == 0, 30000);
  printf("    %llu bytes in order, %d drains\n", (unsigned long long)off, c.n_drain);

  CHECK_EQ(bun_tcp_socket_end(c.s, NULL, 0), 0);
  RUN_UNTIL(loop, c.n_close == 1 && r->n_close == 1);
  CHECK_EQ(r->bytes_in, off);
  CHECK_TRACE(&r->tr, "open,data,end,close");
  CHECK_TRACE(&c.tr, "open,data:go,end,close");
  CHECK_EQ(drains_with_bytes, 0);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  free(tmp);
  return test_pass();
}
