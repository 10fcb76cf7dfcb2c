/* 16 MiB through write + drain: the first write is short (the kernel takes what fits), drain
 * fires, the client resends the rest from drain until all is written, then closes. The server
 * counts and hashes what it receives. */
#include "conf.h"

#define N (16u * 1024 * 1024)

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
  say("server end received %zu bytes, sha256 matches: %s", received,
      strcmp(sha_hex(&hash), expected) == 0 ? "true" : "false");
}
static void s_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("server", "close", e);
  bun_tcp_listener_stop(server, false);
}

static size_t off;
static int writes, short_writes, drains;
static void pump(bun_tcp_socket s) {
  while (off < N) {
    int64_t n = bun_tcp_socket_write(s, payload + off, N - off);
    writes++;
    if (n < 0) { say_rc("client", "write failed", n); return; }
    off += (size_t)n;
    if (off < N) { short_writes++; return; } /* wait for drain */
  }
  say("client wrote all %zu bytes; some writes were short: %s ; drain fired: %s", off,
      short_writes > 0 ? "true" : "false", drains > 0 ? "true" : "false");
  bun_tcp_socket_close(s);
}
static void c_open(bun_tcp_socket s, void *d) { say("client open"); pump(s); }
static void c_drain(bun_tcp_socket s, void *d) { drains++; pump(s); }
static void ignore(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void c_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { say_err("client", "close", e); }

int main(void) {
  bun_tcp_loop *loop = conf_init(30);
  payload = pattern(N, 1);
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, payload, N);
  strcpy(expected, sha_hex(&c));
  sha256_init(&hash);

  bun_tcp_handlers sh = {.open = s_open, .data = s_data, .end = s_end, .close = s_close};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &sh, &server));

  bun_tcp_handlers ch = {.open = c_open, .drain = c_drain, .data = ignore, .close = c_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(server)};
  bun_tcp_socket client;
  MUST(bun_tcp_connect(loop, &co, &ch, &client));
  int rc = conf_finish(loop);
  free(payload);
  return rc;
}
