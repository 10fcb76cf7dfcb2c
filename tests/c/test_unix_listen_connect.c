/* A unix-domain listener creates its socket file, reports port 0, accepts a unix connect, follows
 * the same order and half-open rules as TCP (client end("hello"): server open,data,end,close), and
 * its file is removed on stop. */
#include "harness.h"
#include "unix_common.h"

static srv_t sv;
static rec_t c;

int main(void) {
  test_init("unix_listen_connect", 30);
  char path[108];
  unix_test_path(path, sizeof path, "lc");
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();

  test_case("listen creates the socket file");
  bun_tcp_listener l = {0};
  CHECK_OK(listen_unix(loop, path, &sv, &h, &l));
  CHECK_MSG(path_is_socket(path), "%s is not a socket after listen", path);
  CHECK_EQ(bun_tcp_listener_port(l), 0);
  CHECK(bun_tcp_loop_alive(loop));

  test_case("connect over the path; same order as TCP");
  CHECK_OK(connect_unix(loop, path, &c, &h));
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  CHECK_EQ(bun_tcp_socket_end(c.s, (const uint8_t *)"hello", 5), 5);
  RUN_UNTIL(loop, c.n_close == 1 && sv.socks[0].n_close == 1);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:hello,end,close");
  CHECK_TRACE(&c.tr, "open,end,close");

  test_case("stop removes the file");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_MSG(!path_exists(path), "%s still exists after stop", path);
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  CHECK(!path_exists(path));

  bun_tcp_loop_free(loop);
  unlink(path);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
