/* close() inside the socket's own data handler while more data is pending (the server sends 4 MiB):
 * the close handler runs (before close returns, draft), no further data is delivered to that socket,
 * its user data is readable inside close (handler argument and bun_tcp_socket_data), writes after the
 * close are refused, and the peer eventually gets its own single close. The client closes with unread
 * bytes in its kernel buffer, so the kernel resets the connection: the server (flushing its write_all
 * queue) must see the reset as an error/close, never as a FIN: "open,error:<name>,close" (send failed,
 * error handler present) or "open,close_err:ECONNRESET" (read saw the reset), no "end". */
#include "harness.h"

#define LEN (4u << 20)
static srv_t sv;
static rec_t c;
static int data_calls_at_close = -1;
static int64_t write_after_close = 0;
static uint8_t *buf;

static void c_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_on_data(s, data, b, n);
  if (c.n_data == 1) {
    CHECK_OK(bun_tcp_socket_close(s));
    CHECK_EQ(c.n_close, 1);
    data_calls_at_close = c.n_data;
    write_after_close = bun_tcp_socket_write(s, (const uint8_t *)"x", 1);
    CHECK(bun_tcp_socket_ready_state(s) != 1);
  }
}

static void s_open(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  CHECK_EQ(bun_tcp_socket_write_all(s, buf, LEN), LEN);
}

int main(void) {
  test_init("close_in_data", 30);
  buf = (uint8_t *)malloc(LEN);
  memset(buf, 'd', LEN);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  sv.keep_bytes = false;
  rec_init(&c);
  c.keep_bytes = false;
  c.tr.data_contents = false;
  bun_tcp_handlers hs = rec_handlers();
  hs.open = s_open;
  bun_tcp_handlers hc = rec_handlers();
  hc.data = c_data;
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &hc, false);

  RUN_UNTIL(loop, c.n_close == 1);
  RUN_UNTIL(loop, sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_EQ(data_calls_at_close, 1);
  CHECK_EQ(c.n_data, 1);
  CHECK_CMP(c.bytes_in, <, LEN);
  CHECK_NEG(write_after_close);
  CHECK_TRACE(&c.tr, "open,data,close");
  check_closed_once(&c, "client");
  check_closed_once(&sv.socks[0], "server socket");
  printf("    server trace: %s\n", sv.socks[0].tr.buf);
  {
    char e1[128];
    snprintf(e1, sizeof e1, "open,error:%s,close", sv.socks[0].error_name);
    CHECK_MSG(strcmp(sv.socks[0].tr.buf, e1) == 0 ||
                  strcmp(sv.socks[0].tr.buf, "open,close_err:ECONNRESET") == 0,
              "server trace \"%s\": a reset must not be reported as end", sv.socks[0].tr.buf);
  }

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  free(buf);
  return test_pass();
}
