/* Connect to a unix-socket path that does not exist: connect_error ENOENT "connect". */
#include "conf.h"

static void c_open(bun_tcp_socket s, void *d) { say("client open"); }
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }
static void c_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "connect_error", e);
}

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  char path[512];
  snprintf(path, sizeof path, "%s/missing.sock", getenv("CONF_TMP"));
  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close,
                         .connect_error = c_connect_error};
  bun_tcp_connect_options co = {.unix_path = path};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  return conf_finish(loop);
}
