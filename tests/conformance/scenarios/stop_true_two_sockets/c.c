/* Two clients connected (the second connects once the first got the server's "ack"); when the
 * second one's message arrives, the server calls stop(true): both accepted sockets close (their
 * close handlers run inside stop), both clients see end and close. */
#include "conf.h"

static bun_tcp_loop *loop;
static bun_tcp_listener server;
static int accepted;
static char names[3][32];

static void s_open(bun_tcp_socket s, void *d) {
  ++accepted;
  snprintf(names[accepted], sizeof names[accepted], "server%d", accepted);
  bun_tcp_socket_set_data(s, names[accepted]);
  say("%s open", names[accepted]);
  if (accepted == 1) bun_tcp_socket_write(s, (const uint8_t *)"ack", 3);
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data((const char *)d, b, n);
  bun_tcp_listener_stop(server, true);
  say("%s stop(true) returned", (const char *)d);
}
static void s_end(bun_tcp_socket s, void *d) { say("%s end", (const char *)d); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err((const char *)d, "close", e); }

static void client(const char *name);
static void c_open(bun_tcp_socket s, void *d) {
  say("%s open", (const char *)d);
  if (strcmp((const char *)d, "client2") == 0) bun_tcp_socket_write(s, (const uint8_t *)"stop now", 8);
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  say_data((const char *)d, b, n);
  client("client2");
}
static void c_end(bun_tcp_socket s, void *d) { say("%s end", (const char *)d); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err((const char *)d, "close", e); }

static void client(const char *name) {
  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .end = c_end, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server),
                                .data = (void *)name};
  bun_tcp_socket s;
  MUST(bun_tcp_connect(loop, &co, &ch, &s));
}

int main(void) {
  loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));
  client("client1");
  return conf_finish(loop);
}
