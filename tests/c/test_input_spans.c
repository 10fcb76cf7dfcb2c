/* Lengths and counts that no real buffer can have are refused before anything is read: a byte
 * range that wraps around the address space (write, write_all, end), and TLS key / cert / ca /
 * ALPN counts whose arrays would exceed isize::MAX bytes. Each returns BUN_TCP_EINVAL and fires
 * nothing; the socket keeps working. */
#include "harness.h"

static srv_t sv;
static rec_t c, c2;

int main(void) {
  test_init("input_spans", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  rec_init(&c2);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);

  test_case("a byte range that wraps around the address space");
  const uint8_t *high = (const uint8_t *)(uintptr_t)(UINTPTR_MAX - 15);
  CHECK_RC(bun_tcp_socket_write(c.s, high, 64), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_write_all(c.s, high, 64), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_end(c.s, high, 64), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_socket_ready_state(c.s), 1);

  test_case("TLS array counts too large for any array");
  bun_tcp_bytes one = {(const uint8_t *)"x", 1};
  const char *proto = "h2";
  size_t huge = SIZE_MAX / sizeof(bun_tcp_bytes) + 2; /* count * 16 wraps to a small number */
  for (int field = 0; field < 4; field++) {
    bun_tcp_tls_options tls;
    memset(&tls, 0, sizeof tls);
    tls.allow_unauthorized = true;
    if (field == 0) tls.key = &one, tls.key_count = huge;
    if (field == 1) tls.cert = &one, tls.cert_count = huge;
    if (field == 2) tls.ca = &one, tls.ca_count = huge;
    if (field == 3) tls.alpn = &proto, tls.alpn_count = SIZE_MAX / sizeof(char *) + 2;
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "127.0.0.1";
    o.port = bun_tcp_listener_port(l);
    o.data = &c2;
    o.tls = &tls;
    bun_tcp_socket s = {0};
    CHECK_RC(bun_tcp_connect(loop, &o, &h, &s), BUN_TCP_EINVAL);
    CHECK_EQ(s.id, 0);
  }

  test_case("nothing fired; the socket still works");
  CHECK_EQ(bun_tcp_socket_write(c.s, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_TRACE(&c.tr, "open");
  CHECK_EQ(c2.total_calls, 0);
  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  rec_free(&c2);
  srv_free(&sv);
  return test_pass();
}
