/* A unix path longer than sun_path (108 bytes) fails synchronously: listen returns a negative code
 * and creates nothing; connect either returns a negative code (bad argument, nothing fires) or
 * reports exactly one connect_error (the contract does not say which; both keep "exactly one outcome"). */
#include "harness.h"
#include "unix_common.h"

static srv_t sv;
static rec_t c;

int main(void) {
  test_init("unix_path_too_long", 30);
  char path[300];
  int n = snprintf(path, sizeof path, "/tmp/bun_tcp_test_%ld_", (long)getpid());
  while (n < 200) path[n++] = 'x';
  path[n] = 0;

  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();

  test_case("listen on a 200-byte path");
  bun_tcp_listener l = {0};
  int32_t rc = listen_unix(loop, path, &sv, &h, &l);
  printf("    listen: %d (%s): %s\n", (int)rc, bun_tcp_err_name(rc),
         harness_str(bun_tcp_last_error_message()));
  CHECK_NEG(rc);
  CHECK(strlen(bun_tcp_last_error_message()) > 0);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  CHECK(!bun_tcp_loop_alive(loop));

  test_case("abstract name longer than sun_path");
  char abs_name[300];
  abs_name[0] = 0;
  memcpy(abs_name + 1, path, strlen(path) + 1);
  CHECK_NEG(listen_unix(loop, abs_name, &sv, &h, &l));

  test_case("connect to a 200-byte path");
  rc = connect_unix(loop, path, &c, &h);
  printf("    connect: %d (%s)\n", (int)rc, bun_tcp_err_name(rc));
  if (rc < 0) {
    CHECK_EQ(run_for(loop, 100), 0);
    CHECK_EQ(c.total_calls, 0);
  } else {
    RUN_UNTIL(loop, c.n_connect_error == 1);
    CHECK_EQ(run_for(loop, 100), 0);
    printf("    trace: %s (%s)\n", c.tr.buf, c.connect_error_message);
    CHECK_EQ(c.n_open + c.n_close, 0);
  }
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
