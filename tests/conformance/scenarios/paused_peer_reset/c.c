/* The client pauses in open; the server writes "hello" and terminates (RST) at once. Is the reset
 * reported while the client is paused, and are the bytes that arrived before it delivered? The
 * client resumes 200 ms later. */
#include "conf.h"

static bun_tcp_listener server;
static bun_tcp_socket client;
static bool paused;

static void s_open(bun_tcp_socket s, void *d) {
  say("server open");
  say_rc("server", "write", bun_tcp_socket_write(s, (const uint8_t *)"hello", 5));
  bun_tcp_socket_terminate(s);
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("server", b, n); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  bun_tcp_socket_pause(s);
  say("client paused");
  paused = true;
}
static void c_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { say_data("client", b, n); }
static void c_end(bun_tcp_socket s, void *d) { say("client end"); }
static void c_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "error", e); }
static bool client_done;
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "close", e);
  client_done = true;
}
static void c_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "connect_error", e);
  client_done = true;
}

int main(void) {
  bun_tcp_loop *loop = conf_init(20);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = c_data, .end = c_end, .error = c_error,
                         .close = c_close, .connect_error = c_connect_error};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  MUST(bun_tcp_connect(loop, &co, &ch, &client));

  while (!paused && !client_done) bun_tcp_poll(loop, 100);
  double resume_at = now_ms() + 200; /* the setTimeout(200) of bun.js */
  while (now_ms() < resume_at) bun_tcp_poll(loop, (int32_t)(resume_at - now_ms()) + 1);
  say("client resume");
  bun_tcp_socket_resume(client); /* stale by now if the reset was reported: returns an error */
  return conf_finish(loop);
}
