/* epoll_server: the hand-written limit of the benchmark. One thread, epoll, no library.
 *
 *   usage: epoll_server ping|http [port] [host]     (defaults 6380, 127.0.0.1)
 *
 * Protocols in proto.h (the same parsers as the other C servers). Level-triggered epoll; per
 * readiness it reads until a short read (the socket is drained then; level triggering reports
 * anything that arrives later), parses, and sends all replies of the batch in one write().
 * What the kernel does not take waits in the connection's buffer and goes out on EPOLLOUT
 * (reading pauses meanwhile). Accepted sockets get TCP_NODELAY, as in bun_tcp and Bun.
 * SIGTERM/SIGINT end it with exit status 0 (so valgrind writes its profile). */
#define _GNU_SOURCE /* accept4 */
#include "proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  int fd;
  ping_state ping; /* used in ping mode */
  http_state http; /* used in http mode */
  out_buf pending; /* replies the kernel did not take yet */
  size_t pending_off;
} conn;

static int http_mode, ep;
static char rbuf[65536];
static out_buf out; /* replies of the current batch, shared (one thread) */
static volatile sig_atomic_t stopping;

static void on_signal(int sig) { stopping = 1; }

static void conn_close(conn *c) {
  close(c->fd); /* also removes it from the epoll set */
  ping_state_release(&c->ping);
  free(c->pending.data);
  free(c);
}

static void set_events(conn *c, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends out.data[0, out.len); keeps what is left. Returns -1 if the connection failed. */
static int send_batch(conn *c) {
  ssize_t n = write(c->fd, out.data, out.len);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) return -1;
    n = 0;
  }
  if ((size_t)n < out.len) {
    out_append(&c->pending, out.data + n, out.len - (size_t)n);
    set_events(c, EPOLLOUT); /* pause reading until the replies are out */
  }
  return 0;
}

static void on_readable(conn *c) {
  for (;;) {
    ssize_t n = read(c->fd, rbuf, sizeof rbuf);
    if (n == 0) break; /* peer closed */
    if (n < 0) {
      if (errno == EAGAIN) return;
      if (errno == EINTR) continue;
      break;
    }
    out.len = 0;
    if (http_mode) {
      http_replies(http_feed(&c->http, rbuf, (size_t)n), &out);
    } else if (ping_feed(&c->ping, rbuf, (size_t)n, &out) < 0) {
      break;
    }
    if (out.len && send_batch(c) < 0) break;
    if (c->pending.len || (size_t)n < sizeof rbuf) return; /* drained, or writes pending */
  }
  conn_close(c);
}

static void on_writable(conn *c) {
  ssize_t n = write(c->fd, c->pending.data + c->pending_off, c->pending.len - c->pending_off);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    conn_close(c);
    return;
  }
  c->pending_off += (size_t)n;
  if (c->pending_off == c->pending.len) {
    c->pending.len = c->pending_off = 0;
    set_events(c, EPOLLIN);
    on_readable(c); /* input may have queued up while reading was paused */
  }
}

static void on_acceptable(int lfd) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or a transient error: the next event retries */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conn *c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) conn_close(c);
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "ping") && strcmp(argv[1], "http"))) {
    fprintf(stderr, "usage: %s ping|http [port] [host]\n", argv[0]);
    return 2;
  }
  http_mode = strcmp(argv[1], "http") == 0;
  int port = argc > 2 ? atoi(argv[2]) : 6380;
  const char *host = argc > 3 ? argv[3] : "127.0.0.1";
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: epoll_wait returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "bad IPv4 address: %s\n", host);
    return 1;
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
    perror("listen");
    return 1;
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener */
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  printf("epoll_server (%s) listening on %s:%d\n", argv[1], host, port);

  struct epoll_event events[256];
  while (!stopping) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      conn *c = events[i].data.ptr;
      if (!c) on_acceptable(lfd);
      else if (events[i].events & EPOLLOUT) on_writable(c);
      else on_readable(c);
    }
  }
  free(out.data);
  return 0;
}
