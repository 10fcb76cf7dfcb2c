/* Listening on a host name that is not a host name (or does not resolve) fails synchronously: a
 * negative code from bun_tcp_listen itself, a non-empty last_error_message, no listener left behind,
 * no handler call. (the contract does not pin the code; the draft has BUN_TCP_EINVALHOST for a malformed
 * name, so only "negative" is asserted and the code is printed.) */
#include "harness.h"

static srv_t sv;

static void try_host(bun_tcp_loop *loop, const char *host) {
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = host;
  o.port = 0;
  o.data = &sv;
  bun_tcp_listener l = {0};
  double t0 = now_ms();
  int32_t rc = bun_tcp_listen(loop, &o, &h, &l);
  printf("    listen(\"%s\") = %d (%s) in %.1f ms: %s\n", host, (int)rc, bun_tcp_err_name(rc),
         now_ms() - t0, harness_str(bun_tcp_last_error_message()));
  CHECK_NEG(rc);
  CHECK(bun_tcp_last_error_message() != NULL && strlen(bun_tcp_last_error_message()) > 0);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  CHECK(!bun_tcp_loop_alive(loop));
  CHECK_EQ(poll_ok(loop, 0), 0);
}

int main(void) {
  test_init("listen_invalid_hostname", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);

  test_case("malformed host name");
  try_host(loop, "not a host name!");
  if (resolver_reports_nxdomain()) { /* both go to the resolver */
    test_case("out-of-range dotted quad");
    try_host(loop, "300.1.2.3");
    test_case("name that does not resolve");
    try_host(loop, UNRESOLVABLE_HOST);
  }

  CHECK_EQ(sv.n_accepted, 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  return test_pass();
}
