/* A unix-domain socket: listen on a path, connect, echo one message, the client closes, the
 * server stops from its close handler; the socket file exists while listening and not after stop. */
#include "conf.h"

static bun_tcp_listener server;
static char path[512];

static const char *exists(void) { return access(path, F_OK) == 0 ? "true" : "false"; }

static void s_open(bun_tcp_socket s, void *d) { say("server open"); }
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  say_rc("server", "write", bun_tcp_socket_write(s, b, n));
}
static void s_end(bun_tcp_socket s, void *d) { say("server end"); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
  say("server file exists after stop: %s", exists());
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  say_rc("client", "write", bun_tcp_socket_write(s, (const uint8_t *)"over unix", 9));
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("client", b, n);
  bun_tcp_socket_close(s);
}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  snprintf(path, sizeof path, "%s/echo.sock", getenv("CONF_TMP"));
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.unix_path = path};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));
  say("server file exists while listening: %s", exists());

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close};
  bun_tcp_connect_options co = {.unix_path = path};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
