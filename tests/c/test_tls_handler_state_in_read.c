/* the header: reading on TLS: a state change made by a handler takes effect for the rest of the same
 * read, as on plain TCP.
 *
 * The server and the client share one loop, so everything the peer sent in one handler (a record
 * and its close_notify, or the client's Finished and its first record) is read at once; the bug
 * was that the plaintext and the end of stream of that read were delivered without looking at
 * what the handler had just done.
 *   1. client pauses inside `data` while the server's "hello" + close_notify + FIN came in the same
 *      read: no `end` while paused; on resume: `end`, `close`.
 *   2. server (no handshake handler) pauses inside `open`; the client writes "ping" in its own
 *      `open`: the server gets no `data` while paused; on resume "ping" arrives (kept, not lost).
 *   3. same with a `handshake` handler on the server that pauses inside `handshake`.
 *   4. client shuts its read side inside `data`: no `end` (the socket stays open), then close.
 *   5. client closes inside `data`: no handler after `close` (no `end`).
 *   6. client pauses inside `data` with several records in one read: their plaintext comes in one
 *      `data` (one read, one call), the end of stream still waits for resume.
 *   7. a client without a `handshake` handler reloads (before the handshake ends) a table whose
 *      `handshake` closes the socket: `handshake`, then `connect_error` (ECANCELED), never `open`.
 *   8. a record followed by bytes that break the TLS stream, in one read: the record's plaintext
 *      is delivered before `error` and `close` (as plain TCP delivers bytes before a reset).
 */
#include "harness.h"

enum action { ACT_NONE, ACT_PAUSE, ACT_SHUT_READ, ACT_CLOSE };
static enum action g_client_action;
static int g_client_actions_done;

static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (g_client_actions_done++) return;
  switch (g_client_action) {
  case ACT_PAUSE: CHECK_OK(bun_tcp_socket_pause(s)); break;
  case ACT_SHUT_READ: CHECK_OK(bun_tcp_socket_shutdown(s, true)); break;
  case ACT_CLOSE: CHECK_OK(bun_tcp_socket_close(s)); break;
  case ACT_NONE: break;
  }
}

static const char *g_server_reply; /* written then ended by the server in open */
static int g_server_records = 1;
static void srv_open_reply(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  size_t n = strlen(g_server_reply);
  for (int i = 1; i < g_server_records; i++) CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)g_server_reply, n), (long long)n);
  CHECK_EQ(bun_tcp_socket_end(s, (const uint8_t *)g_server_reply, n), (long long)n);
}

/* The server replies and ends in open; the client does `action` in its first data. */
static void client_side(const char *name, enum action action, int records, const char *while_acting,
                        const char *after) {
  test_case(name);
  g_client_action = action;
  g_client_actions_done = 0;
  g_server_reply = "hello";
  g_server_records = records;
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open_reply;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers ch = rec_handlers();
  ch.data = cli_data;
  bun_tcp_socket c = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &r, &ch, &client.o);
  RUN_UNTIL(loop, r.n_data == 1);
  run_for(loop, 100); /* nothing else may happen while the handler's decision holds */
  CHECK_TRACE(&r.tr, while_acting);
  if (action == ACT_PAUSE) {
    CHECK_OK(bun_tcp_socket_resume(c));
    RUN_UNTIL(loop, r.n_close == 1);
  } else if (action == ACT_SHUT_READ) {
    CHECK_EQ(bun_tcp_socket_ready_state(c) != BUN_TCP_STATE_CLOSED, 1);
    CHECK_OK(bun_tcp_socket_close(c));
  }
  CHECK_TRACE(&r.tr, after);
  check_closed_once(&r, "client");
  CHECK_EQ(r.n_error, 0);
  bun_tcp_listener_stop(l, true);
  run_for(loop, 20);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&r);
}

static void cli_open_ping(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"ping", 4), 4);
}

static void srv_handshake_pause(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  CHECK_OK(bun_tcp_socket_pause(s));
}

/* The server pauses in open (or in handshake); the client writes "ping" as soon as it is open. */
static void server_side(const char *name, bool handshake_handler) {
  test_case(name);
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  if (handshake_handler)
    sh.handshake = srv_handshake_pause;
  else
    sv.pause_on_open = true;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open_ping;
  bun_tcp_socket c = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &r, &ch, &client.o);
  RUN_UNTIL(loop, r.n_open == 1 && sv.n_accepted == 1 &&
                      (!handshake_handler || sv.socks[0].n_handshake == 1));
  run_for(loop, 100); /* the ping arrived meanwhile: it must wait for resume */
  rec_t *a = &sv.socks[0];
  CHECK_TRACE(&a->tr, handshake_handler ? "open,handshake:ok" : "open");
  CHECK_OK(bun_tcp_socket_resume(a->s));
  RUN_UNTIL(loop, a->n_data == 1);
  CHECK_TRACE(&a->tr, handshake_handler ? "open,handshake:ok,data:ping" : "open,data:ping");
  CHECK_OK(bun_tcp_socket_close(c));
  RUN_UNTIL(loop, a->n_close == 1);
  CHECK_TRACE(&a->tr, handshake_handler ? "open,handshake:ok,data:ping,end,close" : "open,data:ping,end,close");
  CHECK_TRACE(&r.tr, "open,close");
  bun_tcp_listener_stop(l, true);
  run_for(loop, 20);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&r);
}

static void hs_close(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  CHECK_OK(bun_tcp_socket_close(s));
}

static void reload_closing_handshake(void) {
  test_case("reloaded handshake handler closes before the deferred open: no open");
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers ch = rec_handlers();
  bun_tcp_socket c = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &r, &ch, &client.o);
  /* connected, handshake under way (the client has no handshake handler: open is deferred) */
  while (bun_tcp_socket_ready_state(c) != BUN_TCP_STATE_OPEN) poll_ok(loop, 10);
  CHECK_EQ(r.total_calls, 0);
  bun_tcp_handlers ch2 = rec_handlers();
  ch2.handshake = hs_close;
  CHECK_OK(bun_tcp_socket_reload(c, &ch2));
  RUN_UNTIL(loop, r.n_connect_error == 1);
  run_for(loop, 50);
  CHECK_TRACE(&r.tr, "handshake:ok,connect_error:ECANCELED");
  CHECK_EQ(r.n_open, 0);
  bun_tcp_listener_stop(l, true);
  run_for(loop, 20);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&r);
}

/* the server writes a record, then raw bytes that are no TLS record, on the same descriptor */
static void srv_open_record_then_junk(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"hello", 5), 5);
  int fd = bun_tcp_socket_fd(s);
  CHECK(fd >= 0);
  static const uint8_t junk[] = {0x17, 0x03, 0x03, 0x00, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  CHECK_EQ(send(fd, junk, sizeof junk, MSG_NOSIGNAL), (long long)sizeof junk);
}

static void data_before_failure(void) {
  test_case("a record then a broken one in one read: data, then error and close");
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open_record_then_junk;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers ch = rec_handlers();
  connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &r, &ch, &client.o);
  RUN_UNTIL(loop, r.n_close == 1);
  printf("    client: %s\n", r.tr.buf);
  CHECK_TRACE(&r.tr, "open,data:hello,error:ERR_SSL_PROTOCOL,close_err:ERR_SSL_PROTOCOL");
  check_closed_once(&r, "client");
  bun_tcp_listener_stop(l, true);
  run_for(loop, 20);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&r);
}

int main(void) {
  test_init("test_tls_handler_state_in_read", 60);
  client_side("client pauses in data: end waits for resume", ACT_PAUSE, 1, "open,data:hello",
              "open,data:hello,end,close");
  server_side("server pauses in open: the first data waits for resume", false);
  server_side("server pauses in handshake: the first data waits for resume", true);
  client_side("client shuts its read side in data: no end", ACT_SHUT_READ, 1, "open,data:hello",
              "open,data:hello,close");
  client_side("client closes in data: nothing after close", ACT_CLOSE, 1, "open,data:hello,close",
              "open,data:hello,close");
  client_side("client pauses in data after several records: end waits", ACT_PAUSE, 3,
              "open,data:hellohellohello", "open,data:hellohellohello,end,close");
  reload_closing_handshake();
  data_before_failure();
  tls_fixtures_free();
  return test_pass();
}
