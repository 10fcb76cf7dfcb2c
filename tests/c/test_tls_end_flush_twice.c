/* the README: semantics "TLS: end then flush twice".
 *
 * end() on a TLS socket followed by flush() twice (same handler) is harmless:
 *   - the client, in open, calls end("bye") (returns 3) then flush() twice (each 0 or a negative
 *     code, never a crash), and a write after them is negative; the server receives exactly
 *     "bye", then end (close_notify + FIN);
 *   - the server does the same in its end handler (end("ok"), flush, flush): the client reads
 *     "ok", end, close; both closes are clean (err NULL): client "open,data:ok,end,close",
 *     server "open,data:bye,end,close";
 *   - a 4 MiB end() with flush() twice: every byte arrives (SHA-256 match) before end;
 *   - flush() on the closed (stale) handle returns a negative code.
 */
#include "harness.h"

#define BIG (4u << 20)

static size_t g_len;
static uint8_t *g_payload;
static int32_t g_flush1 = 1, g_flush2 = 1;

static void cli_ready(bun_tcp_socket s) {
  CHECK_EQ(bun_tcp_socket_end(s, g_payload, g_len), (long long)g_len);
  g_flush1 = bun_tcp_socket_flush(s);
  g_flush2 = bun_tcp_socket_flush(s);
  CHECK_NEG(bun_tcp_socket_write(s, (const uint8_t *)"x", 1));
}
static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  cli_ready(s);
}
static int32_t g_srv_flush1 = 1, g_srv_flush2 = 1;
static void srv_end(bun_tcp_socket s, void *d) {
  rec_on_end(s, d);
  CHECK_EQ(bun_tcp_socket_end(s, (const uint8_t *)"ok", 2), 2);
  g_srv_flush1 = bun_tcp_socket_flush(s);
  g_srv_flush2 = bun_tcp_socket_flush(s);
}

static void run(const char *name, size_t len) {
  test_case(name);
  g_len = len;
  g_payload = (uint8_t *)malloc(len);
  if (!g_payload) FAIL("out of memory");
  if (len == 3)
    memcpy(g_payload, "bye", 3);
  else
    stream_fill(7, 0, g_payload, len);
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  sv.keep_bytes = false;
  sv.hash_in = true;
  for (int i = 0; i < SRV_MAX; i++) sv.socks[i].tr.data_contents = len < 64;
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers sh = rec_handlers();
  sh.end = srv_end;
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  bun_tcp_socket c = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &ch, &client.o);
  RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  run_for(loop, 30);
  printf("    flush after end: %d, %d (client), %d, %d (server)\n", g_flush1, g_flush2, g_srv_flush1,
         g_srv_flush2);
  CHECK_CMP(g_flush1, <=, 0);
  CHECK_CMP(g_flush2, <=, 0);
  CHECK_CMP(g_srv_flush1, <=, 0);
  CHECK_CMP(g_srv_flush2, <=, 0);
  CHECK_TRACE(&cr.tr, "open,data:ok,end,close");
  if (len < 64) {
    char expect[128];
    snprintf(expect, sizeof expect, "open,data:%.*s,end,close", (int)len, (const char *)g_payload);
    CHECK_TRACE(&sv.socks[0].tr, expect);
  } else {
    CHECK_TRACE(&sv.socks[0].tr, "open,data,end,close");
  }
  CHECK_EQ(sv.socks[0].bytes_in, len);
  sha256_ctx want;
  sha256_init(&want);
  sha256_update(&want, g_payload, len);
  uint8_t dw[32], dg[32];
  sha256_final(&want, dw);
  sha256_final(&sv.socks[0].sha, dg);
  CHECK_MSG(memcmp(dw, dg, 32) == 0, "SHA-256 of the received bytes differs");
  check_closed_once(&cr, "client");
  check_closed_once(&sv.socks[0], "server socket");
  CHECK_EQ(cr.close_code, 0);
  CHECK_EQ(sv.socks[0].close_code, 0);
  CHECK_NEG(bun_tcp_socket_flush(c));
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
  free(g_payload);
}

int main(void) {
  test_init("test_tls_end_flush_twice", 60);
  run("end(\"bye\") + flush + flush", 3);
  run("end(4 MiB) + flush + flush", BIG);
  tls_fixtures_free();
  return test_pass();
}
