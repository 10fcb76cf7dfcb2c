/* An unknown host name: connect_error ENOTFOUND "getaddrinfo". Twice (the second from inside the
 * first connect_error): the failure is repeatable. */
#include "conf.h"

static bun_tcp_loop *loop;
static int attempts;
static void attempt(void);

static void c_open(bun_tcp_socket s, void *d) { say("client open"); }
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }
static void c_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "connect_error", e);
  say("client message_names_host %s",
      e->message && strstr(e->message, "nonexistent.invalid") ? "true" : "false");
  if (attempts < 2) attempt();
}

static void attempt(void) {
  attempts++;
  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .close = c_close,
                         .connect_error = c_connect_error};
  bun_tcp_connect_options co = {.hostname = "nonexistent.invalid", .port = 80};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
}

int main(void) {
  loop = conf_init(20);
  attempt();
  return conf_finish(loop);
}
