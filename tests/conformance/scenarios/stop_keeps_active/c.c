/* stop() (without closing active sockets) inside the server's open: the accepted socket keeps
 * working with the listener's handlers (an echo), a new connect is refused, the process ends once
 * the last socket closes. */
#include "conf.h"

static bun_tcp_loop *loop;
static bun_tcp_listener server;
static uint16_t port;
static bun_tcp_socket client;

static void s_open(bun_tcp_socket s, void *d) {
  say("server open");
  bun_tcp_listener_stop(server, false);
  say("server stop() returned");
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  say_rc("server", "write", bun_tcp_socket_write(s, b, n));
}
static void s_end(bun_tcp_socket s, void *d) { say("server end"); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("server", "close", e); }

static void c2_open(bun_tcp_socket s, void *d) { say("client2 open"); bun_tcp_socket_close(s); }
static void c2_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void c2_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client2", "connect_error", e);
  bun_tcp_socket_close(client);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  say_rc("client", "write", bun_tcp_socket_write(s, (const uint8_t *)"still there?", 12));
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("client", b, n);
  bun_tcp_handlers h2 = {.open = c2_open, .data = c2_data, .connect_error = c2_connect_error};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port};
  bun_tcp_socket s2;
  MUST(bun_tcp_connect(loop, &co, &h2, &s2));
}
static void c_end(bun_tcp_socket s, void *d) { say("client end"); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));
  port = bun_tcp_listener_port(server);

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .end = c_end, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port};
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
