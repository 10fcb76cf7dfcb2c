/* the header: bun_tcp_loop_set_trace on TLS sockets: `handshake` events carry `success` and the
 * verdict, so a rejected certificate is visible in the trace.
 *
 *   - trusted server, both sides with a handshake handler; the client ends at its handshake, the
 *     server has no `end` handler: client events "open,handshake:ok,end,close", server events
 *     "open,handshake:ok,close", exactly as their handler traces; success true, error NULL;
 *   - a self-signed server the client does not trust: client events
 *     "open,handshake:fail:DEPTH_ZERO_SELF_SIGNED_CERT,error:...,close:..."; the line says
 *     "handshake success=false err=DEPTH_ZERO_SELF_SIGNED_CERT". */
#include "harness.h"

#define MAX_EVENTS 64

typedef struct seen {
  uint64_t socket;
  char text[96];
  char line[320];
} seen_t;

static seen_t g_events[MAX_EVENTS];
static int g_n;

static void on_trace(const bun_tcp_trace_event *ev, void *data) {
  (void)data;
  if (g_n >= MAX_EVENTS) FAIL("too many trace events");
  seen_t *e = &g_events[g_n++];
  e->socket = ev->socket.id;
  if (strcmp(ev->handler, "handshake") == 0)
    snprintf(e->text, sizeof e->text, "handshake:%s%s%s", ev->success ? "ok" : "fail", ev->error ? ":" : "",
             ev->error ? ev->error->name : "");
  else if (ev->error)
    snprintf(e->text, sizeof e->text, "%s:%s", ev->handler, ev->error->name);
  else
    snprintf(e->text, sizeof e->text, "%s", ev->handler);
  snprintf(e->line, sizeof e->line, "%s", ev->line);
}

static void events_of(uint64_t socket, char *out, size_t cap) {
  size_t used = 0;
  out[0] = 0;
  for (int i = 0; i < g_n; i++)
    if (g_events[i].socket == socket)
      used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "," : "", g_events[i].text);
}

#define CHECK_EVENTS(socket, expected)                                                             \
  do {                                                                                             \
    char _got[512];                                                                                \
    events_of((socket).id, _got, sizeof _got);                                                     \
    CHECK_STR(_got, expected);                                                                     \
  } while (0)

static void cli_handshake(bun_tcp_socket s, void *d, bool success, const bun_tcp_error *e) {
  rec_on_handshake(s, d, success, e);
  if (success) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

int main(void) {
  test_init("test_tls_loop_trace", 60);
  tls_cfg server, self_srv, client;
  tls_cfg_server(&server);
  tls_cfg_init(&self_srv);
  tls_cfg_chain(&self_srv, "self.crt", "self.key");
  tls_cfg_client(&client);

  test_case("a trusted handshake");
  bun_tcp_loop *loop = new_loop();
  CHECK_OK(bun_tcp_loop_set_trace(loop, on_trace, NULL));
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_tls_handlers();
  sh.end = NULL;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers ch = rec_tls_handlers();
  ch.handshake = cli_handshake;
  bun_tcp_socket cs = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l), &cr, &ch, &client.o);
  RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  CHECK_TRACE(&cr.tr, "open,handshake:ok,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,handshake:ok,close");
  CHECK_EVENTS(cs, "open,handshake:ok,end,close");
  CHECK_EVENTS(sv.socks[0].s, "open,handshake:ok,close");
  CHECK_EQ(g_n, 7);
  CHECK_OK(bun_tcp_listener_stop(l, true));

  test_case("an untrusted server");
  g_n = 0;
  srv_t sv2;
  srv_init(&sv2);
  bun_tcp_listener l2 = listen_tls_srv(loop, &sv2, &sh, &self_srv.o, NULL);
  rec_t cr2;
  rec_init(&cr2);
  bun_tcp_socket cs2 = connect_tls_rec(loop, NULL, bun_tcp_listener_port(l2), &cr2, &ch, &client.o);
  RUN_UNTIL(loop, cr2.n_close == 1);
  CHECK_TRACE(&cr2.tr, "open,handshake:fail:DEPTH_ZERO_SELF_SIGNED_CERT,error:DEPTH_ZERO_SELF_SIGNED_CERT,"
                       "close_err:DEPTH_ZERO_SELF_SIGNED_CERT");
  CHECK_EVENTS(cs2, "open,handshake:fail:DEPTH_ZERO_SELF_SIGNED_CERT,error:DEPTH_ZERO_SELF_SIGNED_CERT,"
                    "close:DEPTH_ZERO_SELF_SIGNED_CERT");
  bool found = false;
  for (int i = 0; i < g_n; i++)
    found |= g_events[i].socket == cs2.id &&
             strstr(g_events[i].line, " handshake success=false err=DEPTH_ZERO_SELF_SIGNED_CERT ") != NULL;
  CHECK_MSG(found, "no handshake line with the verdict");
  CHECK_OK(bun_tcp_listener_stop(l2, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  srv_free(&sv2);
  rec_free(&cr);
  rec_free(&cr2);
  tls_fixtures_free();
  return test_pass();
}
