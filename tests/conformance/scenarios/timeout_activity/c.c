/* A 1-second timeout on a busy socket: the client sends "tick" every 300 ms for 6 s, then closes.
 * Does the timeout fire although the socket was never idle for 1 s?
 * (the header: bun_tcp_socket_timeout: bun_tcp's timeout is an idle timeout, reset by every read and write.) */
#include "conf.h"

static bun_tcp_listener server;
static bun_tcp_socket client;
static bool client_open;
static int ticks;

static void s_open(bun_tcp_socket s, void *d) {
  say("server open");
  bun_tcp_socket_timeout(s, 1);
}
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { ticks += (int)(n / 4); }
static void s_timeout(bun_tcp_socket s, void *d) { say("server timeout"); }
static void s_end(bun_tcp_socket s, void *d) { say("server end after %d ticks", ticks); }
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) { say("client open"); client_open = true; }
static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(30);
  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .timeout = s_timeout, .end = s_end,
                         .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .data = ignore, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  MUST(bun_tcp_connect(loop, &co, &ch, &client));

  while (!client_open) bun_tcp_poll(loop, 100);
  /* the setInterval(300) of bun.js */
  double next = now_ms() + 300;
  for (int sent = 0; sent < 20;) {
    double left = next - now_ms();
    if (left > 0) { bun_tcp_poll(loop, (int32_t)left + 1); continue; }
    bun_tcp_socket_write(client, (const uint8_t *)"tick", 4);
    next += 300;
    if (++sent == 20) bun_tcp_socket_close(client);
  }
  return conf_finish(loop);
}
