/* the header: bun_tcp_socket_set_write_limit on plain TCP (the cases: tests/c/write_limit_common.h). */
#include "write_limit_common.h"

int main(void) {
  test_init("test_write_limit", 60);
  run_all();
  return test_pass();
}
