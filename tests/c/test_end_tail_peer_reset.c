/* A queued end() tail and a peer reset (the header: bun_tcp_socket_write / bun_tcp_socket_end): the client calls end(32 MiB) towards a paused
 * server socket, so most of the tail stays queued; the server then terminates (RST).
 *  - with an error handler: error fires once (negative code, e.g. ECONNRESET/EPIPE), then close
 *    exactly once, last (draft: close(NULL) after error);
 *  - without an error handler: close fires once with err set.
 * In neither case does the tail reach a dead peer, and open fired once. */
#include "harness.h"

#define LEN (32u << 20)

static srv_t sv;
static rec_t c_err, c_noerr;
static uint8_t *buf;

static void run_case(bun_tcp_loop *loop, rec_t *c, const bun_tcp_handlers *hc, int idx) {
  bun_tcp_listener l = sv.l;
  connect_rec(loop, bun_tcp_listener_port(l), c, hc, false);
  RUN_UNTIL(loop, c->n_open == 1 && sv.n_accepted == idx + 1 && sv.socks[idx].n_open == 1);
  CHECK_EQ(bun_tcp_socket_end(c->s, buf, LEN), LEN);
  poll_ok(loop, 0);
  CHECK_EQ(c->n_close, 0); /* the tail cannot be flushed: the peer is paused */
  CHECK_OK(bun_tcp_socket_terminate(sv.socks[idx].s));
  CHECK_EQ(sv.socks[idx].n_close, 1);
  RUN_UNTIL(loop, c->n_close == 1);
  CHECK_EQ(run_for(loop, 100), 0);
  check_closed_once(c, "client");
  CHECK_CMP(sv.socks[idx].bytes_in, <, LEN);
}

int main(void) {
  test_init("end_tail_peer_reset", 60);
  buf = (uint8_t *)malloc(LEN);
  stream_fill(5, 0, buf, LEN);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  sv.keep_bytes = false;
  sv.pause_on_open = true;
  bun_tcp_handlers hs = rec_handlers();
  listen_srv(loop, &sv, &hs, false);

  test_case("with an error handler: error, then close");
  rec_init(&c_err);
  bun_tcp_handlers hc = rec_handlers();
  run_case(loop, &c_err, &hc, 0);
  printf("    trace: %s (error %d %s)\n", c_err.tr.buf, c_err.error_code, c_err.error_name);
  CHECK_EQ(c_err.n_error, 1);
  CHECK_CMP(c_err.error_code, <, 0);
  {
    char expect[128];
    snprintf(expect, sizeof expect, "open,error:%s,close", c_err.error_name);
    CHECK_TRACE(&c_err.tr, expect);
  }

  test_case("without an error handler: close(err)");
  rec_init(&c_noerr);
  bun_tcp_handlers hc2 = rec_handlers();
  hc2.error = NULL;
  run_case(loop, &c_noerr, &hc2, 1);
  printf("    trace: %s (close code %d %s)\n", c_noerr.tr.buf, c_noerr.close_code, c_noerr.close_name);
  CHECK_CMP(c_noerr.close_code, <, 0);
  CHECK_EQ(c_noerr.n_error, 0);
  {
    char expect[128];
    snprintf(expect, sizeof expect, "open,close_err:%s", c_noerr.close_name);
    CHECK_TRACE(&c_noerr.tr, expect);
  }
  CHECK_MSG(strcmp(c_noerr.close_name, "ECONNRESET") == 0 || strcmp(c_noerr.close_name, "EPIPE") == 0,
            "close error name %s", c_noerr.close_name);

  CHECK_OK(bun_tcp_listener_stop(sv.l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  rec_free(&c_err);
  rec_free(&c_noerr);
  srv_free(&sv);
  free(buf);
  return test_pass();
}
