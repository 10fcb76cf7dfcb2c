/* the header: TLS; catalogue "TLS: no drain before the handshake".
 *
 * With a handshake handler, open fires at TCP connect/accept; writes before the handshake return
 * 0 and drain follows the handshake, never precedes it:
 *   - client: write in open returns 0 (twice), then exactly "open,handshake:ok,drain"; the drain
 *     handler writes "abc" (3 accepted); the server receives only "abc";
 *   - server: the same on the accepted side: "open,handshake:ok,drain,data:..";
 *   - without a handshake handler, a write while connecting returns 0 and drain follows the
 *     deferred open: "open,drain";
 *   - write_all and end during the handshake: accepted whole (len returned), queued, sent after the
 *     handshake, in order, then close_notify + FIN: the server sees "open,data:AB,end,close".
 */
#include "harness.h"

static int g_mode;

static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  if (g_mode == 0 || g_mode == 1) {
    CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"early", 5), 0);
    CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"early", 5), 0);
  } else if (g_mode == 3) {
    CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)"A", 1), 1);
    CHECK_EQ(bun_tcp_socket_buffered_amount(s), 1);
    CHECK_EQ(bun_tcp_socket_end(s, (const uint8_t *)"B", 1), 1);
    CHECK_NEG(bun_tcp_socket_write(s, (const uint8_t *)"C", 1));
  }
}
static void cli_drain(bun_tcp_socket s, void *d) {
  rec_on_drain(s, d);
  rec_t *r = (rec_t *)d;
  CHECK_MSG(g_mode == 2 || r->n_handshake == 1, "drain before the handshake (trace %s)", r->tr.buf);
  if (r->n_drain == 1) CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"abc", 3), 3);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  if (r->in.len == 3) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void srv_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  if (g_mode == 1) CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"early", 5), 0);
}
static void srv_drain(bun_tcp_socket s, void *d) {
  rec_on_drain(s, d);
  rec_t *r = (rec_t *)bun_tcp_socket_data(s);
  CHECK_MSG(r->n_handshake == 1, "server drain before the handshake (trace %s)", r->tr.buf);
  if (r->n_drain == 1) CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"xyz", 3), 3);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (g_mode != 1 && g_mode != 3) CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

static void run(int mode, const char *name, bool cli_hs, bool srv_hs, const char *cli_trace,
                const char *srv_trace) {
  test_case(name);
  g_mode = mode;
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  for (int i = 0; i < SRV_MAX; i++) sv.socks[i].trace_drain = true;
  rec_t cr;
  rec_init(&cr);
  cr.trace_drain = true;
  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open;
  sh.data = srv_data;
  sh.drain = srv_drain;
  if (srv_hs) sh.handshake = rec_on_handshake;
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  ch.drain = cli_drain;
  ch.data = cli_data;
  if (cli_hs) ch.handshake = rec_on_handshake;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  bun_tcp_socket c = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &ch, &client.o);
  if (mode == 2) CHECK_EQ(bun_tcp_socket_write(c, (const uint8_t *)"early", 5), 0);
  RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  run_for(loop, 50);
  CHECK_TRACE(&cr.tr, cli_trace);
  CHECK_TRACE(&sv.socks[0].tr, srv_trace);
  check_closed_once(&cr, "client");
  check_closed_once(&sv.socks[0], "server socket");
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_no_drain_before_handshake", 60);
  run(0, "client with handshake handler: writes in open return 0, drain after handshake", true,
      false, "open,handshake:ok,drain,data:abc,end,close", "open,data:abc,end,close");
  run(1, "server with handshake handler: the same on the accepted side", true, true,
      "open,handshake:ok,drain,data:xyz,end,close", "open,handshake:ok,drain,data:abc,end,close");
  run(2, "no handshake handler: write while connecting returns 0, drain after open", false, false,
      "open,drain,data:abc,end,close", "open,data:abc,end,close");
  run(3, "write_all + end during the handshake are queued and flushed after it", true, false,
      "open,handshake:ok,end,close", "open,data:AB,end,close");
  tls_fixtures_free();
  return test_pass();
}
