/* A send(2) interrupted by a signal (EINTR) is retried at once, not treated as "try later": on an
 * edge-triggered socket that is already writable no writable event would come, so the bytes would
 * sit unsent and `drain` would never fire. This program interposes send() (the library is linked
 * statically into it) to fail once with EINTR; write must still take the bytes and the peer must
 * get them. */
#include "harness.h"
#include <dlfcn.h>

static srv_t sv;
static rec_t c;
static int eintr_fd = -1; /* the next send() on this fd fails with EINTR, once */
static int eintr_count;

typedef ssize_t (*send_fn)(int, const void *, size_t, int);

ssize_t send(int fd, const void *buf, size_t len, int flags) {
  if (fd == eintr_fd) {
    eintr_fd = -1;
    eintr_count++;
    errno = EINTR;
    return -1;
  }
  void *sym = dlsym(RTLD_NEXT, "send");
  if (!sym) {
    errno = ENOSYS;
    return -1;
  }
  send_fn real;
  memcpy(&real, &sym, sizeof real);
  return real(fd, buf, len, flags);
}

int main(void) {
  test_init("write_eintr", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);

  test_case("write retries an interrupted send");
  eintr_fd = bun_tcp_socket_fd(c.s);
  CHECK_CMP(eintr_fd, >=, 0);
  int64_t n = bun_tcp_socket_write(c.s, (const uint8_t *)"hello", 5);
  if (eintr_count != 1) {
    printf("NOTE write_eintr: the library's send() was not interposed; nothing to conclude\n");
    eintr_fd = -1;
  } else {
    CHECK_EQ(n, 5);
  }
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 5);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:hello");
  CHECK_EQ(c.n_drain, 0);

  CHECK_OK(bun_tcp_socket_close(c.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_TRACE(&c.tr, "open,close");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
