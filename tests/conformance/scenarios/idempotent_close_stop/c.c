/* close() twice on a socket and stop() three times on a listener (plain, plain, with close): the
 * close handler runs once, the second close is a no-op, stop is idempotent. */
#include "conf.h"

static bun_tcp_listener server;

static void s_open(bun_tcp_socket s, void *d) { say("server open"); }
static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void s_end(bun_tcp_socket s, void *d) { say("server end"); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
  bun_tcp_listener_stop(server, false);
  bun_tcp_listener_stop(server, true);
  say("server stopped three times");
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  bun_tcp_socket_close(s);
  say("client closed once");
  bun_tcp_socket_close(s);
  say("client closed twice");
}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = ignore, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = ignore, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
