/* bun_tcp_socket_reload from outside any handler (between polls) takes effect at the socket's next
 * event, and can be swapped back; reload with NULL is BUN_TCP_EINVAL; reload on a stale handle fails.
 * A table with neither data nor drain is assumed to be rejected like at connect (the header: handlers "as in
 * Bun"), leaving the current table in place. */
#include "harness.h"

static srv_t sv;
static rec_t c;
static int a_calls, b_calls;
static bytebuf_t a_bytes, b_bytes;

static void a_data(bun_tcp_socket s, void *d, const uint8_t *p, size_t n) {
  (void)s; CHECK(d == &c); a_calls++; bytebuf_append(&a_bytes, p, n);
}
static void b_data(bun_tcp_socket s, void *d, const uint8_t *p, size_t n) {
  (void)s; CHECK(d == &c); b_calls++; bytebuf_append(&b_bytes, p, n);
}
static int a_close, b_close;
static void a_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { (void)s; (void)d; (void)e; a_close++; }
static void b_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { (void)s; (void)d; (void)e; b_close++; }
static int b_open;
static void b_on_open(bun_tcp_socket s, void *d) { (void)s; (void)d; b_open++; }

int main(void) {
  test_init("reload_socket_outside", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers hs = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  bun_tcp_handlers ha, hb;
  memset(&ha, 0, sizeof ha);
  memset(&hb, 0, sizeof hb);
  ha.data = a_data;
  ha.close = a_on_close;
  hb.open = b_on_open;
  hb.data = b_data;
  hb.close = b_on_close;
  connect_rec(loop, bun_tcp_listener_port(l), &c, &ha, false);
  RUN_UNTIL(loop, bun_tcp_socket_ready_state(c.s) == 1 && sv.n_accepted == 1);
  bun_tcp_socket ss = sv.socks[0].s;

  test_case("A receives before the reload");
  CHECK_EQ(bun_tcp_socket_write(ss, (const uint8_t *)"1", 1), 1);
  RUN_UNTIL(loop, a_bytes.len == 1);

  test_case("reload to B from outside");
  CHECK_OK(bun_tcp_socket_reload(c.s, &hb));
  CHECK_EQ(bun_tcp_socket_write(ss, (const uint8_t *)"2", 1), 1);
  RUN_UNTIL(loop, b_bytes.len == 1);
  CHECK_EQ(a_bytes.len, 1);
  CHECK_EQ(b_open, 0); /* reload does not replay open */

  test_case("NULL and invalid tables are refused; B stays");
  CHECK_RC(bun_tcp_socket_reload(c.s, NULL), BUN_TCP_EINVAL);
  bun_tcp_handlers bad;
  memset(&bad, 0, sizeof bad);
  bad.close = a_on_close;
  CHECK_RC(bun_tcp_socket_reload(c.s, &bad), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_socket_write(ss, (const uint8_t *)"3", 1), 1);
  RUN_UNTIL(loop, b_bytes.len == 2);

  test_case("back to A");
  CHECK_OK(bun_tcp_socket_reload(c.s, &ha));
  CHECK_EQ(bun_tcp_socket_write(ss, (const uint8_t *)"4", 1), 1);
  RUN_UNTIL(loop, a_bytes.len == 2);
  CHECK(memcmp(a_bytes.ptr, "14", 2) == 0);
  CHECK(memcmp(b_bytes.ptr, "23", 2) == 0);

  test_case("close goes to the current table");
  CHECK_OK(bun_tcp_socket_close(ss));
  RUN_UNTIL(loop, a_close == 1);
  CHECK_EQ(b_close, 0);
  poll_ok(loop, 0);
  CHECK_NEG(bun_tcp_socket_reload(c.s, &hb));

  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  bytebuf_free(&a_bytes);
  bytebuf_free(&b_bytes);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
