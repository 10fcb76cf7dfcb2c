/* Connect to a port where nothing listens (a listener's port, after stop): connect_error only. */
#include "conf.h"

static void c_open(bun_tcp_socket s, void *d) { say("client open"); }
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }
static void c_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "connect_error", e);
}
static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers ph = {.data = ignore};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  bun_tcp_listener probe;
  MUST(bun_tcp_listen(loop, &lo, &ph, &probe));
  uint16_t port = bun_tcp_listener_port(probe);
  bun_tcp_listener_stop(probe, false);

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close,
                         .connect_error = c_connect_error};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
