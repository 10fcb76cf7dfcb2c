/* end() with 32 MiB in one call, in open. Is the whole chunk accepted (the return value), and
 * does every byte reach the server before the FIN (count and SHA-256)?
 * (the header: bun_tcp_socket_write / bun_tcp_socket_end: bun_tcp's end accepts the whole chunk; Bun's end sends what the kernel takes.)
 * The client has a drain handler: without one, Bun never sends the FIN after a short end (see
 * tests/conformance/README.md, "Bun bugs seen"). */
#include "conf.h"

#define N (32u * 1024 * 1024)

static bun_tcp_listener server;
static uint8_t *payload;
static char expected[65];

static size_t received;
static sha256_ctx hash;

static void s_open(bun_tcp_socket s, void *d) { say("server open"); }
static void s_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  received += n;
  sha256_update(&hash, b, n);
}
static void s_end(bun_tcp_socket s, void *d) {
  say("server end: received all bytes: %s ; sha256 matches: %s", received == N ? "true" : "false",
      strcmp(sha_hex(&hash), expected) == 0 ? "true" : "false");
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static void c_open(bun_tcp_socket s, void *d) {
  say("client open");
  int64_t n = bun_tcp_socket_end(s, payload, N);
  say("client end accepted the whole chunk: %s", n == (int64_t)N ? "true" : "false");
}
static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void c_drain(bun_tcp_socket s, void *d) { say("client drain"); }
static void c_end(bun_tcp_socket s, void *d) { say("client end"); }
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(30);
  payload = pattern(N, 2);
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, payload, N);
  strcpy(expected, sha_hex(&c));
  sha256_init(&hash);

  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .drain = c_drain, .data = ignore, .end = c_end, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  int rc = conf_finish(loop);
  free(payload);
  return rc;
}
