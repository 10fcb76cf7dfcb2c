/* socket_activated: an echo server started by systemd socket activation (or by
 * systemd-socket-activate), serving every socket it is handed with bun_tcp_listen_fd.
 *
 *   systemd-socket-activate -l 127.0.0.1:8080 -l /tmp/echo.sock ./socket_activated
 *   (or a .socket unit with ListenStream= lines and a service with ExecStart=.../socket_activated)
 *
 * The protocol, read without libsystemd: LISTEN_PID must be this process's pid (the variables
 * were meant for it, not inherited by accident from a parent), LISTEN_FDS is the number of
 * descriptors, which start at 3 (SD_LISTEN_FDS_START). The variables are removed after reading so
 * that children of this server do not take the sockets for theirs. Prints "listening on ADDRESS
 * (fd N)" for each socket, then echoes until SIGINT or SIGTERM, which stop the listeners and let
 * open connections finish. Exits 1 when it was not socket-activated. */
#include <bun_tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stop_on_signal.h"

#define LISTEN_FDS_START 3 /* SD_LISTEN_FDS_START */
#define MAX_LISTENERS 16

static bun_tcp_listener listeners[MAX_LISTENERS];
static int listener_count;

/* How many descriptors systemd passed us (0 if none, or not for us); -1 on a malformed value. */
static int listen_fds(void) {
  const char *pid_text = getenv("LISTEN_PID"), *fds_text = getenv("LISTEN_FDS");
  int n = 0;
  if (pid_text && fds_text) {
    char *end;
    errno = 0;
    long pid = strtol(pid_text, &end, 10);
    if (errno || *end || pid <= 0) return -1;
    if ((pid_t)pid == getpid()) {
      long count = strtol(fds_text, &end, 10);
      if (errno || *end || count < 0 || count > MAX_LISTENERS) return -1;
      n = (int)count;
    }
  }
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  return n;
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  bun_tcp_socket_write_all(s, bytes, len); /* queues what the kernel does not take yet */
}

static void shut_down(void *arg) {
  for (int i = 0; i < listener_count; i++) bun_tcp_listener_stop(listeners[i], false);
}

int main(void) {
  block_stop_signals();
  setvbuf(stdout, NULL, _IOLBF, 0);
  int n = listen_fds();
  if (n <= 0) {
    fprintf(stderr, "socket_activated: %s (start me with systemd-socket-activate -l ADDRESS)\n",
            n < 0 ? "malformed LISTEN_PID or LISTEN_FDS" : "no sockets passed (LISTEN_FDS)");
    return 1;
  }
  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers handlers = {.data = on_data};
  for (int fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + n; fd++) {
    /* NULL options: no address (the socket has one), default backlog if it is not listening yet */
    int32_t rc = bun_tcp_listen_fd(loop, fd, NULL, &handlers, &listeners[listener_count]);
    if (rc != 0) {
      fprintf(stderr, "socket_activated: fd %d: %s (%s)\n", fd, bun_tcp_err_name(rc),
              bun_tcp_last_error_message());
      close(fd); /* still ours after a refusal */
      continue;
    }
    bun_tcp_listener l = listeners[listener_count++];
    char address[128];
    bun_tcp_listener_address(l, address, sizeof address);
    int family = bun_tcp_listener_family(l);
    if (family == AF_INET6)
      printf("listening on [%s]:%u (fd %d)\n", address, (unsigned)bun_tcp_listener_port(l), fd);
    else if (family == AF_INET)
      printf("listening on %s:%u (fd %d)\n", address, (unsigned)bun_tcp_listener_port(l), fd);
    else
      printf("listening on %s (fd %d)\n", address, fd);
  }
  if (listener_count == 0 || stop_on_signal(loop, shut_down, NULL) != 0) {
    bun_tcp_loop_free(loop);
    return 1;
  }
  int32_t rc = bun_tcp_run(loop); /* until the listeners are stopped and the last socket closed */
  bun_tcp_loop_free(loop);
  printf("socket_activated: stopped\n");
  return rc < 0 ? 1 : 0;
}
