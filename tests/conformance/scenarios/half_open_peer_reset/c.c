/* A half-open socket whose peer resets. The server (allow_half_open) greets in open; the client
 * (allow_half_open) pauses and shuts its write side (FIN). When the server's end handler runs, the
 * client terminates (RST). The server writes nothing more: it must still notice the reset and
 * close. */
#include "conf.h"

static bun_tcp_listener server;
static bun_tcp_socket client;

static void s_open(bun_tcp_socket s, void *d) {
  say("server open");
  say_rc("server", "write", bun_tcp_socket_write(s, (const uint8_t *)"hello", 5));
}
static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void s_end(bun_tcp_socket s, void *d) {
  say("server end");
  bun_tcp_socket_terminate(client);
}
static void s_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("server", "error", e); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  bun_tcp_socket_pause(s);
  bun_tcp_socket_shutdown(s, false);
}
static void c_end(bun_tcp_socket s, void *d) { say("client end"); }
static void c_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "error", e); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = ignore, .end = s_end, .error = s_error,
                         .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0, .allow_half_open = true};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = ignore, .end = c_end, .error = c_error,
                         .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server),
                                .allow_half_open = true};
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
