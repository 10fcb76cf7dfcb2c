/* echo_client: connects to an echo server, sends one message, prints the echo, ends.
 *
 *   usage: echo_client PORT [message] [host]      (defaults: "hello from bun_tcp", 127.0.0.1)
 *
 * Exits 0 when the whole message came back unchanged. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *msg;
  size_t msg_len;
  char echo[4096]; /* what came back so far */
  size_t echo_len;
  int failed;
} client;

static void on_open(bun_tcp_socket s, void *data) {
  client *c = data;
  bun_tcp_socket_timeout(s, 10); /* idle deadline, so a silent server cannot hang us */
  /* write_all: whatever the kernel does not take now is queued and sent by the library. */
  bun_tcp_socket_write_all(s, (const uint8_t *)c->msg, c->msg_len);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  client *c = data;
  if (c->echo_len + len > sizeof c->echo) len = sizeof c->echo - c->echo_len;
  memcpy(c->echo + c->echo_len, bytes, len);
  c->echo_len += len;
  if (c->echo_len >= c->msg_len) {
    printf("echo: %.*s\n", (int)c->echo_len, c->echo);
    bun_tcp_socket_end(s, NULL, 0); /* got it all: send FIN; the server closes, then we do */
  }
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  client *c = data;
  if (err) {
    fprintf(stderr, "connection lost: %s (%s)\n", err->name, err->message);
    c->failed = 1;
  }
}

static void on_timeout(bun_tcp_socket s, void *data) {
  client *c = data;
  fprintf(stderr, "no answer for 10 s: giving up\n");
  c->failed = 1;
  bun_tcp_socket_close(s);
}

static void on_connect_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  client *c = data;
  fprintf(stderr, "connect failed: %s, syscall %s: %s\n", err->name,
          err->syscall ? err->syscall : "-", err->message);
  c->failed = 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PORT [message] [host]\n", argv[0]);
    return 2;
  }
  client c = {.msg = argc > 2 ? argv[2] : "hello from bun_tcp"};
  c.msg_len = strlen(c.msg);
  if (c.msg_len == 0 || c.msg_len > sizeof c.echo) {
    fprintf(stderr, "message must be 1..%zu bytes\n", sizeof c.echo);
    return 2;
  }

  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) return 1;
  bun_tcp_handlers handlers = {.open = on_open, .data = on_data, .close = on_close,
                               .timeout = on_timeout, .connect_error = on_connect_error};
  bun_tcp_connect_options opts = {
      .hostname = argc > 3 ? argv[3] : "127.0.0.1", .port = (uint16_t)atoi(argv[1]), .data = &c};
  bun_tcp_socket sock;
  int32_t rc = bun_tcp_connect(loop, &opts, &handlers, &sock);
  if (rc != 0) {
    fprintf(stderr, "connect: %s (%s)\n", bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }
  bun_tcp_run(loop); /* returns once the socket is closed */
  bun_tcp_loop_free(loop);

  int ok = !c.failed && c.echo_len == c.msg_len && memcmp(c.echo, c.msg, c.msg_len) == 0;
  if (!ok && !c.failed) fprintf(stderr, "echo mismatch: got %zu of %zu bytes\n", c.echo_len, c.msg_len);
  return ok ? 0 : 1;
}
