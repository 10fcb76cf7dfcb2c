/* the header: TLS: "end sends close_notify" (and close does, best effort; terminate does not).
 *
 * A raw TCP relay sits between a TLS client and a TLS server (both bun_tcp, same loop) and parses
 * the TLS records in each direction until FIN. Checks:
 *   - TLS 1.2, client end(): the client's last record before its FIN is an alert record (content
 *     type 21, encrypted: 26 bytes); the server sees "open,end,close" and, answering with its own
 *     end, sends an alert record before its FIN too; the client sees "open,end,close";
 *   - TLS 1.3, client end(): the last record is application_data of 19 bytes (an encrypted
 *     2-byte alert + inner type + 16-byte tag), then FIN;
 *   - TLS 1.2, client close(): an alert record, then FIN;
 *   - TLS 1.2, client terminate(): no alert record; the relay sees a reset (or EOF) right after
 *     the handshake records.
 */
#include "harness.h"

typedef struct dir {
  int from, to;
  uint8_t hdr[5];
  size_t hdr_fill;
  size_t body_left;
  int records;
  int last_type;
  size_t last_len;
  bool eof, reset;
  struct dir *other;
} dir_t;

static void parse(dir_t *d, const uint8_t *p, size_t n) {
  while (n) {
    if (d->body_left) {
      size_t k = n < d->body_left ? n : d->body_left;
      d->body_left -= k;
      p += k;
      n -= k;
      continue;
    }
    d->hdr[d->hdr_fill++] = *p++;
    n--;
    if (d->hdr_fill == 5) {
      d->hdr_fill = 0;
      d->records++;
      d->last_type = d->hdr[0];
      d->last_len = (size_t)d->hdr[3] << 8 | d->hdr[4];
      d->body_left = d->last_len;
    }
  }
}

static bool g_relay_closed;

/* moves what is readable from d->from to d->to; true if anything happened */
static bool relay(dir_t *d) {
  if (d->eof || d->reset) return false;
  uint8_t buf[16384];
  ssize_t n = raw_read(d->from, buf, sizeof buf, true);
  if (n == -1) return false;
  if (n == -2) {
    /* pass the reset on; the relay is over in both directions */
    d->reset = true;
    d->other->reset = true;
    raw_reset(d->to);
    close(d->from);
    g_relay_closed = true;
    return true;
  }
  if (n == 0) {
    d->eof = true;
    shutdown(d->to, SHUT_WR);
    return true;
  }
  parse(d, buf, (size_t)n);
  raw_send_all(d->to, buf, (size_t)n);
  return true;
}

typedef enum { BY_END, BY_CLOSE, BY_TERMINATE } how_t;
static how_t g_how;

static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  if (g_how == BY_END) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
  if (g_how == BY_CLOSE) CHECK_OK(bun_tcp_socket_close(s));
  if (g_how == BY_TERMINATE) CHECK_OK(bun_tcp_socket_terminate(s));
}

static void run(const char *name, uint16_t version, how_t how) {
  test_case(name);
  g_how = how;
  g_relay_closed = false;
  tls_cfg server, client;
  tls_cfg_server(&server);
  server.o.min_version = server.o.max_version = version;
  tls_cfg_client(&client);
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers sh = rec_handlers();
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, &server.o, NULL);
  uint16_t relay_port;
  int lfd = raw_tcp_bound(true, &relay_port);
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  connect_tls_rec(loop, NULL, relay_port, &cr, &ch, &client.o);
  int cfd = raw_accept_polling(loop, lfd);
  int sfd = raw_tcp_connect(bun_tcp_listener_port(l));
  set_nonblock(cfd);
  set_nonblock(sfd);
  dir_t up = {.from = cfd, .to = sfd}, down = {.from = sfd, .to = cfd};
  up.other = &down;
  down.other = &up;
  double deadline = now_ms() + DEFAULT_WAIT_MS * harness_time_scale();
  for (;;) {
    bool srv_closed = sv.n_accepted == 1 && sv.socks[0].n_close == 1;
    bool done;
    if (how == BY_END) /* both directions end with FIN, both sockets closed */
      done = up.eof && down.eof && cr.n_close == 1 && srv_closed;
    else if (how == BY_CLOSE) /* the client's FIN has arrived; the server closed */
      done = up.eof && cr.n_close == 1 && srv_closed;
    else /* the client's reset was passed on; the server closed */
      done = up.reset && cr.n_close == 1 && srv_closed;
    if (done) break;
    if (now_ms() > deadline)
      FAIL("relay did not finish: up eof %d reset %d, down eof %d reset %d; client \"%s\", "
           "server \"%s\"", up.eof, up.reset, down.eof, down.reset, cr.tr.buf, sv.socks[0].tr.buf);
    bool moved = relay(&up);
    moved |= relay(&down);
    if (!moved) poll_ok(loop, 5);
  }
  run_for(loop, 30);
  printf("    client->server: %d records, last type %d len %zu, %s\n", up.records, up.last_type,
         up.last_len, up.reset ? "reset" : "FIN");
  printf("    server->client: %d records, last type %d len %zu, %s\n", down.records,
         down.last_type, down.last_len, down.reset ? "reset" : down.eof ? "FIN" : "open");
  if (how == BY_TERMINATE) {
    CHECK(up.reset);
    CHECK(up.last_type != 21);
    CHECK(!(up.last_type == 23 && up.last_len == 19));
  } else if (version == BUN_TCP_TLS1_2) {
    CHECK_EQ(up.last_type, 21);
    CHECK_EQ(up.last_len, 26); /* 8 explicit nonce + 2 alert bytes + 16 tag (AES-GCM) */
    CHECK(up.eof);
  } else {
    CHECK_EQ(up.last_type, 23);
    CHECK_EQ(up.last_len, 19);
    CHECK(up.eof);
  }
  if (how == BY_END) {
    CHECK_TRACE(&cr.tr, "open,end,close");
    CHECK_TRACE(&sv.socks[0].tr, "open,end,close");
    CHECK(down.eof);
    CHECK_EQ(down.last_type, version == BUN_TCP_TLS1_2 ? 21 : 23);
  } else {
    CHECK_TRACE(&cr.tr, "open,close");
    printf("    server: %s\n", sv.socks[0].tr.buf);
  }
  if (!g_relay_closed) {
    close(cfd);
    close(sfd);
  }
  close(lfd);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_close_notify", 60);
  run("TLS 1.2: end sends close_notify, the reply too", BUN_TCP_TLS1_2, BY_END);
  run("TLS 1.3: end sends close_notify", BUN_TCP_TLS1_3, BY_END);
  run("TLS 1.2: close sends close_notify", BUN_TCP_TLS1_2, BY_CLOSE);
  run("TLS 1.2: terminate does not", BUN_TCP_TLS1_2, BY_TERMINATE);
  tls_fixtures_free();
  return test_pass();
}
