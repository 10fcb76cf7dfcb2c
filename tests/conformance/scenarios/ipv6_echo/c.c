/* Listen on ::1 and connect to it: an echo over IPv6; both ends report the IPv6 loopback
 * address. */
#include "conf.h"

static bun_tcp_listener server;

static void say_remote(const char *who, bun_tcp_socket s) {
  char addr[64] = "";
  bun_tcp_socket_remote_address(s, addr, sizeof addr);
  say("%s open remote %s", who, addr);
}

static void s_open(bun_tcp_socket s, void *d) { say_remote("server", s); }
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  say_rc("server", "write", bun_tcp_socket_write(s, b, n));
}
static void s_end(bun_tcp_socket s, void *d) { say("server end"); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say_remote("client", s);
  say_rc("client", "write", bun_tcp_socket_write(s, (const uint8_t *)"over ipv6", 9));
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("client", b, n);
  bun_tcp_socket_close(s);
}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "::1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "::1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
