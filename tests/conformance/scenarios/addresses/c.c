/* Addresses and ports in open: the server sees the client's address, the client's remote port is
 * the listener's port, and the two ends' local/remote ports match each other. */
#include "conf.h"

static bun_tcp_listener server;
static int server_remote_port = -1;

static const char *tf(bool b) { return b ? "true" : "false"; }

static void s_open(bun_tcp_socket s, void *d) {
  char addr[64] = "";
  server_remote_port = bun_tcp_socket_remote_port(s);
  bun_tcp_socket_remote_address(s, addr, sizeof addr);
  say("server open remoteAddress %s", addr);
  say("server localPort is the listener port: %s",
      tf(bun_tcp_socket_local_port(s) == bun_tcp_listener_port(server)));
}
static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  char addr[64] = "";
  bun_tcp_socket_remote_address(s, addr, sizeof addr);
  say("client open remoteAddress %s", addr);
  say("client remotePort is the listener port: %s",
      tf(bun_tcp_socket_remote_port(s) == bun_tcp_listener_port(server)));
  say("client localPort is the server's remotePort: %s",
      tf(bun_tcp_socket_local_port(s) == server_remote_port));
  bun_tcp_socket_close(s);
}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = ignore, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = ignore, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
