/* listener.reload() from inside a data handler, with the socket live: from the next event on, the
 * listener and its accepted socket use the new handlers (the reply prefix changes from v1 to v2,
 * and v2's end and close handlers run). */
#include "conf.h"

static bun_tcp_listener server;

static void reply(bun_tcp_socket s, const char *who, const char *prefix, const uint8_t *b, size_t n) {
  char buf[64];
  int m = snprintf(buf, sizeof buf, "%s%.*s", prefix, (int)n, (const char *)b);
  say_rc(who, "write", bun_tcp_socket_write(s, (const uint8_t *)buf, (size_t)m));
}

static void v2_open(bun_tcp_socket s, void *d) { say("server v2 open"); }
static void v2_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  reply(s, "server v2", "v2:", b, n);
}
static void v2_end(bun_tcp_socket s, void *d) { say("server v2 end"); }
static void v2_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server v2", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void v1_open(bun_tcp_socket s, void *d) { say("server v1 open"); }
static void v1_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("server", b, n);
  reply(s, "server v1", "v1:", b, n);
  bun_tcp_handlers v2 = {.open = v2_open, .data = v2_data, .end = v2_end, .close = v2_close};
  bun_tcp_listener_reload(server, &v2);
  say("server reloaded");
}
static void v1_end(bun_tcp_socket s, void *d) { say("server v1 end"); }
static void v1_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server v1", "close", e);
  bun_tcp_listener_stop(server, false);
}

static int n_;
static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  bun_tcp_socket_write(s, (const uint8_t *)"a", 1);
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data("client", b, n);
  if (++n_ == 1) bun_tcp_socket_write(s, (const uint8_t *)"b", 1);
  else bun_tcp_socket_end(s, NULL, 0);
}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = v1_open, .data = v1_data, .end = v1_end, .close = v1_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
