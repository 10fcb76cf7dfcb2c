/* Hostile TLS peers at the byte level (issue 12, the hunt). A bun_tcp TLS client talks to a bun_tcp
 * TLS server through a relay in this test, which can pass bytes one at a time, corrupt them or
 * inject its own:
 *   1. every record split at every byte boundary (one byte per loop iteration, both ways, the whole
 *      handshake, the data and the close_notify), TLS 1.2 and 1.3: the traces are those of an
 *      unsplit exchange;
 *   2. a fatal alert mid-stream: one flipped ciphertext byte makes the server fail the record and
 *      send an alert; the server reports a protocol error, the client the alert, each closes once
 *      ("open,error:E,close_err:E", as for every TLS failure);
 *   3. close_notify, then more bytes from the same peer (a replayed record) in the same segment:
 *      no `data` after `end`, close once, no error for bytes past the end of the TLS stream;
 *   4. STARTTLS through the same 1-byte relay: the upgrade inside `data`, on both sides. */
#include "harness.h"

typedef struct relay {
  int cfd, sfd;           /* client side, server side */
  bool up_eof, down_eof;  /* FIN passed on */
  bool up_reset, down_reset;
  size_t up_bytes;        /* client -> server bytes passed so far */
  long flip_at;           /* flip the byte at this client->server offset (-1: never) */
} relay_t;

/* moves up to `max` bytes from `from` to `to`; returns whether anything happened */
static bool move(int from, int to, size_t max, bool *eof, bool *reset, relay_t *r, bool up) {
  if (*eof || *reset) return false;
  uint8_t buf[65536];
  if (max > sizeof buf) max = sizeof buf;
  ssize_t n = read(from, buf, max);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  if (n < 0) {
    *reset = true;
    raw_reset(to);
    return true;
  }
  if (n == 0) {
    *eof = true;
    shutdown(to, SHUT_WR);
    return true;
  }
  if (up) {
    if (r->flip_at >= 0 && (size_t)r->flip_at >= r->up_bytes && (size_t)r->flip_at < r->up_bytes + (size_t)n)
      buf[r->flip_at - (long)r->up_bytes] ^= 0x5a;
    r->up_bytes += (size_t)n;
  }
  size_t off = 0;
  double dl = now_ms() + 5000;
  while (off < (size_t)n) {
    ssize_t w = write(to, buf + off, (size_t)n - off);
    if (w > 0) off += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true; /* the other side is gone */
    if (now_ms() > dl) FAIL("relay: write stalled");
  }
  return true;
}

static bool pump(relay_t *r, size_t max) {
  bool a = move(r->cfd, r->sfd, max, &r->up_eof, &r->up_reset, r, true);
  bool b = move(r->sfd, r->cfd, max, &r->down_eof, &r->down_reset, r, false);
  return a || b;
}

static bun_tcp_loop *loop;
static srv_t sv;
static rec_t cr;
static relay_t rl;
static bun_tcp_listener server_l;
static tls_cfg server_cfg, client_cfg;
static int relay_lfd;

static void srv_echo_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write_all(s, b, n), (int64_t)n);
}

static void cli_open_ping(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_write_all(s, (const uint8_t *)"ping", 4), 4);
}

static void cli_data_end(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->bytes_in == 4) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}

static void setup(uint16_t version, bun_tcp_handlers ch) {
  loop = new_loop();
  srv_init(&sv);
  rec_init(&cr);
  memset(&rl, 0, sizeof rl);
  rl.flip_at = -1;
  tls_cfg_server(&server_cfg);
  server_cfg.o.min_version = server_cfg.o.max_version = version;
  tls_cfg_client(&client_cfg);
  bun_tcp_handlers sh = rec_handlers();
  sh.data = srv_echo_data;
  server_l = listen_tls_srv(loop, &sv, &sh, &server_cfg.o, NULL);
  uint16_t relay_port;
  relay_lfd = raw_tcp_bound(true, &relay_port);
  connect_tls_rec(loop, NULL, relay_port, &cr, &ch, &client_cfg.o);
  rl.cfd = raw_accept_polling(loop, relay_lfd);
  rl.sfd = raw_tcp_connect(bun_tcp_listener_port(server_l));
  set_nonblock(rl.cfd);
  set_nonblock(rl.sfd);
  int one = 1;
  setsockopt(rl.cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(rl.sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void teardown(void) {
  close(rl.cfd);
  close(rl.sfd);
  close(relay_lfd);
  CHECK_OK(bun_tcp_listener_stop(server_l, true));
  CHECK_EQ(bun_tcp_run(loop), 0);
  poll_ok(loop, 0);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

/* relays `max` bytes at a time, polling the loop after every step, until `cond` */
#define RELAY_UNTIL(max, cond)                                                                     \
  do {                                                                                             \
    double _dl = now_ms() + 20000 * harness_time_scale();                                          \
    while (!(cond)) {                                                                              \
      if (now_ms() > _dl)                                                                          \
        FAIL("relay: %s not reached; client \"%s\", server \"%s\"", #cond, cr.tr.buf,              \
             sv.n_accepted ? sv.socks[0].tr.buf : "(not accepted)");                               \
      bool _moved = pump(&rl, (max));                                                              \
      poll_ok(loop, _moved ? 0 : 2);                                                               \
    }                                                                                              \
  } while (0)

static void split_everywhere(uint16_t version, const char *name) {
  test_case(name);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open_ping;
  ch.data = cli_data_end;
  setup(version, ch);
  RELAY_UNTIL(1, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1 && rl.up_eof && rl.down_eof);
  printf("    %zu bytes client->server, one per loop iteration\n", rl.up_bytes);
  CHECK_TRACE(&cr.tr, "open,data:ping,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:ping,end,close");
  check_closed_once(&cr, "client");
  check_closed_once(&sv.socks[0], "server socket");
  teardown();
}

static size_t handshake_bytes_up; /* client -> server bytes of a whole handshake + "ping" */

static void cli_open_quiet(bun_tcp_socket s, void *d) { rec_on_open(s, d); }

static void alert_mid_stream(uint16_t version, const char *name) {
  test_case(name);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open_quiet;
  setup(version, ch);
  RELAY_UNTIL(65536, cr.n_open == 1 && sv.n_accepted == 1 && sv.socks[0].n_open == 1);
  /* settle: nothing else in flight (TLS 1.3 tickets) */
  for (int i = 0; i < 20; i++) {
    pump(&rl, 65536);
    poll_ok(loop, 2);
  }
  handshake_bytes_up = rl.up_bytes;
  /* the next record (header 5 bytes, then ciphertext): flip a ciphertext byte */
  rl.flip_at = (long)handshake_bytes_up + 5 + 2;
  CHECK_EQ(bun_tcp_socket_write(cr.s, (const uint8_t *)"hello", 5), 5);
  RELAY_UNTIL(65536, cr.n_close == 1 && sv.socks[0].n_close == 1);
  printf("    client \"%s\", server \"%s\"\n", cr.tr.buf, sv.socks[0].tr.buf);
  /* the server could not decrypt: error (protocol), then close; no data */
  CHECK_EQ(sv.socks[0].n_data, 0);
  CHECK_EQ(sv.socks[0].n_error, 1);
  CHECK_RC(sv.socks[0].error_code, BUN_TCP_ETLS_PROTOCOL);
  /* the client got the server's fatal alert */
  CHECK_EQ(cr.n_data, 0);
  CHECK_TRACE(&cr.tr, "open,error:ERR_TLS_ALERT_RECEIVED,close_err:ERR_TLS_ALERT_RECEIVED");
  CHECK_TRACE(&sv.socks[0].tr, "open,error:ERR_SSL_PROTOCOL,close_err:ERR_SSL_PROTOCOL");
  check_closed_once(&cr, "client");
  check_closed_once(&sv.socks[0], "server socket");
  teardown();
}

static void records_after_close_notify(uint16_t version, const char *name) {
  test_case(name);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open_quiet;
  setup(version, ch);
  /* half-open server: the client's close_notify must not close it before we inject */
  RELAY_UNTIL(65536, cr.n_open == 1 && sv.n_accepted == 1 && sv.socks[0].n_open == 1);
  for (int i = 0; i < 20; i++) {
    pump(&rl, 65536);
    poll_ok(loop, 2);
  }
  /* capture one real application-data record from the client, hold it back */
  CHECK_EQ(bun_tcp_socket_write(cr.s, (const uint8_t *)"late", 4), 4);
  uint8_t rec[1024];
  ssize_t rn = -1;
  double dl = now_ms() + 5000;
  while (rn <= 0 && now_ms() < dl) {
    rn = read(rl.cfd, rec, sizeof rec);
    if (rn <= 0) poll_ok(loop, 2);
  }
  CHECK(rn > 5);
  /* the client's close_notify (end), passed on, then the held record after it, then FIN */
  CHECK_EQ(bun_tcp_socket_end(cr.s, NULL, 0), 0);
  uint8_t cn[1024];
  ssize_t cnn = -1;
  dl = now_ms() + 5000;
  while (cnn <= 0 && now_ms() < dl) {
    cnn = read(rl.cfd, cn, sizeof cn);
    if (cnn <= 0) poll_ok(loop, 2);
  }
  CHECK(cnn > 0);
  /* one segment: the record, the close_notify, then the record again (a replay: the peer keeps
   * sending after its close_notify) */
  uint8_t all[4096];
  size_t len = 0;
  memcpy(all + len, rec, (size_t)rn), len += (size_t)rn;
  memcpy(all + len, cn, (size_t)cnn), len += (size_t)cnn;
  memcpy(all + len, rec, (size_t)rn), len += (size_t)rn;
  CHECK_EQ(write(rl.sfd, all, len), (long long)len);
  RELAY_UNTIL(65536, sv.socks[0].n_close == 1 && cr.n_close == 1);
  printf("    client \"%s\", server \"%s\"\n", cr.tr.buf, sv.socks[0].tr.buf);
  /* "late" once (the replay after close_notify is never delivered), then end, then close */
  CHECK_TRACE(&sv.socks[0].tr, "open,data:late,end,close");
  check_closed_once(&cr, "client");
  check_closed_once(&sv.socks[0], "server socket");
  teardown();
}

/* STARTTLS through the 1-byte relay: the plaintext command and answer arrive a byte at a time, the
 * upgrade happens inside `data`, then the handshake and "secret" go one byte per iteration too. */
static bytebuf_t st_srv_plain, st_cli_plain;
static bool st_srv_upgraded, st_cli_upgraded;
static bun_tcp_handlers st_srv_tls_h, st_cli_tls_h;

static void st_srv_tls_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write_all(s, b, n), (int64_t)n);
}
static void st_srv_plain_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK(!st_srv_upgraded);
  bytebuf_append(&st_srv_plain, b, n);
  if (st_srv_plain.len == 10 && memcmp(st_srv_plain.ptr, "STARTTLS\r\n", 10) == 0) {
    CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"GO\r\n", 4), 4);
    CHECK_OK(bun_tcp_socket_upgrade_tls(s, &server_cfg.o, &st_srv_tls_h, true));
    st_srv_upgraded = true;
  }
}
static void st_cli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  if (ok) CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"secret", 6), 6);
}
static void st_cli_tls_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  rec_t *r = (rec_t *)d;
  if (r->in.len == 4 + 6) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void st_cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"STARTTLS\r\n", 10), 10);
}
static void st_cli_plain_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK(!st_cli_upgraded);
  bytebuf_append(&st_cli_plain, b, n);
  if (st_cli_plain.len == 4 && memcmp(st_cli_plain.ptr, "GO\r\n", 4) == 0) {
    CHECK_OK(bun_tcp_socket_upgrade_tls(s, &client_cfg.o, &st_cli_tls_h, false));
    st_cli_upgraded = true;
  }
}

static void starttls_split_everywhere(void) {
  test_case("STARTTLS: command, answer, handshake and data one byte per iteration");
  memset(&st_srv_plain, 0, sizeof st_srv_plain);
  memset(&st_cli_plain, 0, sizeof st_cli_plain);
  st_srv_upgraded = st_cli_upgraded = false;
  loop = new_loop();
  srv_init(&sv);
  rec_init(&cr);
  memset(&rl, 0, sizeof rl);
  rl.flip_at = -1;
  tls_cfg_server(&server_cfg);
  tls_cfg_client(&client_cfg);
  client_cfg.o.server_name = "localhost";
  st_srv_tls_h = rec_tls_handlers();
  st_srv_tls_h.data = st_srv_tls_data;
  st_cli_tls_h = rec_tls_handlers();
  st_cli_tls_h.handshake = st_cli_handshake;
  st_cli_tls_h.data = st_cli_tls_data;
  bun_tcp_handlers sh = rec_handlers();
  sh.data = st_srv_plain_data;
  server_l = listen_srv(loop, &sv, &sh, false);
  uint16_t relay_port;
  relay_lfd = raw_tcp_bound(true, &relay_port);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = st_cli_open;
  ch.data = st_cli_plain_data;
  connect_rec(loop, relay_port, &cr, &ch, false);
  rl.cfd = raw_accept_polling(loop, relay_lfd);
  rl.sfd = raw_tcp_connect(bun_tcp_listener_port(server_l));
  set_nonblock(rl.cfd);
  set_nonblock(rl.sfd);
  int one = 1;
  setsockopt(rl.cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(rl.sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  RELAY_UNTIL(1, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1 && rl.up_eof && rl.down_eof);
  printf("    %zu bytes client->server; client %d data calls, server %d\n", rl.up_bytes, cr.n_data,
         sv.socks[0].n_data);
  /* plaintext a byte at a time, then the TLS plaintext whole (one record) */
  CHECK_EQ(cr.in.len, 10);
  CHECK(memcmp(cr.in.ptr, "GO\r\nsecret", 10) == 0);
  CHECK_EQ(sv.socks[0].in.len, 16);
  CHECK(memcmp(sv.socks[0].in.ptr, "STARTTLS\r\nsecret", 16) == 0);
  CHECK_EQ(cr.n_handshake, 1);
  CHECK_EQ(cr.hs_success, 1);
  CHECK_EQ(sv.socks[0].n_handshake, 1);
  CHECK_EQ(sv.socks[0].hs_success, 1);
  CHECK_EQ(cr.n_error + sv.socks[0].n_error, 0);
  CHECK_EQ(cr.n_end, 1);
  CHECK_EQ(sv.socks[0].n_end, 1);
  check_closed_once(&cr, "client");
  check_closed_once(&sv.socks[0], "server socket");
  bytebuf_free(&st_srv_plain);
  bytebuf_free(&st_cli_plain);
  teardown();
}

int main(void) {
  test_init("tls_hostile_bytes", 120);
  int base_fds = count_open_fds();
  split_everywhere(BUN_TCP_TLS1_3, "TLS 1.3: every record split at every byte");
  split_everywhere(BUN_TCP_TLS1_2, "TLS 1.2: every record split at every byte");
  alert_mid_stream(BUN_TCP_TLS1_3, "TLS 1.3: a corrupted record, a fatal alert mid-stream");
  alert_mid_stream(BUN_TCP_TLS1_2, "TLS 1.2: a corrupted record, a fatal alert mid-stream");
  records_after_close_notify(BUN_TCP_TLS1_3, "TLS 1.3: a record after close_notify");
  records_after_close_notify(BUN_TCP_TLS1_2, "TLS 1.2: a record after close_notify");
  starttls_split_everywhere();
  tls_fixtures_free();
  CHECK_EQ(count_open_fds(), base_fds);
  return test_pass();
}
