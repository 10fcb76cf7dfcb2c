/* A Linux abstract unix-socket name (a leading NUL byte): listen, connect, one message each way. */
#include "conf.h"

static bun_tcp_listener server;

static void s_open(bun_tcp_socket s, void *d) {
  say("server open");
  say_rc("server", "write", bun_tcp_socket_write(s, (const uint8_t *)"welcome", 7));
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  bun_tcp_socket_close(s);
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) { say("client open"); }
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("client", b, n);
  say_rc("client", "write", bun_tcp_socket_write(s, (const uint8_t *)"thanks", 6));
}
static void c_end(bun_tcp_socket s, void *d) { say("client end"); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  char name[128];
  name[0] = '\0'; /* abstract: the name follows the NUL; unix_path_len counts both */
  int name_len = snprintf(name + 1, sizeof name - 1, "bun_tcp_conformance_%d", (int)getpid());
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .close = s_close};
  bun_tcp_listen_options lo = {.unix_path = name, .unix_path_len = 1 + (size_t)name_len};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .end = c_end, .close = c_close};
  bun_tcp_connect_options co = {.unix_path = name, .unix_path_len = 1 + (size_t)name_len};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
