/* A hostname that is not a host name gives BUN_TCP_EINVALHOST at the call, whatever its bytes:
 * bytes 0x80-0xff (invalid UTF-8 or not), on listen and on connect, with no handler call. Other
 * string fields keep BUN_TCP_EINVAL for bad UTF-8 (a TLS server_name, as documented). */
#include "harness.h"

static rec_t c;

int main(void) {
  test_init("hostname_not_utf8", 30);
  bun_tcp_loop *loop = new_loop();
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  const char *bad_hosts[] = {"\xff\xfe", "h\x80st", "caf\xc3\xa9.example", "\xc3", "127.0.0.\xb1"};

  for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
    test_case("listen");
    bun_tcp_listen_options lo;
    memset(&lo, 0, sizeof lo);
    lo.hostname = bad_hosts[i];
    bun_tcp_listener l = {0};
    CHECK_RC(bun_tcp_listen(loop, &lo, &h, &l), BUN_TCP_EINVALHOST);
    CHECK_EQ(l.id, 0);

    test_case("connect");
    bun_tcp_connect_options co;
    memset(&co, 0, sizeof co);
    co.hostname = bad_hosts[i];
    co.port = 80;
    co.data = &c;
    bun_tcp_socket s = {0};
    CHECK_RC(bun_tcp_connect(loop, &co, &h, &s), BUN_TCP_EINVALHOST);
    CHECK_EQ(s.id, 0);
  }

  test_case("server_name with bad UTF-8 stays BUN_TCP_EINVAL");
  bun_tcp_tls_options tls;
  memset(&tls, 0, sizeof tls);
  tls.server_name = "\xff\xfe";
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = 80;
  co.data = &c;
  co.tls = &tls;
  bun_tcp_socket s = {0};
  CHECK_RC(bun_tcp_connect(loop, &co, &h, &s), BUN_TCP_EINVAL);

  test_case("nothing fired");
  CHECK_EQ(run_for(loop, 50), 0);
  CHECK_EQ(c.total_calls, 0);
  CHECK(!bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  return test_pass();
}
