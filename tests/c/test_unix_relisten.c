/* After stop, listening again on the same unix path works (the file was removed), and the new
 * listener accepts; stop then removes the file again. */
#include "harness.h"
#include "unix_common.h"

static srv_t sv1, sv2;
static rec_t c;

int main(void) {
  test_init("unix_relisten", 30);
  char path[108];
  unix_test_path(path, sizeof path, "relisten");
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv1);
  srv_init(&sv2);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();

  bun_tcp_listener l1 = {0}, l2 = {0};
  CHECK_OK(listen_unix(loop, path, &sv1, &h, &l1));
  CHECK_OK(bun_tcp_listener_stop(l1, false));
  CHECK(!path_exists(path));
  poll_ok(loop, 0);

  test_case("listen again on the same path");
  CHECK_OK(listen_unix(loop, path, &sv2, &h, &l2));
  CHECK(path_is_socket(path));
  CHECK_OK(connect_unix(loop, path, &c, &h));
  RUN_UNTIL(loop, c.n_open == 1 && sv2.n_accepted == 1);
  CHECK_EQ(sv1.n_accepted, 0);
  CHECK_EQ(bun_tcp_socket_end(c.s, (const uint8_t *)"again", 5), 5);
  RUN_UNTIL(loop, c.n_close == 1 && sv2.socks[0].n_close == 1);
  CHECK_TRACE(&sv2.socks[0].tr, "open,data:again,end,close");

  test_case("stop is idempotent (the header: order of handlers) and removes the file");
  CHECK_OK(bun_tcp_listener_stop(l2, true));
  CHECK(!path_exists(path));
  int32_t rc = bun_tcp_listener_stop(l2, true);
  /* "Stop is idempotent": a second stop must not fail as if something went wrong; a stale
   * handle (ECLOSED) is also accepted since the listener is gone */
  CHECK_MSG(rc == 0 || rc == BUN_TCP_ECLOSED, "second stop returned %d", (int)rc);
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));

  bun_tcp_loop_free(loop);
  unlink(path);
  rec_free(&c);
  srv_free(&sv1);
  srv_free(&sv2);
  return test_pass();
}
