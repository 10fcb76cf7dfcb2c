/* bun_tcp_loop_free called again from a `close` handler that bun_tcp_loop_free runs: the nested
 * call does nothing, every later close handler still sees its socket's user data, and the loop is
 * freed once, when the outer call finishes. */
#include "harness.h"

#define CLIENTS 3

static bun_tcp_loop *g_loop;
static int closes, closes_with_data, nested_frees;

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  (void)err;
  closes++;
  if (data != NULL && bun_tcp_socket_data(s) == data) closes_with_data++;
  if (closes == 1) {
    nested_frees++;
    bun_tcp_loop_free(g_loop);
  }
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  (void)s, (void)data, (void)b, (void)n;
}

static int accepted;
static void on_open(bun_tcp_socket s, void *data) {
  (void)data;
  if (bun_tcp_socket_listener(s).id != 0) {
    CHECK_OK(bun_tcp_socket_set_data(s, &accepted));
    accepted++;
  }
}

int main(void) {
  test_init("loop_free_in_close", 30);
  int fds_before_loop = count_open_fds();
  bun_tcp_loop *loop = g_loop = new_loop();
  bun_tcp_handlers h = {.open = on_open, .data = on_data, .close = on_close};
  static int server_data, client_data[CLIENTS];
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  lo.data = &server_data;
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &lo, &h, &l));
  for (int i = 0; i < CLIENTS; i++) {
    bun_tcp_connect_options co;
    memset(&co, 0, sizeof co);
    co.hostname = "127.0.0.1";
    co.port = bun_tcp_listener_port(l);
    co.data = &client_data[i];
    bun_tcp_socket s = {0};
    CHECK_OK(bun_tcp_connect(loop, &co, &h, &s));
  }
  RUN_UNTIL(loop, accepted == CLIENTS && bun_tcp_loop_socket_count(loop) == 2 * CLIENTS);

  test_case("free, re-entered from the first close");
  bun_tcp_loop_free(loop);
  CHECK_EQ(nested_frees, 1);
  CHECK_EQ(closes, 2 * CLIENTS);
  CHECK_EQ(closes_with_data, 2 * CLIENTS);

  test_case("freed once, when the outer call finished");
  CHECK_EQ(count_open_fds(), fds_before_loop); /* sockets, listener, epoll, eventfd: all closed */
  CHECK_RC(bun_tcp_poll(loop, 0), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_loop_post(loop, NULL, NULL), BUN_TCP_EINVAL);
  return test_pass();
}
