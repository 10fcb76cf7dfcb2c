/* echo_server: a TCP echo server on bun_tcp.
 *
 *   usage: echo_server [port] [host]        (defaults: 0 = any free port, 127.0.0.1)
 *
 * Prints "listening on HOST:PORT" once ready, then echoes every byte back to its sender until
 * killed. Backpressure: bun_tcp_socket_write_all() never drops bytes (it queues what the kernel
 * did not take); when a slow peer lets that queue grow past HIGH_WATER we pause reading from it,
 * and resume once the `drain` handler says the queue is empty again. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>

#define HIGH_WATER (1u << 20) /* stop reading from a peer that has 1 MiB of echo not yet taken */

static void on_open(bun_tcp_socket s, void *data) {
  char addr[64];
  if (bun_tcp_socket_remote_address(s, addr, sizeof addr) < 0) addr[0] = '\0';
  printf("open   %s:%d\n", addr, bun_tcp_socket_remote_port(s));
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  if (bun_tcp_socket_write_all(s, bytes, len) < 0) return; /* socket is going away: close follows */
  if (bun_tcp_socket_buffered_amount(s) > HIGH_WATER) bun_tcp_socket_pause(s);
}

static void on_drain(bun_tcp_socket s, void *data) {
  bun_tcp_socket_resume(s); /* the queue is empty: read again (a no-op if we never paused) */
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  printf("close  %s\n", err ? err->name : "(clean)");
}

int main(int argc, char **argv) {
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";
  uint16_t port = (uint16_t)(argc > 1 ? atoi(argv[1]) : 0);
  setvbuf(stdout, NULL, _IOLBF, 0); /* line-buffered even into a pipe, so scripts see each line */

  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) {
    fprintf(stderr, "bun_tcp_loop_new: %s\n", bun_tcp_last_error_message());
    return 1;
  }
  bun_tcp_handlers handlers = {
      .open = on_open, .data = on_data, .drain = on_drain, .close = on_close};
  bun_tcp_listen_options opts = {.hostname = host, .port = port};
  bun_tcp_listener listener;
  int32_t rc = bun_tcp_listen(loop, &opts, &handlers, &listener);
  if (rc != 0) {
    fprintf(stderr, "listen on %s:%u failed: %s (%s)\n", host, (unsigned)port,
            bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }
  printf("listening on %s:%u\n", host, (unsigned)bun_tcp_listener_port(listener));

  rc = bun_tcp_run(loop); /* runs until the listener is stopped (never, here) */
  bun_tcp_loop_free(loop);
  return rc < 0 ? 1 : 0;
}
