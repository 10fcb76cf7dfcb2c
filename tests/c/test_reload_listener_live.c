/* bun_tcp_listener_reload with live accepted sockets: from outside handlers, the two live sockets use
 * the new table B on their next event (data, close) and new accepts use B (open); reloading again from
 * inside a server data handler (to C) switches every live socket of the listener, including the other
 * one, from the next event. The old tables never fire again. */
#include "harness.h"

static rec_t c[3];
typedef struct { int open, data, close; } counts_t;
static counts_t A, B, C;
static int srv_tag;
static bun_tcp_listener L;

#define TABLE(X)                                                                                   \
  static void X##_open(bun_tcp_socket s, void *d) { (void)s; CHECK(d == &srv_tag); X.open++; }     \
  static void X##_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {                       \
    (void)s; (void)e; CHECK(d == &srv_tag); X.close++;                                             \
  }
TABLE(A)
TABLE(B)
TABLE(C)

static void A_data(bun_tcp_socket s, void *d, const uint8_t *p, size_t n) { (void)s; (void)d; (void)p; (void)n; A.data++; }
static void C_data(bun_tcp_socket s, void *d, const uint8_t *p, size_t n) { (void)s; (void)d; (void)p; (void)n; C.data++; }
static void B_data(bun_tcp_socket s, void *d, const uint8_t *p, size_t n) {
  (void)s; (void)d;
  B.data++;
  if (n >= 6 && memcmp(p, "switch", 6) == 0) {
    bun_tcp_handlers hc;
    memset(&hc, 0, sizeof hc);
    hc.open = C_open;
    hc.data = C_data;
    hc.close = C_close;
    CHECK_OK(bun_tcp_listener_reload(L, &hc));
  }
}

int main(void) {
  test_init("reload_listener_live", 30);
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers ha, hb, hcl = rec_handlers();
  memset(&ha, 0, sizeof ha);
  memset(&hb, 0, sizeof hb);
  ha.open = A_open; ha.data = A_data; ha.close = A_close;
  hb.open = B_open; hb.data = B_data; hb.close = B_close;
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.data = &srv_tag;
  CHECK_OK(bun_tcp_listen(loop, &o, &ha, &L));
  uint16_t port = bun_tcp_listener_port(L);
  for (int i = 0; i < 3; i++) rec_init(&c[i]);
  connect_rec(loop, port, &c[0], &hcl, false);
  connect_rec(loop, port, &c[1], &hcl, false);
  RUN_UNTIL(loop, A.open == 2 && c[0].n_open == 1 && c[1].n_open == 1);

  test_case("reload from outside: live sockets use B at their next event");
  CHECK_OK(bun_tcp_listener_reload(L, &hb));
  CHECK_EQ(bun_tcp_socket_write(c[0].s, (const uint8_t *)"x", 1), 1);
  CHECK_EQ(bun_tcp_socket_write(c[1].s, (const uint8_t *)"y", 1), 1);
  RUN_UNTIL(loop, B.data >= 2);
  CHECK_EQ(A.data, 0);

  test_case("new accepts use B");
  connect_rec(loop, port, &c[2], &hcl, false);
  RUN_UNTIL(loop, B.open == 1 && c[2].n_open == 1);
  CHECK_EQ(A.open, 2);

  test_case("reload to C from inside a B data handler; the other sockets switch too");
  CHECK_EQ(bun_tcp_socket_write(c[0].s, (const uint8_t *)"switch", 6), 6);
  RUN_UNTIL(loop, B.data == 3);
  poll_ok(loop, 0);
  int b_data_before = B.data;
  CHECK_EQ(bun_tcp_socket_write(c[1].s, (const uint8_t *)"z", 1), 1);
  CHECK_EQ(bun_tcp_socket_write(c[2].s, (const uint8_t *)"w", 1), 1);
  RUN_UNTIL(loop, C.data >= 2);
  CHECK_EQ(B.data, b_data_before);

  test_case("closes go to C");
  for (int i = 0; i < 3; i++) CHECK_OK(bun_tcp_socket_close(c[i].s));
  RUN_UNTIL(loop, C.close == 3);
  CHECK_EQ(A.close + B.close, 0);
  CHECK_EQ(A.data, 0);

  CHECK_OK(bun_tcp_listener_stop(L, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  for (int i = 0; i < 3; i++) rec_free(&c[i]);
  return test_pass();
}
