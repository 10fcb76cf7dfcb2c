/* Connecting to a host name that does not resolve is asynchronous (connect returns 0, the socket is
 * connecting) and fires connect_error only: ENOTFOUND (code BUN_TCP_ENOTFOUND), syscall
 * "getaddrinfo", a message naming the host. It is repeatable: twice in a row, then twice at once. */
#include "harness.h"

#define HOST UNRESOLVABLE_HOST
static rec_t c[4];

static void one_round(bun_tcp_loop *loop, int first, int count) {
  bun_tcp_handlers h = rec_handlers();
  for (int i = first; i < first + count; i++) {
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = HOST;
    o.port = 80;
    o.data = &c[i];
    CHECK_OK(bun_tcp_connect(loop, &o, &h, &c[i].s));
    CHECK(c[i].s.id != 0);
    CHECK_EQ(bun_tcp_socket_ready_state(c[i].s), 2);
    CHECK(bun_tcp_loop_alive(loop));
  }
  for (int i = first; i < first + count; i++) {
    RUN_UNTIL(loop, c[i].n_connect_error == 1);
    CHECK_RC(c[i].connect_error_code, BUN_TCP_ENOTFOUND);
    CHECK_STR(c[i].connect_error_name, "ENOTFOUND");
    CHECK_STR(c[i].connect_error_syscall, "getaddrinfo");
    CHECK_MSG(strstr(c[i].connect_error_message, HOST) != NULL,
              "message \"%s\" does not name the host", c[i].connect_error_message);
  }
  CHECK_EQ(run_for(loop, 100), 0);
  for (int i = first; i < first + count; i++) {
    CHECK_TRACE(&c[i].tr, "connect_error:ENOTFOUND");
    CHECK_EQ(bun_tcp_socket_ready_state(c[i].s), -1);
  }
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
}

int main(void) {
  test_init("connect_enotfound", 60);
  if (!resolver_reports_nxdomain()) {
    printf("SKIP connect_enotfound: no prompt NXDOMAIN from the system resolver\n");
    return 0;
  }
  bun_tcp_loop *loop = new_loop();
  for (int i = 0; i < 4; i++) rec_init(&c[i]);
  test_case("first lookup");
  one_round(loop, 0, 1);
  printf("    message: %s\n", c[0].connect_error_message);
  test_case("second lookup (repeatable)");
  one_round(loop, 1, 1);
  test_case("two concurrent lookups");
  one_round(loop, 2, 2);
  CHECK_STR(bun_tcp_err_name(BUN_TCP_ENOTFOUND), "ENOTFOUND");
  bun_tcp_loop_free(loop);
  for (int i = 0; i < 4; i++) rec_free(&c[i]);
  return test_pass();
}
