/* 1,000 connects to "localhost" in one loop: names resolve on a small, bounded pool of resolver
 * threads (at most 4 per process), not one thread per lookup. Every connect completes with exactly
 * one of open / connect_error (here ECONNREFUSED: nothing listens on the port), the process never
 * has more than 4 threads beyond those it had before, the loop keeps running while lookups are
 * queued, and the resolver threads exit once idle. */
#include "harness.h"
#include <dirent.h>

#define N 1000
#define POOL_MAX 4
static int n_open[N], n_connect_error[N], n_other;
static int max_threads, baseline;

static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) FAIL("opendir /proc/self/task: %s", strerror(errno));
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void sample(void) {
  int n = thread_count();
  if (n > max_threads) max_threads = n;
}

static int index_of(void *data) {
  int i = (int)((int *)data - n_open);
  if (i < 0 || i >= N) FAIL("unexpected user data %p", data);
  return i;
}

static void on_open(bun_tcp_socket s, void *data) {
  n_open[index_of(data)]++;
  sample();
  CHECK_OK(bun_tcp_socket_close(s));
}
static void on_data(bun_tcp_socket s, void *data, const uint8_t *b, size_t n) {
  (void)s, (void)data, (void)b, (void)n;
  n_other++;
}
static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) { (void)s, (void)data, (void)err; }
static void on_connect_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  (void)s;
  int i = index_of(data);
  n_connect_error[i]++;
  if (!err) FAIL("connect_error with err NULL");
  sample();
}

static int completed(void) {
  int n = 0;
  for (int i = 0; i < N; i++) n += n_open[i] + n_connect_error[i];
  return n;
}

int main(void) {
  test_init("connect_hostname_many", 120);
  bun_tcp_loop *loop = new_loop();
  uint16_t port = 0;
  int probe = raw_tcp_bound(false, &port); /* a port nothing listens on */
  close(probe);
  baseline = thread_count();
  max_threads = baseline;

  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.open = on_open;
  h.data = on_data;
  h.close = on_close;
  h.connect_error = on_connect_error;

  test_case("1000 connects to localhost");
  for (int i = 0; i < N; i++) {
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "localhost";
    o.port = port;
    o.data = &n_open[i];
    bun_tcp_socket s = {0};
    CHECK_OK(bun_tcp_connect(loop, &o, &h, &s));
    sample();
  }

  test_case("all complete, the thread count stays bounded");
  double deadline = now_ms() + 60000 * harness_time_scale();
  while (completed() < N) {
    CHECK_CMP(poll_ok(loop, 5), >=, 0);
    sample();
    if (now_ms() > deadline) FAIL("only %d of %d connects completed", completed(), N);
  }
  for (int i = 0; i < N; i++)
    CHECK_MSG(n_open[i] + n_connect_error[i] == 1, "connect %d: open %d, connect_error %d", i, n_open[i],
              n_connect_error[i]);
  CHECK_EQ(n_other, 0);
  printf("    threads: %d before, at most %d during\n", baseline, max_threads);
  CHECK_CMP(max_threads - baseline, <=, POOL_MAX);
  CHECK(!bun_tcp_loop_alive(loop));

  test_case("resolver threads exit when idle");
  RUN_UNTIL(loop, thread_count() == baseline);

  test_case("freeing the last loop ends the resolver threads at once (none lingers idle)");
  bun_tcp_handlers quiet = {.data = on_data};
  bun_tcp_connect_options lo = {.hostname = "localhost", .port = 1};
  bun_tcp_socket extra;
  CHECK_OK(bun_tcp_connect(loop, &lo, &quiet, &extra));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop)); /* the look-up ran: a resolver thread is idle now */
  CHECK_CMP(thread_count(), >, baseline);
  bun_tcp_loop_free(loop);
  CHECK_EQ(thread_count(), baseline);
  return test_pass();
}
