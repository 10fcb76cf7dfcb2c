/* allow_half_open server: the client writes "x" and shuts its write side (FIN). In its end handler
 * the server shuts its own write side too: both directions are now shut. When does close run:
 * inside shutdown(), or later from the loop? Can the handler still write? */
#include "conf.h"

static bun_tcp_listener server;

static void s_open(bun_tcp_socket s, void *d) { say("server open"); }
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("server", b, n); }
static void s_end(bun_tcp_socket s, void *d) {
  say("server end");
  bun_tcp_socket_shutdown(s, false);
  say("server shutdown() returned");
  say_rc("server", "write after shutdown", bun_tcp_socket_write(s, (const uint8_t *)"x", 1));
  say("server end handler returns");
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  bun_tcp_socket_write(s, (const uint8_t *)"x", 1);
  bun_tcp_socket_shutdown(s, false);
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0, .allow_half_open = true};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
