/* bun_tcp_socket_reload from inside the socket's own data handler: the current call finishes, and
 * every later event of that socket (data, end, close) goes to the new table; user data is unchanged.
 * Protocol: server sends "one" on open; client (table A) reloads to B and answers "ack"; server then
 * sends "two" and ends. */
#include "harness.h"

static srv_t sv;
static rec_t c;
static int a_data, a_end, a_close, b_data, b_end, b_close;
static bytebuf_t b_bytes;

static void a_on_data(bun_tcp_socket s, void *d, const uint8_t *p, size_t n);
static void b_on_data(bun_tcp_socket s, void *d, const uint8_t *p, size_t n) {
  CHECK(d == &c);
  b_data++;
  bytebuf_append(&b_bytes, p, n);
  (void)s;
}
static void b_on_end(bun_tcp_socket s, void *d) { (void)s; CHECK(d == &c); b_end++; }
static void b_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)s; CHECK(d == &c); CHECK(e == NULL);
  CHECK(bun_tcp_socket_data(s) == &c);
  b_close++;
}
static void a_on_end(bun_tcp_socket s, void *d) { (void)s; (void)d; a_end++; }
static void a_on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { (void)s; (void)d; (void)e; a_close++; }

static void a_on_data(bun_tcp_socket s, void *d, const uint8_t *p, size_t n) {
  CHECK(d == &c);
  a_data++;
  CHECK_EQ(n, 3);
  CHECK(memcmp(p, "one", 3) == 0);
  bun_tcp_handlers hb;
  memset(&hb, 0, sizeof hb); /* a table on the stack: reload copies it */
  hb.data = b_on_data;
  hb.end = b_on_end;
  hb.close = b_on_close;
  CHECK_OK(bun_tcp_socket_reload(s, &hb));
  CHECK(bun_tcp_socket_data(s) == &c);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"ack", 3), 3);
}

static void s_open(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"one", 3), 3);
}
static void s_data(bun_tcp_socket s, void *data, const uint8_t *p, size_t n) {
  rec_on_data(s, data, p, n);
  rec_t *r = (rec_t *)data;
  if (r->bytes_in == 3) CHECK_EQ(bun_tcp_socket_end(s, (const uint8_t *)"two", 3), 3);
}

int main(void) {
  test_init("reload_socket_in_data", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers hs = rec_handlers();
  hs.open = s_open;
  hs.data = s_data;
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  bun_tcp_handlers ha;
  memset(&ha, 0, sizeof ha);
  ha.data = a_on_data;
  ha.end = a_on_end;
  ha.close = a_on_close;
  connect_rec(loop, bun_tcp_listener_port(l), &c, &ha, false);
  RUN_UNTIL(loop, b_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  CHECK_EQ(a_data, 1);
  CHECK_EQ(a_end, 0);
  CHECK_EQ(a_close, 0);
  CHECK_CMP(b_data, >=, 1);
  CHECK_EQ(b_bytes.len, 3);
  CHECK(memcmp(b_bytes.ptr, "two", 3) == 0);
  CHECK_EQ(b_end, 1);
  CHECK_EQ(b_close, 1);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ack,end,close");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  bytebuf_free(&b_bytes);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
