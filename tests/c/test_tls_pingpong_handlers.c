/* the README: semantics "TLS: two TLS sockets writing to each other from handlers".
 *
 * A TLS client and a TLS server on one loop, each writing only from inside its handlers:
 *   - both sides greet at once when ready (open without handshake handlers, handshake with them),
 *     so both directions carry data from the first flight;
 *   - then a counter ping-pong: each side answers a received counter n with n+1 (16-byte
 *     messages), 1000 messages in all; every write returns the full length, no drain fires;
 *   - the client ends after the last message; exact counts and traces:
 *     client "open,[handshake:ok,]data,end,close", server "open,[handshake:ok,]data,end,close".
 * The client sends the even counters 0..998, the server a greeting and the odd ones 1..999.
 */
#include "harness.h"

#define MSG 16
#define LAST 999 /* odd: the server sends odd counters, the client even ones */

typedef struct side {
  rec_t *r;
  int next_expected; /* the counter this side waits for */
  int received;
  int sent;
  char buf[MSG];
  size_t fill;
} side_t;

static side_t g_cli, g_srv;
static bool g_hs;

static side_t *side_of(rec_t *r) { return r == g_cli.r ? &g_cli : &g_srv; }

static void send_counter(bun_tcp_socket s, side_t *sd, int n) {
  char msg[MSG + 1];
  snprintf(msg, sizeof msg, "%015d\n", n);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)msg, MSG), MSG);
  sd->sent++;
}

static void ready(bun_tcp_socket s, rec_t *r) {
  side_t *sd = side_of(r);
  /* greeting: the client starts the counter at 0, the server sends a greeting counter -1 */
  send_counter(s, sd, sd == &g_cli ? 0 : -1);
}

static void on_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  rec_t *r = (rec_t *)bun_tcp_socket_data(s);
  if (r != g_cli.r) g_srv.r = r;
  if (g_hs) {
    CHECK(bun_tcp_socket_tls_version(s) == NULL); /* still handshaking: wait for handshake */
    return;
  }
  CHECK_STR(bun_tcp_socket_tls_version(s), "TLSv1.3");
  ready(s, r);
}
static void on_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  CHECK(ok);
  ready(s, (rec_t *)d);
}
static void on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  side_t *sd = side_of((rec_t *)d);
  for (size_t i = 0; i < n; i++) {
    sd->buf[sd->fill++] = (char)b[i];
    if (sd->fill < MSG) continue;
    sd->fill = 0;
    CHECK(sd->buf[MSG - 1] == '\n');
    int v = atoi(sd->buf);
    sd->received++;
    if (sd == &g_cli && sd->received == 1) {
      CHECK_EQ(v, -1); /* the server's greeting comes first */
      continue;
    }
    CHECK_EQ(v, sd->next_expected);
    sd->next_expected += 2;
    if (v == LAST) {
      CHECK(sd == &g_cli);
      CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
      continue;
    }
    send_counter(s, sd, v + 1);
  }
}

static void run(const char *name, bool hs) {
  test_case(name);
  g_hs = hs;
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  sv.keep_bytes = false;
  rec_t cr;
  rec_init(&cr);
  cr.keep_bytes = false;
  cr.tr.data_contents = false;
  for (int i = 0; i < SRV_MAX; i++) sv.socks[i].tr.data_contents = false;
  memset(&g_cli, 0, sizeof g_cli);
  memset(&g_srv, 0, sizeof g_srv);
  g_cli.r = &cr;
  g_cli.next_expected = 1;
  g_srv.next_expected = 0;
  bun_tcp_handlers h = rec_handlers();
  h.open = on_open;
  h.data = on_data;
  if (hs) h.handshake = on_handshake;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &h, &server.o, NULL);
  connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &h, &client.o);
  RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  run_for(loop, 30);
  CHECK_TRACE(&cr.tr, hs ? "open,handshake:ok,data,end,close" : "open,data,end,close");
  CHECK_TRACE(&sv.socks[0].tr, hs ? "open,handshake:ok,data,end,close" : "open,data,end,close");
  CHECK_EQ(g_cli.sent, 500);     /* 0, 2, ..., 998 */
  CHECK_EQ(g_srv.sent, 501);     /* the greeting, then 1, 3, ..., 999 */
  CHECK_EQ(g_cli.received, 501);
  CHECK_EQ(g_srv.received, 500);
  CHECK_EQ(cr.n_drain + sv.socks[0].n_drain, 0);
  CHECK_EQ(cr.n_error + sv.socks[0].n_error, 0);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_pingpong_handlers", 60);
  run("writes from open (no handshake handlers)", false);
  run("writes from handshake handlers", true);
  tls_fixtures_free();
  return test_pass();
}
