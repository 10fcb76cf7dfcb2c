/* Interop peer: a bun_tcp server for a Bun client (bun_client.js), run by ../run.py.
 *
 *   c_server big    one connection; sends 64 MiB (pattern seed 22) with write + drain while
 *                   receiving the client's 64 MiB; prints what it sent and received (bytes and
 *                   SHA-256) once both are complete; stops when the client closes.
 *   c_server echo   echoes every byte on every connection; stops after 100 connections closed.
 *
 * The first line is "server listening port=N" (the runner passes N to the client). */
#include "conf.h"

#define BIG (64u * 1024 * 1024)
#define ECHO_CONNS 100

static bun_tcp_listener server;
static bool big;

/* ---- big ---------------------------------------------------------------------------------------- */
static uint8_t *out;
static size_t sent, received;
static sha256_ctx rx;
static char sent_hex[65];
static bool reported;

static void report(void) {
  if (reported || sent < BIG || received < BIG) return;
  reported = true;
  say("server sent bytes=%zu sha256=%s", sent, sent_hex);
  say("server received bytes=%zu sha256=%s", received, sha_hex(&rx));
}
static void pump(bun_tcp_socket s) {
  while (sent < BIG) {
    int64_t n = bun_tcp_socket_write(s, out + sent, BIG - sent);
    if (n < 0) { say_rc("server", "write failed", n); bun_tcp_socket_close(s); return; }
    sent += (size_t)n;
    if (sent < BIG) return; /* the rest from drain */
  }
  report();
}
static void big_open(bun_tcp_socket s, void *d) { pump(s); }
static void big_drain(bun_tcp_socket s, void *d) { pump(s); }
static void big_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  received += n;
  sha256_update(&rx, b, n);
  report();
}
static void big_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  if (e) say_err("server", "close", e);
  if (!reported) say("server incomplete sent=%zu received=%zu", sent, received);
  bun_tcp_listener_stop(server, false);
}

/* ---- echo --------------------------------------------------------------------------------------- */
static int accepted, closed, max_concurrent;
static void echo_open(bun_tcp_socket s, void *d) {
  if (++accepted - closed > max_concurrent) max_concurrent = accepted - closed;
}
static void echo_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  if (bun_tcp_socket_write_all(s, b, n) < 0) bun_tcp_socket_close(s);
}
static void echo_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  if (e) say_err("server", "close", e);
  if (++closed == ECHO_CONNS) {
    say("server echo accepted=%d closed=%d max_concurrent=%d", accepted, closed, max_concurrent);
    bun_tcp_listener_stop(server, false);
  }
}

int main(int argc, char **argv) {
  big = argc > 1 && strcmp(argv[1], "big") == 0;
  bun_tcp_loop *loop = conf_init(60);
  bun_tcp_handlers h;
  if (big) {
    out = pattern(BIG, 22);
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, out, BIG);
    strcpy(sent_hex, sha_hex(&c));
    sha256_init(&rx);
    h = (bun_tcp_handlers){.open = big_open, .drain = big_drain, .data = big_data, .close = big_close};
  } else {
    h = (bun_tcp_handlers){.open = echo_open, .data = echo_data, .close = echo_close};
  }
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  MUST(bun_tcp_listen(loop, &lo, &h, &server));
  say("server listening port=%u", (unsigned)bun_tcp_listener_port(server));
  while (bun_tcp_loop_alive(loop)) bun_tcp_poll(loop, 100);
  bun_tcp_loop_free(loop);
  free(out);
  return 0;
}
