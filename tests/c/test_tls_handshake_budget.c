/* the header: TLS (BUN_TCP_TLS_HANDSHAKE_BUDGET in the header): a flood of TLS handshakes does not starve an
 * established connection.
 *
 * An established TLS pair A (client + accepted socket) plays ping-pong (8-byte messages, each
 * side answers from its data handler). Then 120 TLS clients connect to the same listener at once,
 * on the same loop. Checks:
 *   - no single bun_tcp_poll iteration completes more handshakes (server-side + client-side opens;
 *     no handshake handlers, so open marks the completion) than BUN_TCP_TLS_HANDSHAKE_BUDGET;
 *   - while the flood is being worked off (more than one iteration), A keeps completing round
 *     trips: at least one for every 4 iterations of the flood, and at least 3 in all;
 *   - every flood client opens exactly once and, after end(), closes cleanly on both sides
 *     ("open,end,close", no error); A's counters arrive in order.
 */
#include "harness.h"

#define FLOOD 120
#define MSG 8

static int g_srv_opens, g_cli_opens;
static uint64_t g_rounds;
static bun_tcp_socket g_a;
static bool g_pingpong = true;

/* the listener's data during the flood: accepted flood sockets carry it and are only counted */
static int g_flood_tag;
static int g_flood_srv_closes, g_flood_srv_other;

static void srv_open(bun_tcp_socket s, void *d) {
  g_srv_opens++;
  if (d == &g_flood_tag) return;
  rec_on_open(s, d);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  if (d == &g_flood_tag) FAIL("a flood socket received data");
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}
static void srv_end(bun_tcp_socket s, void *d) {
  if (d == &g_flood_tag) return;
  rec_on_end(s, d);
}
static void srv_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  if (d == &g_flood_tag) {
    g_flood_srv_closes++;
    if (e) printf("    flood server socket close(%s)\n", harness_str(e->name));
    if (e) g_flood_srv_other++;
    return;
  }
  rec_on_close(s, d, e);
}
static void srv_other(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  if (d == &g_flood_tag) {
    printf("    flood server socket error(%s: %s)\n", harness_str(e->name), harness_str(e->message));
    g_flood_srv_other++;
    return;
  }
  rec_on_error(s, d, e);
}
static void flood_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  g_cli_opens++;
}
static void a_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  if (r->in.len % MSG) return;
  uint64_t got;
  memcpy(&got, r->in.ptr + r->in.len - MSG, MSG);
  CHECK_EQ(got, g_rounds);
  g_rounds++;
  r->in.len = 0;
  if (g_pingpong) CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)&g_rounds, MSG), MSG);
}

int main(void) {
  test_init("test_tls_handshake_budget", 60);
  printf("    BUN_TCP_TLS_HANDSHAKE_BUDGET %d\n", BUN_TCP_TLS_HANDSHAKE_BUDGET);
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t *sv = (srv_t *)calloc(1, sizeof *sv);
  rec_t *flood = (rec_t *)calloc(FLOOD, sizeof *flood);
  if (!sv || !flood) FAIL("out of memory");
  srv_init(sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open;
  sh.data = srv_data;
  sh.end = srv_end;
  sh.close = srv_close;
  sh.error = srv_other;
  bun_tcp_listener l = listen_tls_srv(loop, sv, &sh, &server.o, NULL);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("established pair A");
  rec_t ar;
  rec_init(&ar);
  bun_tcp_handlers ah = rec_handlers();
  ah.data = a_data;
  g_a = connect_tls_rec(loop, NULL, port, &ar, &ah, &client.o);
  RUN_UNTIL(loop, ar.n_open == 1 && g_srv_opens == 1);
  CHECK_EQ(bun_tcp_socket_write(g_a, (const uint8_t *)&g_rounds, MSG), MSG);
  RUN_UNTIL(loop, g_rounds >= 10);

  test_case("flood of handshakes");
  CHECK_OK(bun_tcp_listener_set_data(l, &g_flood_tag));
  bun_tcp_handlers fh = rec_handlers();
  fh.open = flood_open;
  for (int i = 0; i < FLOOD; i++) {
    rec_init(&flood[i]);
    connect_tls_rec(loop, NULL, port, &flood[i], &fh, &client.o);
  }
  int base_srv = g_srv_opens;
  uint64_t rounds0 = g_rounds;
  int iterations = 0, max_per_iteration = 0;
  double deadline = now_ms() + 20000 * harness_time_scale();
  while (g_cli_opens < FLOOD || g_srv_opens - base_srv < FLOOD) {
    if (now_ms() > deadline)
      FAIL("flood not done: %d client opens, %d server opens", g_cli_opens, g_srv_opens - base_srv);
    int before = g_cli_opens + g_srv_opens;
    poll_ok(loop, 50);
    int done = g_cli_opens + g_srv_opens - before;
    if (done > 0 || iterations > 0) iterations++;
    if (done > max_per_iteration) max_per_iteration = done;
  }
  uint64_t rounds = g_rounds - rounds0;
  printf("    %d handshakes (both sides) over %d iterations, at most %d in one; A made %llu round "
         "trips meanwhile\n",
         2 * FLOOD, iterations, max_per_iteration, (unsigned long long)rounds);
  CHECK_CMP(max_per_iteration, <=, BUN_TCP_TLS_HANDSHAKE_BUDGET);
  CHECK_CMP(iterations, >, 1);
  CHECK_CMP(rounds, >=, 3);
  CHECK_CMP(rounds * 4, >=, (uint64_t)iterations);

  test_case("everything closes cleanly");
  g_pingpong = false;
  /* end (not close): a close with unread session tickets in the receive buffer would RST */
  for (int i = 0; i < FLOOD; i++) CHECK_EQ(bun_tcp_socket_end(flood[i].s, NULL, 0), 0);
  CHECK_EQ(bun_tcp_socket_end(g_a, NULL, 0), 0);
  RUN_UNTIL(loop, bun_tcp_loop_socket_count(loop) == 0 && g_flood_srv_closes == FLOOD);
  CHECK_EQ(g_flood_srv_other, 0);
  for (int i = 0; i < FLOOD; i++) {
    CHECK_TRACE(&flood[i].tr, "open,end,close");
    rec_free(&flood[i]);
  }
  CHECK_EQ(ar.n_error, 0);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(sv);
  rec_free(&ar);
  free(sv);
  free(flood);
  tls_fixtures_free();
  return test_pass();
}
