/* Moving a connection between loops: bun_tcp_socket_detach on loop A (main thread) hands the
 * descriptor to loop B (its own thread) through bun_tcp_loop_post, and bun_tcp_socket_adopt
 * makes it B's: B's handlers run on B's thread, bytes the client sent before the move arrive
 * there, and A fires nothing more for the detached socket (no close). Then the refusals: a
 * connecting socket, queued bytes, a stale handle; adopting a pipe, a listening socket, an
 * unconnected socket, a negative fd, from the wrong thread (each leaves the fd open); and
 * adopting one end of a socketpair made outside the library. */
#include "harness.h"
#include <fcntl.h>
#include <pthread.h>

/* ---- loop B: an echo server on its own thread ---------------------------------------------- */

typedef struct {
  bun_tcp_socket s;
  int n_open, n_data, n_end, n_close, wrong_thread;
  char got[64];
  size_t got_len;
} moved_t;

static bun_tcp_loop *loop_b;
static pthread_t thread_b;
static volatile int b_ready, b_stop;
static moved_t moved;
static int adopt_rc = 1;

static void check_thread(void) {
  if (!pthread_equal(pthread_self(), thread_b)) moved.wrong_thread++;
}
static void b_open(bun_tcp_socket s, void *data) {
  check_thread();
  moved.n_open++;
}
static void b_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  check_thread();
  moved.n_data++;
  if (moved.got_len + n <= sizeof moved.got) {
    memcpy(moved.got + moved.got_len, b, n);
    moved.got_len += n;
  }
  bun_tcp_socket_write_all(s, b, n);
}
static void b_end(bun_tcp_socket s, void *data) {
  check_thread();
  moved.n_end++;
}
static void b_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  check_thread();
  moved.n_close++;
}

/* Runs on B's thread: the descriptor is adopted by loop B. */
static void adopt_on_b(void *arg) {
  int fd = (int)(intptr_t)arg;
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.open = b_open;
  h.data = b_data;
  h.end = b_end;
  h.close = b_close;
  adopt_rc = bun_tcp_socket_adopt(loop_b, fd, &h, &moved, false, &moved.s);
}
static void stop_b(void *arg) { b_stop = 1; }

static void *run_b(void *arg) {
  loop_b = new_loop();
  thread_b = pthread_self();
  __atomic_store_n(&b_ready, 1, __ATOMIC_RELEASE);
  while (!b_stop) bun_tcp_poll(loop_b, -1);
  bun_tcp_loop_free(loop_b);
  return NULL;
}

/* ---- loop A: detaches the accepted socket in its open handler ------------------------------- */

static int detach_rc = 1, detached_fd = -1;
static bun_tcp_socket detached;
static int a_calls;

static void a_open(bun_tcp_socket s, void *data) {
  a_calls++;
  detached = s;
  detach_rc = bun_tcp_socket_detach(s, &detached_fd);
  if (detach_rc == 0 && bun_tcp_loop_post(loop_b, adopt_on_b, (void *)(intptr_t)detached_fd) != 0)
    FAIL("bun_tcp_loop_post: %s", harness_str(bun_tcp_last_error_message()));
}
static void a_any(bun_tcp_socket s, void *data) { a_calls++; }
static void a_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) { a_calls++; }
static void a_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) { a_calls++; }

static bool fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static rec_t client, busy_client, paired;
static srv_t busy_srv;

int main(void) {
  test_init("socket_transfer", 60);
  pthread_t tb;
  pthread_create(&tb, NULL, run_b, NULL);
  while (!__atomic_load_n(&b_ready, __ATOMIC_ACQUIRE)) sched_yield();
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers rh = rec_handlers();

  test_case("a connection moves from loop A to loop B");
  bun_tcp_handlers ah;
  memset(&ah, 0, sizeof ah);
  ah.open = a_open;
  ah.data = a_data;
  ah.end = a_any;
  ah.drain = a_any;
  ah.close = a_close;
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  bun_tcp_listener l = {0};
  CHECK_OK(bun_tcp_listen(loop, &lo, &ah, &l));
  uint16_t port = bun_tcp_listener_port(l);
  rec_init(&client);
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = port;
  co.data = &client;
  CHECK_OK(bun_tcp_connect(loop, &co, &rh, &client.s));
  RUN_UNTIL(loop, client.n_open == 1 && detach_rc != 1);
  CHECK_RC(detach_rc, 0);
  CHECK_CMP(detached_fd, >=, 0);
  CHECK_EQ(a_calls, 1); /* open only: no close for a detached socket */
  CHECK_EQ(bun_tcp_socket_ready_state(detached), -1);
  CHECK_RC(bun_tcp_socket_write(detached, (const uint8_t *)"x", 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_close(detached), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_socket_write(client.s, (const uint8_t *)"moved", 5), 5);
  RUN_UNTIL(loop, client.bytes_in == 5);
  CHECK_RC(adopt_rc, 0);
  CHECK_TRACE(&client.tr, "open,data:moved");
  CHECK_EQ(bun_tcp_socket_end(client.s, NULL, 0), 0);
  RUN_UNTIL(loop, client.n_close == 1 && __atomic_load_n(&moved.n_close, __ATOMIC_ACQUIRE) == 1);
  CHECK_TRACE(&client.tr, "open,data:moved,end,close");
  CHECK_EQ(moved.n_open, 1);
  CHECK_EQ(moved.n_end, 1);
  CHECK_EQ(moved.got_len, 5);
  CHECK(memcmp(moved.got, "moved", 5) == 0);
  CHECK_EQ(moved.wrong_thread, 0);
  CHECK_EQ(a_calls, 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));

  test_case("detach is refused while connecting and while bytes are queued");
  srv_init(&busy_srv);
  busy_srv.pause_on_open = true; /* the server reads nothing, so the client's queue fills */
  lo.data = &busy_srv;
  CHECK_OK(bun_tcp_listen(loop, &lo, &rh, &l));
  co.port = bun_tcp_listener_port(l);
  rec_init(&busy_client);
  co.data = &busy_client;
  CHECK_OK(bun_tcp_connect(loop, &co, &rh, &busy_client.s));
  int fd = -1;
  CHECK_RC(bun_tcp_socket_detach(busy_client.s, &fd), BUN_TCP_ENOTSUP); /* still connecting */
  CHECK_RC(bun_tcp_socket_detach(busy_client.s, NULL), BUN_TCP_EINVAL);
  RUN_UNTIL(loop, busy_client.n_open == 1 && busy_srv.n_accepted == 1);
  static uint8_t big[16 << 20];
  CHECK_EQ(bun_tcp_socket_write_all(busy_client.s, big, sizeof big), (int64_t)sizeof big);
  CHECK_CMP(bun_tcp_socket_buffered_amount(busy_client.s), >, 0);
  CHECK_RC(bun_tcp_socket_detach(busy_client.s, &fd), BUN_TCP_EBUSY);
  CHECK_EQ(fd, -1);
  CHECK_OK(bun_tcp_socket_close(busy_client.s));
  CHECK_OK(bun_tcp_listener_stop(l, true));

  test_case("adopt refuses what is not a connected stream socket, and leaves the fd open");
  bun_tcp_socket out = {0};
  int pipefd[2];
  CHECK_OK(pipe(pipefd));
  CHECK_RC(bun_tcp_socket_adopt(loop, pipefd[0], &rh, NULL, false, &out), -ENOTSOCK);
  CHECK(fd_open(pipefd[0]));
  close(pipefd[0]);
  close(pipefd[1]);
  int listening = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK_OK(bind(listening, (struct sockaddr *)&any, sizeof any));
  CHECK_OK(listen(listening, 1));
  CHECK_RC(bun_tcp_socket_adopt(loop, listening, &rh, NULL, false, &out), BUN_TCP_EINVAL);
  CHECK(fd_open(listening));
  close(listening);
  int unconnected = socket(AF_INET, SOCK_STREAM, 0);
  CHECK_RC(bun_tcp_socket_adopt(loop, unconnected, &rh, NULL, false, &out), -ENOTCONN);
  CHECK(fd_open(unconnected));
  int pair[2];
  CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
  CHECK_RC(bun_tcp_socket_adopt(loop_b, pair[0], &rh, NULL, false, &out), BUN_TCP_EWRONGTHREAD);
  CHECK(fd_open(pair[0]));
  CHECK_RC(bun_tcp_socket_adopt(loop, -1, &rh, NULL, false, &out), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_adopt(loop, pair[0], &rh, NULL, false, NULL), BUN_TCP_EINVAL);
  CHECK_RC(bun_tcp_socket_adopt(NULL, pair[0], &rh, NULL, false, &out), BUN_TCP_EINVAL);
  CHECK(fd_open(pair[0]));
  int dgram = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK_RC(bun_tcp_socket_adopt(loop, dgram, &rh, NULL, false, &out), -EPROTOTYPE);
  close(dgram);
  CHECK_EQ(out.id, 0);
  close(unconnected);

  test_case("one end of a socketpair made outside the library");
  rec_init(&paired);
  CHECK_OK(bun_tcp_socket_adopt(loop, pair[0], &rh, &paired, false, &paired.s));
  CHECK_EQ(bun_tcp_socket_ready_state(paired.s), 2); /* open fires from the loop */
  CHECK_EQ(paired.total_calls, 0);
  CHECK_EQ(write(pair[1], "ping", 4), 4);
  RUN_UNTIL(loop, paired.bytes_in == 4);
  CHECK_EQ(bun_tcp_socket_write(paired.s, (const uint8_t *)"pong", 4), 4);
  char reply[4];
  CHECK_EQ(read(pair[1], reply, 4), 4);
  CHECK(memcmp(reply, "pong", 4) == 0);
  close(pair[1]);
  RUN_UNTIL(loop, paired.n_close == 1);
  CHECK_TRACE(&paired.tr, "open,data:ping,end,close");

  poll_ok(loop, 0);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  CHECK_OK(bun_tcp_loop_post(loop_b, stop_b, NULL));
  pthread_join(tb, NULL);
  return test_pass();
}
