/* Abstract unix names (leading '\0', the C string after it names the socket): listen and connect
 * work, no file appears in the file system, the name is exclusive while live, and reusable after stop. */
#include "harness.h"
#include "unix_common.h"

static srv_t sv, sv2, sv3;
static rec_t c, c3;

int main(void) {
  test_init("unix_abstract", 30);
  char name[108];
  name[0] = '\0';
  snprintf(name + 1, sizeof name - 1, "bun_tcp_test_abstract_%ld", (long)getpid());
  char fs_path[128];
  snprintf(fs_path, sizeof fs_path, "%s", name + 1); /* would exist (relative) if mis-handled */

  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  srv_init(&sv2);
  srv_init(&sv3);
  rec_init(&c);
  rec_init(&c3);
  bun_tcp_handlers h = rec_handlers();

  test_case("listen on an abstract name");
  bun_tcp_listener l = {0}, l2 = {0}, l3 = {0};
  CHECK_OK(listen_unix(loop, name, &sv, &h, &l));
  CHECK(!path_exists(fs_path));
  CHECK(!path_exists(""));

  test_case("connect to it");
  CHECK_OK(connect_unix(loop, name, &c, &h));
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"abs", 3), 3);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 3);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:abs");

  test_case("the live name is exclusive");
  CHECK_NEG(listen_unix(loop, name, &sv2, &h, &l2));

  test_case("reusable after stop");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, c.n_close == 1 && sv.socks[0].n_close == 1);
  CHECK_OK(listen_unix(loop, name, &sv3, &h, &l3));
  CHECK_OK(connect_unix(loop, name, &c3, &h));
  RUN_UNTIL(loop, c3.n_open == 1 && sv3.n_accepted == 1);
  CHECK_OK(bun_tcp_socket_close(c3.s));
  RUN_UNTIL(loop, sv3.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l3, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  CHECK(!path_exists(fs_path));

  bun_tcp_loop_free(loop);
  rec_free(&c);
  rec_free(&c3);
  srv_free(&sv);
  srv_free(&sv2);
  srv_free(&sv3);
  return test_pass();
}
