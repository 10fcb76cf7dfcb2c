/* threading: one loop per thread, the wrong-thread error, bun_tcp_loop_post, and embedding a loop
 * in a host's own epoll with bun_tcp_loop_fd and bun_tcp_loop_next_timeout_ms.
 *
 * The main thread owns loop A (an echo listener) and drives it from its own epoll. A worker thread
 * creates loop B, connects to A's listener, gets its echo back and runs B until it is done. It
 * then tries to stop A's listener directly (refused: BUN_TCP_EWRONGTHREAD) and instead posts a
 * function to loop A, which runs on the main thread and stops the listener there.
 * Exits 0 only if all of this happened as docs/guide.md says. */
#include <bun_tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

static bun_tcp_loop *loop_a;
static bun_tcp_listener listener;
static pthread_t main_thread;
static int echoed, stopped;

static void echo(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { bun_tcp_socket_write_all(s, b, n); }

/* Runs on the main thread, from bun_tcp_poll(loop_a, ...). */
static void stop_listener(void *arg) {
  CHECK(pthread_equal(pthread_self(), main_thread));
  printf("main: posted call runs on the main thread: %s\n", (const char *)arg);
  CHECK(bun_tcp_listener_stop(listener, true) == 0);
  stopped = 1;
}

static void cli_open(bun_tcp_socket s, void *d) { bun_tcp_socket_write_all(s, (const uint8_t *)"hi", 2); }
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  echoed += (int)n;
  if (echoed == 2) bun_tcp_socket_end(s, NULL, 0);
}

static void *worker(void *arg) {
  bun_tcp_loop *loop_b = bun_tcp_loop_new();            /* this thread's own loop */
  bun_tcp_handlers h = {.open = cli_open, .data = cli_data};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(listener)};
  CHECK(co.port == 0);                                   /* queries from another thread: 0 */
  co.port = *(uint16_t *)arg;
  bun_tcp_socket s;
  CHECK(bun_tcp_connect(loop_b, &co, &h, &s) == 0);
  CHECK(bun_tcp_run(loop_b) == 0);                       /* until the connection has closed */
  printf("worker: echo of %d bytes received on loop B\n", echoed);
  CHECK(echoed == 2);
  bun_tcp_loop_free(loop_b);

  int32_t rc = bun_tcp_listener_stop(listener, true);    /* loop A is not ours */
  printf("worker: listener_stop from here -> %s\n", bun_tcp_err_name(rc));
  CHECK(rc == BUN_TCP_EWRONGTHREAD);
  CHECK(bun_tcp_poll(loop_a, 0) == BUN_TCP_EWRONGTHREAD);
  CHECK(bun_tcp_loop_post(loop_a, stop_listener, "stop, please") == 0);
  return NULL;
}

int main(void) {
  main_thread = pthread_self();
  loop_a = bun_tcp_loop_new();
  bun_tcp_handlers h = {.data = echo};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1"};
  CHECK(bun_tcp_listen(loop_a, &lo, &h, &listener) == 0);
  uint16_t port = bun_tcp_listener_port(listener);

  /* The host's own event loop: epoll on loop A's fd, for as long as A asks. */
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  CHECK(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, bun_tcp_loop_fd(loop_a), &ev) == 0);

  pthread_t t;
  CHECK(pthread_create(&t, NULL, worker, &port) == 0);
  int iterations = 0;
  while (!stopped && iterations++ < 1000) {
    int wait_ms = bun_tcp_loop_next_timeout_ms(loop_a); /* -1: only I/O or a wakeup */
    CHECK(wait_ms >= -1);
    if (wait_ms < 0 || wait_ms > 100) wait_ms = 100;     /* the host's own cadence */
    CHECK(epoll_wait(ep, &ev, 1, wait_ms) >= 0);
    CHECK(bun_tcp_poll(loop_a, 0) >= 0);                 /* never blocks */
  }
  CHECK(pthread_join(t, NULL) == 0);
  printf("main: %d host iterations; listener stopped: %d\n", iterations, stopped);
  CHECK(stopped && bun_tcp_loop_listener_count(loop_a) == 0);
  bun_tcp_poll(loop_a, 0);                               /* release what the stop closed */
  CHECK(!bun_tcp_loop_alive(loop_a));
  close(ep);
  bun_tcp_loop_free(loop_a);
  printf("ok\n");
  return 0;
}
