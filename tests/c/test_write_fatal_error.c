/* A fatal send error (the header: bun_tcp_socket_write / bun_tcp_socket_end + draft notes): after the peer reset the connection, a write returns
 * -errno (-ECONNRESET or -EPIPE); the socket is not freed under the caller (no close yet, user data
 * still readable, further writes negative); later exactly one outcome follows:
 *   with an error handler:    error(err), then close(NULL)    -> open,error:<name>,close
 *   without an error handler: close(err)                        -> open,close_err:<name>
 * Case 3: the same write from inside a handler (the socket's own data handler). */
#include "harness.h"

static rec_t c1, c2, c3;
static int64_t rc_in_handler = 1;
static int closes_in_handler = -1;
static int raw_fd3 = -1;

static void c3_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  if (rc_in_handler != 1) return;
  raw_reset(raw_fd3);
  raw_fd3 = -1;
  /* the RST is on its way over loopback; send until the kernel reports it */
  double dl = now_ms() + 5000;
  do {
    rc_in_handler = bun_tcp_socket_write(s, (const uint8_t *)"x", 1);
  } while (rc_in_handler >= 0 && now_ms() < dl);
  closes_in_handler = ((rec_t *)data)->n_close;
  CHECK(bun_tcp_socket_data(s) == data);
}

static int64_t write_until_error(bun_tcp_socket s) {
  int64_t rc;
  double dl = now_ms() + 5000;
  do {
    rc = bun_tcp_socket_write(s, (const uint8_t *)"x", 1);
  } while (rc >= 0 && now_ms() < dl);
  return rc;
}

static void check_errno_rc(int64_t rc) {
  CHECK_MSG(rc == -ECONNRESET || rc == -EPIPE, "write after a peer reset returned %lld (%s)",
            (long long)rc, bun_tcp_err_name((int32_t)rc));
}

int main(void) {
  test_init("write_fatal_error", 30);
  bun_tcp_loop *loop = new_loop();
  uint16_t port;
  int lfd = raw_tcp_bound(true, &port);

  test_case("with an error handler");
  rec_init(&c1);
  bun_tcp_handlers h1 = rec_handlers();
  connect_rec(loop, port, &c1, &h1, false);
  int fd = raw_accept_polling(loop, lfd);
  RUN_UNTIL(loop, c1.n_open == 1);
  raw_reset(fd);
  int64_t rc = write_until_error(c1.s);
  check_errno_rc(rc);
  CHECK_EQ(c1.n_close, 0); /* not freed under the caller */
  CHECK(bun_tcp_socket_data(c1.s) == &c1);
  CHECK_NEG(bun_tcp_socket_write(c1.s, (const uint8_t *)"y", 1));
  RUN_UNTIL(loop, c1.n_close == 1);
  CHECK_EQ(run_for(loop, 100), 0);
  {
    char expect[128];
    snprintf(expect, sizeof expect, "open,error:%s,close", bun_tcp_err_name((int32_t)rc));
    CHECK_TRACE(&c1.tr, expect);
  }

  test_case("without an error handler");
  rec_init(&c2);
  bun_tcp_handlers h2 = rec_handlers();
  h2.error = NULL;
  connect_rec(loop, port, &c2, &h2, false);
  fd = raw_accept_polling(loop, lfd);
  RUN_UNTIL(loop, c2.n_open == 1);
  raw_reset(fd);
  rc = write_until_error(c2.s);
  check_errno_rc(rc);
  CHECK_EQ(c2.n_close, 0);
  RUN_UNTIL(loop, c2.n_close == 1);
  CHECK_EQ(run_for(loop, 100), 0);
  {
    char expect[128];
    snprintf(expect, sizeof expect, "open,close_err:%s", bun_tcp_err_name((int32_t)rc));
    CHECK_TRACE(&c2.tr, expect);
  }
  CHECK_RC(c2.close_code, rc);

  test_case("from inside the socket's data handler");
  rec_init(&c3);
  bun_tcp_handlers h3 = rec_handlers();
  h3.data = c3_data;
  connect_rec(loop, port, &c3, &h3, false);
  raw_fd3 = raw_accept_polling(loop, lfd);
  RUN_UNTIL(loop, c3.n_open == 1);
  raw_send_all(raw_fd3, "go", 2);
  RUN_UNTIL(loop, c3.n_close == 1);
  check_errno_rc(rc_in_handler);
  CHECK_EQ(closes_in_handler, 0); /* close came after the handler returned */
  {
    char expect[128];
    snprintf(expect, sizeof expect, "open,data:go,error:%s,close", bun_tcp_err_name((int32_t)rc_in_handler));
    CHECK_TRACE(&c3.tr, expect);
  }

  close(lfd);
  CHECK(!bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c1);
  rec_free(&c2);
  rec_free(&c3);
  return test_pass();
}
