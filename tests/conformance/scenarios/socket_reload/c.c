/* socket.reload() on a client socket from inside its data handler: its next events go to the new
 * handlers (v2's data, end and close). */
#include "conf.h"

static bun_tcp_listener server;

static void s_open(bun_tcp_socket s, void *d) {
  say("server open");
  bun_tcp_socket_write(s, (const uint8_t *)"one", 3);
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  bun_tcp_socket_end(s, (const uint8_t *)"three", 5);
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void v2_open(bun_tcp_socket s, void *d) { say("client v2 open"); }
static void v2_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client v2", b, n); }
static void v2_end(bun_tcp_socket s, void *d) { say("client v2 end"); }
static void v2_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client v2", "close", e); }

static void v1_open(bun_tcp_socket s, void *d) { say("client v1 open"); }
static void v1_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("client v1", b, n);
  bun_tcp_handlers v2 = {.open = v2_open, .data = v2_data, .end = v2_end, .close = v2_close};
  bun_tcp_socket_reload(s, &v2);
  say("client reloaded");
  bun_tcp_socket_write(s, (const uint8_t *)"two", 3);
}
static void v1_end(bun_tcp_socket s, void *d) { say("client v1 end"); }
static void v1_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client v1", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = v1_open, .data = v1_data, .end = v1_end, .close = v1_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
