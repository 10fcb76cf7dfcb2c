/* A malformed host name ("bad host!"). Listen: which error? Connect: what reports the failure,
 * the connect call or the connect_error handler, and with which error? */
#include "conf.h"

static void c_open(bun_tcp_socket s, void *d) { say("client open"); }
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }
static void c_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "connect_error", e);
}

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.data = c_data};
  bun_tcp_listen_options lo = {.hostname = "bad host!", .port = 0};
  bun_tcp_listener l;
  int32_t lrc = bun_tcp_listen(loop, &lo, &sh, &l);
  if (lrc == 0) say("server listen -> ok");
  else say("server listen -> error %s", bun_tcp_err_name(lrc));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close,
                         .connect_error = c_connect_error};
  bun_tcp_connect_options co = {.hostname = "bad host!", .port = 80};
  bun_tcp_socket client;
  int32_t rc = bun_tcp_connect(loop, &co, &ch, &client);
  if (rc == 0) say("client connect -> ok");
  else say("client connect -> error %s", bun_tcp_err_name(rc));
  return conf_finish(loop);
}
