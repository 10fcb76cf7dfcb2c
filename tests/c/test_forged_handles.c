/* A handle id the library never issued (a live slot with a generation it never handed out, a
 * slot that does not exist, loop bits of no loop, zero) is BUN_TCP_ECLOSED for every listener and
 * socket function, never taken for a listener stopped earlier (those stay no-ops returning 0)
 * for another socket: a listener's id passed as a socket (or a socket's as a listener) is refused
 * too. Layout of an id (src/slab.rs): [loop 20 bits][generation 20][kind 2 + index 22]. */
#include "harness.h"

#define GEN_SHIFT 24
#define GEN_MASK 0xFFFFFull
#define LOOP_SHIFT 44

static uint64_t with_generation(uint64_t id, uint64_t gen) {
  return (id & ~(GEN_MASK << GEN_SHIFT)) | ((gen & GEN_MASK) << GEN_SHIFT);
}
static uint64_t generation_of(uint64_t id) { return (id >> GEN_SHIFT) & GEN_MASK; }

static void check_forged_listener(bun_tcp_listener f, const char *what) {
  bun_tcp_handlers h = rec_handlers();
  test_stage(what);
  CHECK_RC(bun_tcp_listener_stop(f, false), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_listener_stop(f, true), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_listener_ref(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_listener_unref(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_listener_reload(f, &h), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_listener_set_data(f, NULL), BUN_TCP_ECLOSED);
  CHECK(bun_tcp_listener_data(f) == NULL);
  CHECK_EQ(bun_tcp_listener_port(f), 0);
}

static void check_forged_socket(bun_tcp_socket f, const char *what) {
  bun_tcp_handlers h = rec_handlers();
  const uint8_t *x = (const uint8_t *)"x";
  char buf[64];
  int fd = -1;
  test_stage(what);
  CHECK_RC(bun_tcp_socket_write(f, x, 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_write_all(f, x, 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_end(f, x, 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_shutdown(f, false), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_close(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_terminate(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_timeout(f, 1), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_timeout_ms(f, 1), BUN_TCP_ECLOSED);
  CHECK(bun_tcp_socket_data(f) == NULL);
  CHECK_RC(bun_tcp_socket_set_data(f, NULL), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_reload(f, &h), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_socket_ready_state(f), BUN_TCP_STATE_CLOSED);
  CHECK_RC(bun_tcp_socket_ref(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_unref(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_pause(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_resume(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_flush(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_cork(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_uncork(f), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_socket_buffered_amount(f), 0);
  CHECK_RC(bun_tcp_socket_set_no_delay(f, true), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_set_keep_alive(f, true, 1000), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_remote_address(f, buf, sizeof buf), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_remote_port(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_local_address(f, buf, sizeof buf), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_local_port(f), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_socket_bytes_written(f), 0);
  CHECK_RC(bun_tcp_socket_fd(f), BUN_TCP_ECLOSED);
  CHECK_EQ(bun_tcp_socket_listener(f).id, 0);
  CHECK_RC(bun_tcp_socket_detach(f, &fd), BUN_TCP_ECLOSED);
  CHECK_EQ(fd, -1);
  CHECK(!bun_tcp_socket_authorized(f));
  CHECK_RC(bun_tcp_socket_verify_error(f), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_alpn_protocol(f, buf, sizeof buf), BUN_TCP_ECLOSED);
  CHECK_RC(bun_tcp_socket_server_name(f, buf, sizeof buf), BUN_TCP_ECLOSED);
  CHECK(bun_tcp_socket_tls_version(f) == NULL);
  CHECK(bun_tcp_socket_cipher(f) == NULL);
  CHECK_RC(bun_tcp_socket_peer_certificate(f, (uint8_t *)buf, sizeof buf), BUN_TCP_ECLOSED);
  bun_tcp_tls_options tls;
  memset(&tls, 0, sizeof tls);
  CHECK_RC(bun_tcp_socket_upgrade_tls(f, &tls, &h, false), BUN_TCP_ECLOSED);
}

int main(void) {
  test_init("forged_handles", 30);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  rec_t c;
  srv_init(&sv);
  rec_init(&c);
  bun_tcp_handlers h = rec_handlers();

  test_case("forged ids of a live listener's slot");
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  uint64_t gen = generation_of(l.id);
  CHECK(gen >= 1);
  check_forged_listener((bun_tcp_listener){with_generation(l.id, gen + 1)}, "next generation");
  check_forged_listener((bun_tcp_listener){with_generation(l.id, gen + 1000)}, "far generation");
  check_forged_listener((bun_tcp_listener){with_generation(l.id, 0)}, "generation 0");
  check_forged_listener((bun_tcp_listener){l.id + 1000}, "slot that does not exist");
  check_forged_listener((bun_tcp_listener){l.id ^ (1ull << 63)}, "loop bits of no loop");
  check_forged_listener((bun_tcp_listener){0}, "zero");
  CHECK(bun_tcp_listener_data(l) == &sv); /* the real one is untouched */
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 1);

  test_case("forged ids of a live socket's slot");
  bun_tcp_socket s = connect_rec(loop, bun_tcp_listener_port(l), &c, &h, false);
  RUN_UNTIL(loop, c.n_open == 1 && sv.n_accepted == 1);
  uint64_t sgen = generation_of(s.id);
  check_forged_socket((bun_tcp_socket){with_generation(s.id, sgen + 1)}, "socket next generation");
  check_forged_socket((bun_tcp_socket){with_generation(s.id, 0)}, "socket generation 0");
  check_forged_socket((bun_tcp_socket){s.id + 1000}, "socket slot that does not exist");
  check_forged_socket((bun_tcp_socket){s.id ^ (1ull << 62)}, "socket loop bits of no loop");
  check_forged_socket((bun_tcp_socket){0}, "socket zero");
  test_case("a listener's id used as a socket, and a socket's id as a listener");
  check_forged_socket((bun_tcp_socket){l.id}, "listener id as a socket");
  check_forged_listener((bun_tcp_listener){s.id}, "client socket id as a listener");
  check_forged_listener((bun_tcp_listener){sv.socks[0].s.id}, "accepted socket id as a listener");
  CHECK(bun_tcp_listener_data(l) == &sv);
  CHECK(bun_tcp_socket_data(s) == &c);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ok");

  test_case("a stopped, released listener: stop/ref/unref stay no-ops, other generations are forged");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, c.n_close == 1 && sv.socks[0].n_close == 1);
  poll_ok(loop, 0);
  CHECK(bun_tcp_listener_data(l) == NULL); /* released */
  CHECK_OK(bun_tcp_listener_stop(l, false));
  CHECK_OK(bun_tcp_listener_ref(l));
  CHECK_OK(bun_tcp_listener_unref(l));
  check_forged_listener((bun_tcp_listener){with_generation(l.id, gen + 1)}, "released slot, next generation");
  check_forged_listener((bun_tcp_listener){with_generation(l.id, gen + 7)}, "released slot, far generation");

  bun_tcp_loop_free(loop);
  check_closed_once(&c, "client");
  rec_free(&c);
  srv_free(&sv);
  return test_pass();
}
