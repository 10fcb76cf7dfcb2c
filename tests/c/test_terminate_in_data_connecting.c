/* terminate() inside a server data handler, while connecting five new clients from the same handler:
 * the terminated socket's close runs before terminate returns (err NULL) and it gets no further data
 * (the client keeps sending); its peer sees a reset (close_err:ECONNRESET); the five new connections,
 * started re-entrantly, open on both sides. */
#include "harness.h"

#define NEW 5
static srv_t sv;
static rec_t first, extra[NEW];
static bun_tcp_handlers hc;
static bun_tcp_loop *g_loop;
static uint16_t port;
static rec_t *terminated;
static int data_after_terminate;

static void s_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  rec_t *r = (rec_t *)data;
  if (r == terminated) data_after_terminate++;
  rec_on_data(s, data, b, n);
  if (!terminated && r->bytes_in >= 2) {
    terminated = r;
    CHECK_OK(bun_tcp_socket_terminate(s));
    CHECK_EQ(r->n_close, 1);
    CHECK_EQ(r->close_code, 0);
    for (int i = 0; i < NEW; i++) connect_rec(g_loop, port, &extra[i], &hc, false);
  }
}

int main(void) {
  test_init("terminate_in_data_connecting", 30);
  bun_tcp_loop *loop = g_loop = new_loop();
  srv_init(&sv);
  rec_init(&first);
  for (int i = 0; i < NEW; i++) rec_init(&extra[i]);
  bun_tcp_handlers hs = rec_handlers();
  hs.data = s_data;
  hc = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &hs, false);
  port = bun_tcp_listener_port(l);
  connect_rec(loop, port, &first, &hc, false);
  RUN_UNTIL(loop, first.n_open == 1);
  CHECK_EQ(bun_tcp_socket_write(first.s, (const uint8_t *)"go", 2), 2);
  CHECK_EQ(bun_tcp_socket_write(first.s, (const uint8_t *)"more", 4), 4);

  RUN_UNTIL(loop, terminated != NULL && first.n_close == 1);
  /* the client may try to send more; the terminated socket must not see it */
  bun_tcp_socket_write(first.s, (const uint8_t *)"late", 4);
  int opened = 0;
  double dl = now_ms() + 10000 * harness_time_scale();
  while (opened < NEW || sv.n_accepted < NEW + 1) {
    if (now_ms() > dl) FAIL("only %d of %d new clients opened, %d accepted", opened, NEW, sv.n_accepted);
    poll_ok(loop, 50);
    opened = 0;
    for (int i = 0; i < NEW; i++) opened += extra[i].n_open;
  }
  CHECK_EQ(run_for(loop, 100), 0);
  CHECK_EQ(data_after_terminate, 0);
  check_closed_once(terminated, "terminated server socket");
  CHECK_TRACE(&first.tr, "open,close_err:ECONNRESET");
  for (int i = 0; i < NEW; i++) CHECK_TRACE(&extra[i].tr, "open");

  for (int i = 0; i < NEW; i++) CHECK_OK(bun_tcp_socket_close(extra[i].s));
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&first);
  for (int i = 0; i < NEW; i++) rec_free(&extra[i]);
  srv_free(&sv);
  return test_pass();
}
