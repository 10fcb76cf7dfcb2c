/* end() is a true half-close (the header: bun_tcp_socket_write / bun_tcp_socket_end, beyond Bun): after the client's end("question") the peer (a
 * raw POSIX socket here) reads the question up to EOF, then answers "answer" and shuts down its side;
 * the client receives the answer as data, then end, then close: open,data:answer,end,close. With a
 * large answer (1 MiB) too, to show no byte is lost after our FIN. */
#include "harness.h"

static rec_t c1, c2;

static void run_case(bun_tcp_loop *loop, int lfd, rec_t *c, const uint8_t *answer, size_t alen) {
  bun_tcp_handlers h = rec_handlers();
  uint16_t port;
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  getsockname(lfd, (struct sockaddr *)&a, &al);
  port = ntohs(a.sin_port);
  connect_rec(loop, port, c, &h, false);
  int fd = raw_accept_polling(loop, lfd);
  RUN_UNTIL(loop, c->n_open == 1);
  CHECK_EQ(bun_tcp_socket_end(c->s, (const uint8_t *)"question", 8), 8);
  /* raw peer: read to EOF while the loop runs */
  char q[64];
  size_t qlen = 0;
  double dl = now_ms() + 10000;
  for (;;) {
    ssize_t n = raw_read(fd, q + qlen, sizeof q - qlen, false);
    if (n == 0) break;
    if (n > 0) qlen += (size_t)n;
    if (now_ms() > dl) FAIL("raw peer never saw the client's FIN");
    poll_ok(loop, 10);
  }
  CHECK_EQ(qlen, 8);
  CHECK(memcmp(q, "question", 8) == 0);
  CHECK_EQ(c->n_close, 0); /* our end did not close the socket */
  set_nonblock(fd);
  size_t off = 0;
  dl = now_ms() + 10000;
  while (off < alen) {
    ssize_t n = send(fd, answer + off, alen - off, MSG_NOSIGNAL);
    if (n > 0) off += (size_t)n;
    else if (errno != EAGAIN) FAIL("raw send: %s", strerror(errno));
    if (now_ms() > dl) FAIL("raw peer could not send the answer");
    poll_ok(loop, 1);
  }
  shutdown(fd, SHUT_WR);
  RUN_UNTIL(loop, c->n_close == 1);
  CHECK_EQ(c->bytes_in, alen);
  CHECK(memcmp(c->in.ptr, answer, alen) == 0);
  CHECK_EQ(c->close_code, 0);
  close(fd);
}

int main(void) {
  test_init("end_true_half_close", 30);
  bun_tcp_loop *loop = new_loop();
  uint16_t port;
  int lfd = raw_tcp_bound(true, &port);

  test_case("short answer");
  rec_init(&c1);
  run_case(loop, lfd, &c1, (const uint8_t *)"answer", 6);
  CHECK_TRACE(&c1.tr, "open,data:answer,end,close");

  test_case("1 MiB answer");
  rec_init(&c2);
  c2.tr.data_contents = false;
  size_t n = 1u << 20;
  uint8_t *big = (uint8_t *)malloc(n);
  stream_fill(11, 0, big, n);
  run_case(loop, lfd, &c2, big, n);
  CHECK_TRACE(&c2.tr, "open,data,end,close");
  free(big);

  close(lfd);
  CHECK(!bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  return test_pass();
}
