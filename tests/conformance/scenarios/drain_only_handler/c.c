/* A listener whose handlers have drain but no data is accepted; bytes it receives are dropped
 * silently; its open, end and close handlers still run. */
#include "conf.h"

static bun_tcp_listener server;

static void s_open(bun_tcp_socket s, void *d) { say("server open"); }
static void s_drain(bun_tcp_socket s, void *d) { say("server drain"); }
static void s_end(bun_tcp_socket s, void *d) { say("server end"); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  say_rc("client", "write", bun_tcp_socket_write(s, (const uint8_t *)"nobody reads this", 17));
  bun_tcp_socket_close(s);
}
static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .drain = s_drain, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = ignore, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
