/* readyState through a socket's life: open in open and in data, still open inside end after the
 * peer's FIN (allow_half_open), after our own shutdown() (FIN sent), and closed inside close. */
#include "conf.h"

static bun_tcp_listener server;

static const char *st(bun_tcp_socket s) { return state_name(bun_tcp_socket_ready_state(s)); }

static void s_open(bun_tcp_socket s, void *d) { say("server open %s", st(s)); }
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  say("server in data %s", st(s));
}
static void s_end(bun_tcp_socket s, void *d) {
  say("server end %s", st(s));
  bun_tcp_socket_close(s);
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  say("server in close %s", st(s));
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open %s", st(s));
  bun_tcp_socket_write(s, (const uint8_t *)"x", 1);
  bun_tcp_socket_shutdown(s, false);
  say("client after shutdown %s", st(s));
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "close", e);
  say("client in close %s", st(s));
}

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0, .allow_half_open = true};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
