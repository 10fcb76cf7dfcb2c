/* Ten rounds of ping-pong: the client sends "ping N", the server echoes it, the client sends the
 * next one from its data handler; after round 10 the client closes. */
#include "conf.h"

static bun_tcp_listener server;
static int round_;

static void s_open(bun_tcp_socket s, void *d) { say("server open"); }
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  say_rc("server", "write", bun_tcp_socket_write(s, b, n));
}
static void s_end(bun_tcp_socket s, void *d) { say("server end"); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void send_ping(bun_tcp_socket s) {
  char msg[32];
  int n = snprintf(msg, sizeof msg, "ping %d;", round_);
  say_rc("client", "write", bun_tcp_socket_write(s, (const uint8_t *)msg, (size_t)n));
}
static void c_open(bun_tcp_socket s, void *d) { say("client open"); round_ = 1; send_ping(s); }
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say("client got \"%.*s\"", (int)n, (const char *)b);
  if (round_++ < 10) send_ping(s);
  else bun_tcp_socket_close(s);
}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
