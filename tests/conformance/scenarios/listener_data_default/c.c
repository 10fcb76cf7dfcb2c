/* The listener's data is every accepted socket's initial data; a socket can replace its own; the
 * client's data comes from the connect options. Every handler prints the socket's data. */
#include "conf.h"

static bun_tcp_listener server;

static void s_open(bun_tcp_socket s, void *d) {
  say("server open %s", (const char *)d);
  bun_tcp_socket_set_data(s, "socket-data");
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say("server data %s", (const char *)d); }
static void s_end(bun_tcp_socket s, void *d) { say("server end %s", (const char *)d); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say("server close %s", (const char *)d);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open %s", (const char *)d);
  bun_tcp_socket_end(s, (const uint8_t *)"x", 1);
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say("client data %s", (const char *)d); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say("client close %s", (const char *)d); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0, .data = "listener-data"};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));
  say("server listener data %s", (const char *)bun_tcp_listener_data(server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server),
                                .data = "client-data"};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
