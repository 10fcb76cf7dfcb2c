/* Connect by host name ("localhost", resolved off the loop thread) to a listener on 127.0.0.1;
 * the handlers were reloaded on the listener before anything connected. */
#include "conf.h"

static bun_tcp_listener server;

static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void v1_open(bun_tcp_socket s, void *d) { say("server v1 open (unexpected)"); }
static void v2_open(bun_tcp_socket s, void *d) {
  char addr[64] = "", msg[80];
  bun_tcp_socket_remote_address(s, addr, sizeof addr);
  say("server v2 open");
  int n = snprintf(msg, sizeof msg, "hi %s", addr);
  say_rc("server", "write", bun_tcp_socket_write(s, (const uint8_t *)msg, (size_t)n));
  bun_tcp_socket_close(s);
}
static void v2_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  char addr[64] = "";
  bun_tcp_socket_remote_address(s, addr, sizeof addr);
  say("client open remoteAddress %s", addr);
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_end(bun_tcp_socket s, void *d) { say("client end"); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }
static void c_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "connect_error", e);
}

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers v1 = {.open = v1_open, .data = ignore};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &v1, &server));
  bun_tcp_handlers v2 = {.open = v2_open, .data = ignore, .close = v2_close};
  MUST(bun_tcp_listener_reload(server, &v2));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .end = c_end, .close = c_close,
                         .connect_error = c_connect_error};
  bun_tcp_connect_options co = {.hostname = "localhost", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
