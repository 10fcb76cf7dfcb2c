/* The smallest useful bun_tcp program: an echo server on 127.0.0.1:8080. */
#include <bun_tcp.h>
#include <stdio.h>

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  bun_tcp_socket_write_all(s, bytes, len); /* queues whatever the kernel can't take yet */
}

int main(void) {
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers handlers = {.data = on_data}; /* copied: a stack struct is fine */
  bun_tcp_listen_options opts = {.hostname = "127.0.0.1", .port = 8080};
  bun_tcp_listener listener;
  int32_t rc = bun_tcp_listen(loop, &opts, &handlers, &listener);
  if (rc != 0) {
    fprintf(stderr, "listen: %s\n", bun_tcp_strerror(rc));
    return 1;
  }
  printf("echo server on 127.0.0.1:%u\n", (unsigned)bun_tcp_listener_port(listener));
  bun_tcp_run(loop); /* until the listener is stopped: forever, here */
  bun_tcp_loop_free(loop);
  return 0;
}
