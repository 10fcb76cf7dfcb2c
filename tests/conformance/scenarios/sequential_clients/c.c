/* Three clients, one after the other (the next connects from the previous one's close handler).
 * The listener's handlers name each accepted socket by its accept order through its user data,
 * and greet it by the name it sends. */
#include "conf.h"

static bun_tcp_loop *loop;
static bun_tcp_listener server;
static int accepted;
static char server_names[4][32], client_names[4][32];

static void s_open(bun_tcp_socket s, void *d) {
  ++accepted;
  snprintf(server_names[accepted], sizeof server_names[accepted], "server%d", accepted);
  bun_tcp_socket_set_data(s, server_names[accepted]);
  say("%s open", server_names[accepted]);
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  char reply[64];
  int m = snprintf(reply, sizeof reply, "hello %.*s", (int)n, (const char *)b);
  say_data((const char *)d, b, n);
  say_rc((const char *)d, "write", bun_tcp_socket_write(s, (const uint8_t *)reply, (size_t)m));
}
static void s_end(bun_tcp_socket s, void *d) { say("%s end", (const char *)d); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err((const char *)d, "close", e);
  if (accepted == 3) bun_tcp_listener_stop(server, false);
}

static void client(int i);
static void c_open(bun_tcp_socket s, void *d) {
  say("%s open", (const char *)d);
  say_rc((const char *)d, "write", bun_tcp_socket_write(s, (const uint8_t *)d, strlen((const char *)d)));
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data((const char *)d, b, n);
  bun_tcp_socket_close(s);
}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err((const char *)d, "close", e);
  int i = ((const char *)d)[6] - '0';
  if (i < 3) client(i + 1);
}

static void client(int i) {
  snprintf(client_names[i], sizeof client_names[i], "client%d", i);
  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server),
                                .data = client_names[i]};
  bun_tcp_socket s;
  MUST(bun_tcp_connect(loop, &co, &ch, &s));
}

int main(void) {
  loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));
  client(1);
  return conf_finish(loop);
}
