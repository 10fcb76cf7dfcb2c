/* The server terminates (RST) inside its data handler: its close runs inside terminate(), clean;
 * the client sees close with ECONNRESET "read", no end, no error. */
#include "conf.h"

static bun_tcp_listener server;

static void s_open(bun_tcp_socket s, void *d) { say("server open"); }
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  bun_tcp_socket_terminate(s);
  say("server terminate() returned");
}
static void s_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("server", "error", e); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  say_rc("client", "write", bun_tcp_socket_write(s, (const uint8_t *)"abc", 3));
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_end(bun_tcp_socket s, void *d) { say("client end"); }
static void c_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "error", e); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .error = s_error, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .end = c_end, .error = c_error,
                         .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
