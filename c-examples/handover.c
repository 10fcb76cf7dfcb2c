/* handover: a zero-downtime restart. The running (old) process hands its listening socket to its
 * successor (new) over a unix socket with SCM_RIGHTS; the new one serves it with
 * bun_tcp_listen_fd; the old one stops accepting, finishes the connections it has, and exits. No
 * client is refused at any moment: the listening socket itself never closes, and connections that
 * arrive during the switch wait in its backlog for whichever process accepts first.
 *
 *   handover old CONTROL_PATH [port]   listen on 127.0.0.1:port (0 = any) and wait for a successor
 *                                      on the unix socket CONTROL_PATH
 *   handover new CONTROL_PATH          take the socket from the old process and serve it
 *
 * Both echo. The old process prints "old: listening on 127.0.0.1:PORT", then "old: handed over"
 * and, once its last connection closed, "old: served N connections" and exits. The new one
 * prints "new: listening on 127.0.0.1:PORT (inherited)" and, after SIGTERM or SIGINT (stop
 * accepting, drain, exit), "new: served N connections".
 *
 * The exchange on CONTROL_PATH: the new process connects; the old one sends one byte with the
 * listening descriptor attached; the new one makes it a listener and answers "ready"; only then
 * does the old one stop accepting (bun_tcp_listener_stop(l, false): the accepted sockets keep
 * working). The old process made its socket itself (socket, bind) and handed it to
 * bun_tcp_listen_fd too, so it knows the descriptor it passes on. */
#include <bun_tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "stop_on_signal.h"

static bun_tcp_loop *loop;
static bun_tcp_listener service;     /* the TCP listener being handed over */
static bun_tcp_listener control;     /* old: where the successor asks for it */
static int service_fd = -1;          /* old: the descriptor behind `service` */
static unsigned long served;         /* connections this process accepted */
static const char *role;

static void echo_open(bun_tcp_socket s, void *data) { served++; }
static void echo_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  bun_tcp_socket_write_all(s, bytes, len);
}

static int serve(int fd) {
  bun_tcp_handlers echo = {.open = echo_open, .data = echo_data};
  int32_t rc = bun_tcp_listen_fd(loop, fd, NULL, &echo, &service);
  if (rc != 0) {
    fprintf(stderr, "%s: listen_fd: %s (%s)\n", role, bun_tcp_err_name(rc), bun_tcp_last_error_message());
    return -1;
  }
  return 0;
}

/* ---- old ---------------------------------------------------------------------------------- */

/* The successor connected: pass the listening descriptor (one byte of payload carries it). */
static void control_open(bun_tcp_socket s, void *data) {
  char byte = 'F';
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &service_fd, sizeof(int));
  if (sendmsg(bun_tcp_socket_fd(s), &msg, MSG_NOSIGNAL) != 1) {
    fprintf(stderr, "old: sendmsg: %s\n", strerror(errno));
    bun_tcp_socket_close(s);
  }
}

/* "ready": the successor accepts now. Stop accepting here; the open connections drain. */
static void control_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  if (len < 5 || memcmp(bytes, "ready", 5) != 0) return;
  bun_tcp_listener_stop(service, false); /* closes our descriptor; the socket lives on in new */
  bun_tcp_listener_stop(control, true);
  printf("old: handed over\n");
}

static void stop_old(void *arg) {
  bun_tcp_listener_stop(service, false);
  bun_tcp_listener_stop(control, true);
}

static int run_old(const char *control_path, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    fprintf(stderr, "old: bind: %s\n", strerror(errno));
    return 1;
  }
  service_fd = fd;
  if (serve(fd) != 0) return 1;
  bun_tcp_handlers ctl = {.open = control_open, .data = control_data};
  bun_tcp_listen_options co = {.unix_path = control_path};
  int32_t rc = bun_tcp_listen(loop, &co, &ctl, &control);
  if (rc != 0) {
    fprintf(stderr, "old: control socket %s: %s (%s)\n", control_path, bun_tcp_err_name(rc),
            bun_tcp_last_error_message());
    return 1;
  }
  printf("old: listening on 127.0.0.1:%u\n", (unsigned)bun_tcp_listener_port(service));
  if (stop_on_signal(loop, stop_old, NULL) != 0) return 1;
  bun_tcp_run(loop); /* until handed over and the last connection closed */
  printf("old: served %lu connections\n", served);
  return 0;
}

/* ---- new ---------------------------------------------------------------------------------- */

/* Connects to the old process and receives the listening descriptor. */
static int receive_listener(const char *control_path, int *control_fd) {
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", control_path);
  if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
    fprintf(stderr, "new: connect %s: %s\n", control_path, strerror(errno));
    return -1;
  }
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
  struct cmsghdr *cm = n == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
    fprintf(stderr, "new: no descriptor from the old process\n");
    close(c);
    return -1;
  }
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  *control_fd = c;
  return fd;
}

static void stop_new(void *arg) { bun_tcp_listener_stop(service, false); }

static int run_new(const char *control_path) {
  int control_fd;
  int fd = receive_listener(control_path, &control_fd);
  if (fd < 0) return 1;
  if (serve(fd) != 0) {
    close(fd); /* still ours after a refusal */
    close(control_fd);
    return 1;
  }
  /* accepting now: tell the old process it may stop */
  if (write(control_fd, "ready", 5) != 5) fprintf(stderr, "new: write ready: %s\n", strerror(errno));
  close(control_fd);
  printf("new: listening on 127.0.0.1:%u (inherited)\n", (unsigned)bun_tcp_listener_port(service));
  if (stop_on_signal(loop, stop_new, NULL) != 0) return 1;
  bun_tcp_run(loop); /* until SIGTERM stops the listener and the last connection closed */
  printf("new: served %lu connections\n", served);
  return 0;
}

int main(int argc, char **argv) {
  block_stop_signals();
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 3 || (strcmp(argv[1], "old") != 0 && strcmp(argv[1], "new") != 0)) {
    fprintf(stderr, "usage: handover old CONTROL_PATH [port] | handover new CONTROL_PATH\n");
    return 2;
  }
  role = argv[1];
  loop = bun_tcp_loop_new();
  int rc = strcmp(role, "old") == 0 ? run_old(argv[2], (uint16_t)(argc > 3 ? atoi(argv[3]) : 0)) : run_new(argv[2]);
  bun_tcp_loop_free(loop);
  return rc;
}
