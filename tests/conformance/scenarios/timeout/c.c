/* An idle connection: the server arms a 1-second timeout in open. The timeout handler fires once
 * and does not close the socket: the server then writes "still open", and
 * the client closes when it gets it. */
#include "conf.h"

static bun_tcp_listener server;

static void s_open(bun_tcp_socket s, void *d) {
  say("server open");
  bun_tcp_socket_timeout(s, 1);
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("server", b, n); }
static void s_end(bun_tcp_socket s, void *d) { say("server end"); }
static void s_timeout(bun_tcp_socket s, void *d) {
  say("server timeout");
  say("server readyState %s", state_name(bun_tcp_socket_ready_state(s)));
  say_rc("server", "write", bun_tcp_socket_write(s, (const uint8_t *)"still open", 10));
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) { say("client open"); }
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("client", b, n);
  bun_tcp_socket_close(s);
}
static void c_end(bun_tcp_socket s, void *d) { say("client end"); }
static void c_timeout(bun_tcp_socket s, void *d) { say("client timeout"); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(30);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .timeout = s_timeout, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .end = c_end, .timeout = c_timeout,
                         .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
