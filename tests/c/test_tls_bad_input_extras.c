/* docs/bad-input.md: the bad inputs that had no test yet (issue 12). One small case per input,
 * each on its own loop, with the exact result the header documents, the exact handler traces, no
 * handler where none should fire, the loop's counts back to 0 after each case and the process's
 * descriptors back to the baseline at the end.
 *   - a bun_tcp_bytes item of key / cert / ca with ptr NULL and len > 0: BUN_TCP_EINVAL naming the
 *     item, from listen, connect and upgrade_tls; nothing written to *out, nothing created;
 *   - listen on a unix path left by a dead server (a stale socket file): -EADDRINUSE, the message
 *     says to remove the stale file, the file is still there (listening works once it is removed);
 *   - remote_address / remote_port of a unix-domain socket (client and accepted): -ENOTCONN, the
 *     buffer untouched; local_address / local_port too; set_no_delay / set_keep_alive are no-ops (0);
 *   - upgrade_tls after end (both sides) and after shutdown: BUN_TCP_EINVAL; the socket stays plain
 *     (no TLS version, no handshake handler, no byte of a ClientHello reaches the peer) and in the
 *     state it had;
 *   - set_no_delay / set_keep_alive while connecting: to an IP literal 0, applied to the attempt in
 *     flight (seen on its descriptor at once and after open); while a host name is still resolving
 *     -ENOTCONN (as fd and the addresses), the descriptor keeps its defaults.
 * A result that differs from the header is collected and reported at the end, after every case ran:
 * today TCP_NODELAY set off while connecting is turned back on at open (src/socket.rs).
 */
#include "harness.h"
#include "unix_common.h"

#define BOGUS_LEN 5
static const bun_tcp_listener NO_LISTENER = {0x5a5a5a5a5a5a5a5aull};
static const bun_tcp_socket NO_SOCKET = {0x5a5a5a5a5a5a5a5aull};

static void check_message_has(const char *needle) {
  const char *msg = bun_tcp_last_error_message();
  CHECK_MSG(msg && strstr(msg, needle), "last_error_message \"%s\" lacks \"%s\"", harness_str(msg),
            needle);
}

static void free_loop_empty(bun_tcp_loop *loop) {
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  bun_tcp_loop_free(loop);
}

/* ---- a bun_tcp_bytes item with ptr NULL and len > 0 ------------------------------------------ */

typedef enum { ITEM_KEY, ITEM_CERT, ITEM_CA } tls_item;
static const char *const item_names[] = {"key", "cert", "ca"};

/* server.crt + server.key, plus ca.crt (for mTLS): then blanks the pointer of the chosen item */
static void cfg_with_null_item(tls_cfg *c, tls_item item) {
  tls_cfg_server(c);
  tls_cfg_ca(c, "ca.crt");
  bun_tcp_bytes *b = item == ITEM_KEY ? &c->key[0] : item == ITEM_CERT ? &c->cert[0] : &c->ca[0];
  b->ptr = NULL;
  b->len = BOGUS_LEN;
}

static void case_null_item_listen(tls_item item) {
  char expected[64];
  snprintf(expected, sizeof expected, "%s[0].ptr is NULL but its len is not 0", item_names[item]);
  bun_tcp_loop *loop = new_loop();
  tls_cfg c;
  cfg_with_null_item(&c, item);
  srv_t sv;
  srv_init(&sv);
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.data = &sv;
  o.tls = &c.o;
  bun_tcp_handlers h = rec_tls_handlers();
  bun_tcp_listener out = NO_LISTENER;
  CHECK_RC(bun_tcp_listen(loop, &o, &h, &out), BUN_TCP_EINVAL);
  check_message_has(expected);
  CHECK_EQ(out.id, NO_LISTENER.id);
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_EQ(sv.n_accepted, 0);
  free_loop_empty(loop);
  srv_free(&sv);
}

static void case_null_item_connect(tls_item item) {
  char expected[64];
  snprintf(expected, sizeof expected, "%s[0].ptr is NULL but its len is not 0", item_names[item]);
  bun_tcp_loop *loop = new_loop();
  tls_cfg c; /* a client with a certificate (mTLS) and a CA: every item is read by connect */
  cfg_with_null_item(&c, item);
  rec_t r;
  rec_init(&r);
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = 9; /* never reached: the options are refused first */
  o.data = &r;
  o.tls = &c.o;
  bun_tcp_handlers h = rec_tls_handlers();
  bun_tcp_socket out = NO_SOCKET;
  CHECK_RC(bun_tcp_connect(loop, &o, &h, &out), BUN_TCP_EINVAL);
  check_message_has(expected);
  CHECK_EQ(out.id, NO_SOCKET.id);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_EQ(r.total_calls, 0);
  free_loop_empty(loop);
  rec_free(&r);
}

/* ---- a stale unix socket file ------------------------------------------------------------------ */

static void case_stale_unix_path(void) {
  char path[108];
  unix_test_path(path, sizeof path, "stale");
  /* a dead server: bound, then closed without unlinking its path */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(fd >= 0);
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  CHECK_EQ(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  CHECK_EQ(close(fd), 0);
  CHECK(path_is_socket(path));

  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener out = NO_LISTENER;
  CHECK_RC(listen_unix(loop, path, &sv, &h, &out), -EADDRINUSE);
  check_message_has("stale socket file to remove");
  check_message_has(path);
  CHECK_EQ(out.id, NO_LISTENER.id);
  CHECK(path_is_socket(path)); /* never removed by the library */
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 0);
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_EQ(sv.n_accepted, 0);

  /* its owner removes it: the path is free again */
  CHECK_EQ(unlink(path), 0);
  CHECK_OK(listen_unix(loop, path, &sv, &h, &out));
  CHECK_EQ(bun_tcp_loop_listener_count(loop), 1);
  CHECK_OK(bun_tcp_listener_stop(out, true));
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_EQ(sv.n_accepted, 0);
  free_loop_empty(loop);
  unlink(path);
  srv_free(&sv);
}

/* ---- remote_address / remote_port of unix-domain sockets -------------------------------------- */

/* remote_address and remote_port: -ENOTCONN, nothing written to the buffer */
static void check_no_remote(bun_tcp_socket s) {
  char buf[64];
  memset(buf, 'x', sizeof buf);
  CHECK_RC(bun_tcp_socket_remote_address(s, buf, sizeof buf), -ENOTCONN);
  for (size_t i = 0; i < sizeof buf; i++) CHECK_EQ(buf[i], 'x');
  CHECK_RC(bun_tcp_socket_remote_port(s), -ENOTCONN);
}

/* local_address and local_port: -ENOTCONN, nothing written to the buffer */
static void check_no_local(bun_tcp_socket s) {
  char buf[64];
  memset(buf, 'x', sizeof buf);
  CHECK_RC(bun_tcp_socket_local_address(s, buf, sizeof buf), -ENOTCONN);
  for (size_t i = 0; i < sizeof buf; i++) CHECK_EQ(buf[i], 'x');
  CHECK_RC(bun_tcp_socket_local_port(s), -ENOTCONN);
}

static void case_unix_remote_address(void) {
  char path[108];
  unix_test_path(path, sizeof path, "remote");
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cli;
  rec_init(&cli);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l;
  CHECK_OK(listen_unix(loop, path, &sv, &h, &l));
  CHECK_OK(connect_unix(loop, path, &cli, &h));
  RUN_UNTIL(loop, cli.n_open == 1 && sv.n_accepted == 1);
  check_no_remote(cli.s);
  check_no_remote(sv.socks[0].s);
  /* the header says the same of the local address, and makes the TCP options no-ops */
  check_no_local(cli.s);
  check_no_local(sv.socks[0].s);
  CHECK_OK(bun_tcp_socket_set_no_delay(cli.s, false));
  CHECK_OK(bun_tcp_socket_set_keep_alive(cli.s, true, 7000));
  /* both still work */
  CHECK_EQ(bun_tcp_socket_ready_state(cli.s), BUN_TCP_STATE_OPEN);
  CHECK_EQ(bun_tcp_socket_ready_state(sv.socks[0].s), BUN_TCP_STATE_OPEN);
  CHECK_EQ(bun_tcp_socket_write(cli.s, (const uint8_t *)"hi", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_OK(bun_tcp_socket_end(cli.s, NULL, 0));
  RUN_UNTIL(loop, cli.n_close == 1 && sv.socks[0].n_close == 1);
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_TRACE(&cli.tr, "open,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:hi,end,close");
  CHECK_EQ(sv.n_accepted, 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_EQ(run_for(loop, 10), 0);
  free_loop_empty(loop);
  unlink(path);
  rec_free(&cli);
  srv_free(&sv);
}

/* ---- upgrade_tls after end / shutdown ----------------------------------------------------------- */

typedef enum { WRITE_SIDE_END, WRITE_SIDE_SHUTDOWN } write_side_closer;

static void case_upgrade_after(write_side_closer how) {
  bun_tcp_loop *loop = new_loop();
  tls_cfg server_tls, client_tls;
  tls_cfg_server(&server_tls);
  tls_cfg_client(&client_tls);
  srv_t sv;
  srv_init(&sv);
  rec_t cli;
  rec_init(&cli);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_handlers tls_h = rec_tls_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &cli, &h, false);
  RUN_UNTIL(loop, cli.n_open == 1 && sv.n_accepted == 1);
  bun_tcp_socket srv_s = sv.socks[0].s;

  if (how == WRITE_SIDE_END) {
    CHECK_OK(bun_tcp_socket_end(cli.s, NULL, 0));
    CHECK_OK(bun_tcp_socket_end(srv_s, NULL, 0));
  } else {
    CHECK_OK(bun_tcp_socket_shutdown(cli.s, false));
  }
  int32_t cli_state = bun_tcp_socket_ready_state(cli.s);
  int32_t srv_state = bun_tcp_socket_ready_state(srv_s);
  CHECK_EQ(cli_state, BUN_TCP_STATE_WRITE_SHUT);
  CHECK_EQ(srv_state, how == WRITE_SIDE_END ? BUN_TCP_STATE_WRITE_SHUT : BUN_TCP_STATE_OPEN);

  CHECK_RC(bun_tcp_socket_upgrade_tls(cli.s, &client_tls.o, &tls_h, false), BUN_TCP_EINVAL);
  CHECK_EQ(bun_tcp_socket_ready_state(cli.s), cli_state);
  CHECK(bun_tcp_socket_tls_version(cli.s) == NULL);
  CHECK_EQ(bun_tcp_socket_buffered_amount(cli.s), 0);
  if (how == WRITE_SIDE_END) {
    CHECK_RC(bun_tcp_socket_upgrade_tls(srv_s, &server_tls.o, &tls_h, true), BUN_TCP_EINVAL);
    CHECK_EQ(bun_tcp_socket_ready_state(srv_s), srv_state);
    CHECK(bun_tcp_socket_tls_version(srv_s) == NULL);
    CHECK_EQ(bun_tcp_socket_buffered_amount(srv_s), 0);
  } else {
    /* the server did not end: it still answers, in plain text */
    CHECK_EQ(bun_tcp_socket_write(srv_s, (const uint8_t *)"plain", 5), 5);
  }

  /* without allow_half_open the server ends its side when the client's FIN arrives */
  RUN_UNTIL(loop, cli.n_close == 1 && sv.socks[0].n_close == 1);
  CHECK_EQ(run_for(loop, 20), 0);
  /* no handshake, and no ClientHello byte reached the server */
  CHECK_TRACE(&cli.tr, how == WRITE_SIDE_END ? "open,end,close" : "open,data:plain,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,end,close");
  CHECK_EQ(cli.n_handshake + sv.socks[0].n_handshake, 0);
  CHECK_EQ(sv.n_accepted, 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_EQ(run_for(loop, 10), 0);
  free_loop_empty(loop);
  rec_free(&cli);
  srv_free(&sv);
}

/* upgrade_tls with a NULL item pointer, on an open plain socket: refused, the socket stays plain */
static void case_null_item_upgrade(tls_item item) {
  char expected[64];
  snprintf(expected, sizeof expected, "%s[0].ptr is NULL but its len is not 0", item_names[item]);
  bun_tcp_loop *loop = new_loop();
  tls_cfg c;
  cfg_with_null_item(&c, item);
  srv_t sv;
  srv_init(&sv);
  rec_t cli;
  rec_init(&cli);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_handlers tls_h = rec_tls_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  connect_rec(loop, bun_tcp_listener_port(l), &cli, &h, false);
  RUN_UNTIL(loop, cli.n_open == 1 && sv.n_accepted == 1);
  CHECK_RC(bun_tcp_socket_upgrade_tls(cli.s, &c.o, &tls_h, false), BUN_TCP_EINVAL);
  check_message_has(expected);
  CHECK_RC(bun_tcp_socket_upgrade_tls(sv.socks[0].s, &c.o, &tls_h, true), BUN_TCP_EINVAL);
  check_message_has(expected);
  CHECK(bun_tcp_socket_tls_version(cli.s) == NULL);
  CHECK_EQ(bun_tcp_socket_ready_state(cli.s), BUN_TCP_STATE_OPEN);
  /* still plain: bytes go through as they are */
  CHECK_EQ(bun_tcp_socket_write(cli.s, (const uint8_t *)"ok", 2), 2);
  RUN_UNTIL(loop, sv.socks[0].bytes_in == 2);
  CHECK_OK(bun_tcp_socket_end(cli.s, NULL, 0));
  RUN_UNTIL(loop, cli.n_close == 1 && sv.socks[0].n_close == 1);
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_TRACE(&cli.tr, "open,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ok,end,close");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_EQ(run_for(loop, 10), 0);
  free_loop_empty(loop);
  rec_free(&cli);
  srv_free(&sv);
}

/* ---- set_no_delay / set_keep_alive while connecting --------------------------------------------- */

static int sockopt_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  if (getsockopt(fd, level, name, &v, &len) != 0) FAIL("getsockopt: %s", strerror(errno));
  return v;
}

/* Results that differ from the header, listed at the end (after every other case ran). */
static char g_defects[2048];

typedef enum { TARGET_IP_LITERAL, TARGET_HOST_NAME } connect_target;

static void case_options_while_connecting(connect_target target) {
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cli;
  rec_init(&cli);
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_srv(loop, &sv, &h, false);
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  /* "localhost" resolves on a resolver thread: its answer reaches the socket in a later poll */
  o.hostname = target == TARGET_IP_LITERAL ? "127.0.0.1" : "localhost";
  o.port = (uint16_t)bun_tcp_listener_port(l);
  o.data = &cli;
  CHECK_OK(bun_tcp_connect(loop, &o, &h, &cli.s));
  CHECK_EQ(bun_tcp_socket_ready_state(cli.s), BUN_TCP_STATE_CONNECTING);

  if (target == TARGET_IP_LITERAL) {
    CHECK_OK(bun_tcp_socket_set_no_delay(cli.s, false));
    CHECK_OK(bun_tcp_socket_set_keep_alive(cli.s, true, 7000));
    /* the attempt in flight has them at once */
    int attempt_fd = bun_tcp_socket_fd(cli.s);
    CHECK_CMP(attempt_fd, >=, 0);
    CHECK_EQ(sockopt_int(attempt_fd, IPPROTO_TCP, TCP_NODELAY), 0);
    CHECK_EQ(sockopt_int(attempt_fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    CHECK_EQ(sockopt_int(attempt_fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);
    /* the attempt's descriptor is bound: a local port */
    CHECK_CMP(bun_tcp_socket_local_port(cli.s), >, 0);
  } else {
    CHECK_RC(bun_tcp_socket_set_no_delay(cli.s, false), -ENOTCONN);
    CHECK_RC(bun_tcp_socket_set_keep_alive(cli.s, true, 7000), -ENOTCONN);
    /* a delay over the kernel's limit is refused first: the arguments are checked before anything */
    CHECK_RC(bun_tcp_socket_set_keep_alive(cli.s, true, UINT32_MAX), BUN_TCP_EINVAL);
    /* the other calls that need the descriptor say the same */
    CHECK_RC(bun_tcp_socket_fd(cli.s), -ENOTCONN);
    check_no_remote(cli.s);
    check_no_local(cli.s);
  }
  CHECK_EQ(bun_tcp_socket_ready_state(cli.s), BUN_TCP_STATE_CONNECTING);
  CHECK_EQ(cli.total_calls, 0);

  RUN_UNTIL(loop, cli.n_open == 1 && sv.n_accepted == 1);
  int fd = bun_tcp_socket_fd(cli.s);
  CHECK_CMP(fd, >=, 0);
  if (target == TARGET_IP_LITERAL) {
    /* the options went to the attempt in flight, which is the one that connected (one address):
     * they are still set once it is open */
    int no_delay_after_open = sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY);
    if (no_delay_after_open != 0) {
      snprintf(g_defects + strlen(g_defects), sizeof g_defects - strlen(g_defects),
               "  set_no_delay(s, false) while connecting to an IP literal returned 0 and set the "
               "attempt's TCP_NODELAY to 0, but after open the descriptor has TCP_NODELAY %d "
               "(the header: it applies to the current attempt's descriptor)\n",
               no_delay_after_open);
    }
    CHECK_EQ(sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    CHECK_EQ(sockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);
  } else {
    /* refused calls changed nothing: the defaults (TCP_NODELAY on, no keep-alive) */
    CHECK_EQ(sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    CHECK_EQ(sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  }
  CHECK_OK(bun_tcp_socket_end(cli.s, NULL, 0));
  RUN_UNTIL(loop, cli.n_close == 1 && sv.socks[0].n_close == 1);
  CHECK_EQ(run_for(loop, 20), 0);
  CHECK_TRACE(&cli.tr, "open,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,end,close");
  CHECK_EQ(cli.n_connect_error, 0);
  CHECK_EQ(sv.n_accepted, 1);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  CHECK_EQ(run_for(loop, 10), 0);
  free_loop_empty(loop);
  rec_free(&cli);
  srv_free(&sv);
}

int main(void) {
  test_init("test_tls_bad_input_extras", 60);
  (void)tls_pem("server.crt"); /* read the fixtures before the descriptor baseline */
  (void)tls_pem("server.key");
  (void)tls_pem("ca.crt");
  int fds_before = count_open_fds();

  for (tls_item item = ITEM_KEY; item <= ITEM_CA; item++) {
    test_case(item == ITEM_KEY ? "listen: key[0].ptr NULL, len 5"
              : item == ITEM_CERT ? "listen: cert[0].ptr NULL, len 5"
                                  : "listen: ca[0].ptr NULL, len 5");
    case_null_item_listen(item);
    test_case(item == ITEM_KEY ? "connect: key[0].ptr NULL, len 5"
              : item == ITEM_CERT ? "connect: cert[0].ptr NULL, len 5"
                                  : "connect: ca[0].ptr NULL, len 5");
    case_null_item_connect(item);
    test_case(item == ITEM_KEY ? "upgrade_tls: key[0].ptr NULL, len 5"
              : item == ITEM_CERT ? "upgrade_tls: cert[0].ptr NULL, len 5"
                                  : "upgrade_tls: ca[0].ptr NULL, len 5");
    case_null_item_upgrade(item);
  }

  test_case("listen on a stale unix socket file");
  case_stale_unix_path();

  test_case("remote_address / remote_port of unix-domain sockets");
  case_unix_remote_address();

  test_case("upgrade_tls after end (client and server)");
  case_upgrade_after(WRITE_SIDE_END);
  test_case("upgrade_tls after shutdown (client)");
  case_upgrade_after(WRITE_SIDE_SHUTDOWN);

  test_case("set_no_delay / set_keep_alive while connecting to an IP literal");
  case_options_while_connecting(TARGET_IP_LITERAL);
  test_case("set_no_delay / set_keep_alive while the host name resolves");
  case_options_while_connecting(TARGET_HOST_NAME);

  CHECK_EQ(count_open_fds(), fds_before);
  tls_fixtures_free();
  if (g_defects[0]) FAIL("results that differ from include/bun_tcp.h:\n%s", g_defects);
  return test_pass();
}
