/* epoll_bulk: bench/bulk/bulk_server.c without a library, the hand-written limit.
 *
 *   usage: epoll_bulk PORT BYTES
 *
 * Level-triggered epoll; each writable socket gets nonblocking send()s of up to CHUNK bytes until
 * EAGAIN; after the last byte, shutdown(SHUT_WR), then close once the client closes. On close it
 * prints "sent N of BYTES bytes", as the other bulk servers do. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (256u * 1024) /* bytes offered per send: the same in all three servers */

static char chunk[CHUNK];
static uint64_t total;

typedef struct {
  int fd;
  uint64_t sent;
  int ended;
} conn;

static void finish(int ep, conn *c, const char *why) {
  printf("sent %" PRIu64 " of %" PRIu64 " bytes%s%s\n", c->sent, total, why ? " error " : "",
         why ? why : "");
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
}

/* Sends until EAGAIN or the end; returns -1 when the connection broke. */
static int pump(int ep, conn *c) {
  while (c->sent < total) {
    size_t want = total - c->sent < CHUNK ? (size_t)(total - c->sent) : CHUNK;
    ssize_t n = send(c->fd, chunk, want, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    c->sent += (uint64_t)n;
  }
  if (!c->ended) { /* done: FIN, and from now on only wait for the client's close */
    c->ended = 1;
    shutdown(c->fd, SHUT_WR);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: epoll_bulk PORT BYTES\n");
    return 2;
  }
  total = strtoull(argv[2], NULL, 10);
  for (size_t i = 0; i < CHUNK; i++) chunk[i] = (char)('a' + i % 26);
  setvbuf(stdout, NULL, _IOLBF, 0);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) || listen(lfd, 511)) {
    perror("listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL = the listener */
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  printf("epoll_bulk listening on 127.0.0.1:%s\n", argv[1]);

  struct epoll_event events[64];
  for (;;) {
    int k = epoll_wait(ep, events, 64, -1);
    if (k < 0 && errno != EINTR) return 1;
    for (int i = 0; i < k; i++) {
      conn *c = events[i].data.ptr;
      if (!c) { /* accept everything pending */
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          c = calloc(1, sizeof *c);
          c->fd = fd;
          struct epoll_event cev = {.events = EPOLLOUT, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      if (c->ended) { /* the client sends nothing: readable = it closed (or reset) */
        char b[4096];
        ssize_t n = read(c->fd, b, sizeof b);
        if (n <= 0 && !(n < 0 && errno == EAGAIN)) finish(ep, c, n < 0 ? "read" : NULL);
      } else if (events[i].events & (EPOLLERR | EPOLLHUP) || pump(ep, c) < 0) {
        finish(ep, c, "send");
      }
    }
  }
}
