/* A second listen on a unix path that a live listener owns fails synchronously, and must neither
 * steal nor unlink the live socket: the first listener keeps accepting through the path. */
#include "harness.h"
#include "unix_common.h"

static srv_t sv, sv2;
static rec_t c;

int main(void) {
  test_init("unix_path_in_use", 30);
  char path[108];
  unix_test_path(path, sizeof path, "inuse");
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  srv_init(&sv2);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();

  bun_tcp_listener l = {0}, l2 = {0};
  CHECK_OK(listen_unix(loop, path, &sv, &h, &l));

  test_case("second listen on the live path fails");
  int32_t rc = listen_unix(loop, path, &sv2, &h, &l2);
  printf("    second listen: %d (%s): %s\n", (int)rc, bun_tcp_err_name(rc),
         harness_str(bun_tcp_last_error_message()));
  CHECK_NEG(rc);
  CHECK(strlen(bun_tcp_last_error_message()) > 0);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 1);

  test_case("the first listener still owns the path");
  CHECK(path_is_socket(path));
  CHECK_OK(connect_unix(loop, path, &c, &h));
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  CHECK_EQ(sv2.n_accepted, 0);
  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);

  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK(!path_exists(path));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  unlink(path);
  rec_free(&c);
  srv_free(&sv);
  srv_free(&sv2);
  return test_pass();
}
