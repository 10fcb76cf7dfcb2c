/* 50 failing connects (40 refused, 10 unknown host, all at once) each fire exactly one
 * connect_error, and leave no fd (counted in /proc/self/fd) and no slot
 * (bun_tcp_loop_socket_count back to 0) behind. A second batch checks nothing accumulates. */
#include "harness.h"

#define N 50
static int N_DNS = 10; /* 0 when the resolver cannot answer NXDOMAIN (see harness.h) */
static rec_t c[N];

static void batch(bun_tcp_loop *loop, uint16_t refused_port, int round) {
  bun_tcp_handlers h = rec_handlers();
  for (int i = 0; i < N; i++) {
    rec_init(&c[i]);
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = i < N_DNS ? UNRESOLVABLE_HOST : "127.0.0.1";
    o.port = refused_port;
    o.data = &c[i];
    CHECK_OK(bun_tcp_connect(loop, &o, &h, &c[i].s));
  }
  CHECK_EQ(bun_tcp_loop_socket_count(loop), N);
  int done = 0;
  double deadline = now_ms() + 20000 * harness_time_scale();
  while (done < N) {
    if (now_ms() > deadline) FAIL("round %d: only %d of %d connect_error fired", round, done, N);
    poll_ok(loop, 50);
    done = 0;
    for (int i = 0; i < N; i++) done += c[i].n_connect_error;
  }
  CHECK_EQ(run_for(loop, 100), 0);
  for (int i = 0; i < N; i++) {
    CHECK_EQ(c[i].n_connect_error, 1);
    CHECK_EQ(c[i].total_calls, 1);
    CHECK_STR(c[i].connect_error_name, i < N_DNS ? "ENOTFOUND" : "ECONNREFUSED");
    rec_free(&c[i]);
  }
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK(!bun_tcp_loop_alive(loop));
}

int main(void) {
  test_init("connect_fail_no_leak", 60);
  uint16_t port;
  int holder = raw_tcp_bound(false, &port);
  if (!resolver_reports_nxdomain()) N_DNS = 0;
  bun_tcp_loop *loop = new_loop();

  /* warm-up: lets the library create whatever it keeps for the loop's life (resolver threads,
   * wakeup fds) before the baseline is taken */
  test_case("warm-up");
  {
    bun_tcp_handlers h = rec_handlers();
    rec_t w[2];
    for (int i = 0; i < 2; i++) {
      rec_init(&w[i]);
      bun_tcp_connect_options o;
      memset(&o, 0, sizeof o);
      o.hostname = (i && N_DNS) ? UNRESOLVABLE_HOST : "127.0.0.1";
      o.port = port;
      o.data = &w[i];
      CHECK_OK(bun_tcp_connect(loop, &o, &h, &w[i].s));
    }
    RUN_UNTIL(loop, w[0].n_connect_error == 1 && w[1].n_connect_error == 1);
    rec_free(&w[0]);
    rec_free(&w[1]);
  }
  int fds0 = count_open_fds();
  printf("    fds at baseline: %d\n", fds0);

  test_case("50 failing connects");
  batch(loop, port, 1);
  int fds1 = count_open_fds();
  CHECK_MSG(fds1 == fds0, "fd count %d after the batch, %d before", fds1, fds0);

  test_case("50 more");
  batch(loop, port, 2);
  int fds2 = count_open_fds();
  CHECK_MSG(fds2 == fds0, "fd count %d after the second batch, %d before", fds2, fds0);

  bun_tcp_loop_free(loop);
  close(holder);
  return test_pass();
}
