/* hold_clients: opens COUNT connections to a PING server and holds them open.
 *
 *   usage: hold_clients PORT COUNT
 *
 * Connects to 127.0.0.1:PORT (at most INFLIGHT connects pending at once, so the server's accept
 * backlog never overflows), sends "PING\r\n" on each connection and waits for "+PONG\r\n", which
 * proves the server accepted it and set it up. Once all COUNT answered it prints "ready COUNT"
 * and holds them until killed. It exits 1 if any connection fails or closes (before or after
 * "ready"). Plain C and epoll, no library: the client of the "idle 10k" workload. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define INFLIGHT 256
static const char PONG[] = "+PONG\r\n";
#define PONG_LEN (sizeof PONG - 1)

static int fail(const char *what) {
  fprintf(stderr, "hold_clients: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: hold_clients PORT COUNT\n");
    return 2;
  }
  int count = atoi(argv[2]);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if ((rlim_t)count + 16 > rl.rlim_cur) {
    fprintf(stderr, "hold_clients: %d connections need more than %lu fds\n", count,
            (unsigned long)rl.rlim_cur);
    return 1;
  }
  size_t nfd = (size_t)rl.rlim_cur;
  unsigned char *got = calloc(nfd, 1); /* bytes of "+PONG\r\n" seen, per fd */
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  int ep = epoll_create1(0);
  if (!got || ep < 0) fail("setup");

  int started = 0, pending = 0, ready = 0;
  struct epoll_event events[256];
  for (;;) {
    while (started < count && pending < INFLIGHT) { /* keep INFLIGHT connects going */
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (fd < 0) fail("socket");
      if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS)
        fail("connect");
      struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      started++;
      pending++;
    }
    int k = epoll_wait(ep, events, 256, -1);
    if (k < 0 && errno != EINTR) fail("epoll_wait");
    for (int i = 0; i < k; i++) {
      int fd = events[i].data.fd, err = 0;
      socklen_t len = sizeof err;
      if (events[i].events & EPOLLOUT) { /* connect finished: check it, send PING, then read */
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          errno = err;
          fail("connect");
        }
        if (write(fd, "PING\r\n", 6) != 6) fail("write");
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        continue;
      }
      char buf[64];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EAGAIN) continue;
      if (n <= 0) {
        if (n == 0) errno = ECONNRESET;
        fail(got[fd] == PONG_LEN ? "connection closed while held" : "read");
      }
      if (got[fd] + (size_t)n > PONG_LEN || memcmp(buf, PONG + got[fd], (size_t)n) != 0) {
        fprintf(stderr, "hold_clients: unexpected reply\n");
        return 1;
      }
      got[fd] += (unsigned char)n;
      if (got[fd] == PONG_LEN) {
        pending--;
        if (++ready == count) {
          printf("ready %d\n", count);
          fflush(stdout);
        }
      }
    }
  }
}
