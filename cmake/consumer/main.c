/* Downstream smoke test: open a loop, listen on an ephemeral port, print it, clean up. */
#include <bun_tcp.h>
#include <stdio.h>

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  (void)data;
  bun_tcp_socket_write_all(s, bytes, len);
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) return 1;
  bun_tcp_handlers h = {.data = on_data};
  bun_tcp_listen_options opts = {.hostname = "127.0.0.1", .port = 0};
  bun_tcp_listener l;
  int32_t rc = bun_tcp_listen(loop, &opts, &h, &l);
  if (rc != 0) {
    fprintf(stderr, "listen: %s\n", bun_tcp_strerror(rc));
    bun_tcp_loop_free(loop);
    return 1;
  }
  printf("bun_tcp %s listening on port %u\n", bun_tcp_version(), (unsigned)bun_tcp_listener_port(l));
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  return 0;
}
