/* Interop peer: a bun_tcp client for a Bun server (bun_server.js), run by ../run.py.
 *
 *   c_client big PORT    sends 64 MiB (pattern seed 11) with write + drain while receiving the
 *                        server's 64 MiB; prints what it sent and received (bytes, SHA-256), closes.
 *   c_client echo PORT   100 concurrent connections, each sending 10 small messages one at a
 *                        time and checking each echo; prints the counts. */
#include "conf.h"

#define BIG (64u * 1024 * 1024)
#define CONNS 100
#define MSGS 10

static bun_tcp_loop *loop;
static uint16_t port;

/* ---- big ---------------------------------------------------------------------------------------- */
static uint8_t *out;
static size_t sent, received;
static sha256_ctx rx;
static char sent_hex[65];
static bool reported;

static void report(bun_tcp_socket s) {
  if (reported || sent < BIG || received < BIG) return;
  reported = true;
  say("client sent bytes=%zu sha256=%s", sent, sent_hex);
  say("client received bytes=%zu sha256=%s", received, sha_hex(&rx));
  bun_tcp_socket_close(s);
}
static void pump(bun_tcp_socket s) {
  while (sent < BIG) {
    int64_t n = bun_tcp_socket_write(s, out + sent, BIG - sent);
    if (n < 0) { say_rc("client", "write failed", n); bun_tcp_socket_close(s); return; }
    sent += (size_t)n;
    if (sent < BIG) return;
  }
  report(s);
}
static void big_open(bun_tcp_socket s, void *d) { pump(s); }
static void big_drain(bun_tcp_socket s, void *d) { pump(s); }
static void big_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  received += n;
  sha256_update(&rx, b, n);
  report(s);
}
static void big_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  if (e) say_err("client", "close", e);
  if (!reported) say("client incomplete sent=%zu received=%zu", sent, received);
}
static void big_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  say_err("client", "connect_error", e);
}

/* ---- echo --------------------------------------------------------------------------------------- */
typedef struct conn {
  int id, msg;          /* message in flight */
  char expect[64];
  size_t expect_len, got;
  bool bad;
} conn_t;
static conn_t conns[CONNS];
static int opened, ok, messages, failed;

static void send_msg(bun_tcp_socket s, conn_t *c) {
  c->expect_len = (size_t)snprintf(c->expect, sizeof c->expect, "conn %d msg %d\n", c->id, c->msg);
  c->got = 0;
  if (bun_tcp_socket_write_all(s, (const uint8_t *)c->expect, c->expect_len) < 0) c->bad = true;
}
static void echo_open(bun_tcp_socket s, void *d) {
  opened++;
  send_msg(s, (conn_t *)d);
}
static void echo_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  conn_t *c = (conn_t *)d;
  if (c->got + n > c->expect_len || memcmp(c->expect + c->got, b, n) != 0) {
    c->bad = true;
    bun_tcp_socket_close(s);
    return;
  }
  c->got += n;
  if (c->got < c->expect_len) return;
  messages++;
  if (++c->msg < MSGS) send_msg(s, c);
  else bun_tcp_socket_close(s);
}
static void echo_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  conn_t *c = (conn_t *)d;
  if (e) say_err("client", "close", e);
  if (!c->bad && c->msg == MSGS) ok++;
}
static void echo_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  failed++;
  say_err("client", "connect_error", e);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: c_client big|echo PORT\n"); return 2; }
  bool big = strcmp(argv[1], "big") == 0;
  port = (uint16_t)atoi(argv[2]);
  loop = conf_init(60);
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port};
  bun_tcp_socket s;
  if (big) {
    out = pattern(BIG, 11);
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, out, BIG);
    strcpy(sent_hex, sha_hex(&c));
    sha256_init(&rx);
    bun_tcp_handlers h = {.open = big_open, .drain = big_drain, .data = big_data,
                          .close = big_close, .connect_error = big_connect_error};
    MUST(bun_tcp_connect(loop, &co, &h, &s));
  } else {
    bun_tcp_handlers h = {.open = echo_open, .data = echo_data, .close = echo_close,
                          .connect_error = echo_connect_error};
    for (int i = 0; i < CONNS; i++) { /* all in flight at once */
      conns[i].id = i;
      co.data = &conns[i];
      MUST(bun_tcp_connect(loop, &co, &h, &s));
    }
  }
  while (bun_tcp_loop_alive(loop)) bun_tcp_poll(loop, 100);
  if (!big) say("client echo connections=%d ok=%d messages=%d connect_errors=%d", opened, ok, messages, failed);
  bun_tcp_loop_free(loop);
  free(out);
  return 0;
}
