/* Re-entrancy matrix (issue 12, the hunt). From inside each handler of a socket A (open, data,
 * drain, end, close, error, timeout, connect_error, handshake, and close run by bun_tcp_loop_free),
 * in four modes (A a plain client, a plain accepted socket, a TLS client, a TLS accepted socket),
 * call each state-changing function once,
 * on (a) A itself, (b) another live socket B, (c) the listener L that accepted B, or the loop:
 * write, write_all, end, shutdown (read / write), close, terminate, pause, resume, reload (another
 * table), set_data, timeout, cork + write + uncork, flush, detach, upgrade_tls, listener_stop
 * (true / false), listener_reload, connect (a new socket), listen (a new listener), loop_free, poll
 * and run (EBUSY). The cells come from the tables below (handler x action x target).
 *
 * A's peer is a raw socket the test drives byte by byte (so every handler can be provoked on
 * demand; in TLS modes the peer is a bun_tcp TLS socket); B is connected to a bun_tcp listener L;
 * "the listener" is A's own listener when A was accepted, else L. MATRIX_ONLY_MODE ("tls client"),
 * MATRIX_ONLY_HANDLER ("data") and MATRIX_VERBOSE=1 help with one failing cell. After each cell the
 * contract invariants are
 * checked, and every failing cell is printed with what broke:
 *   - every connect ends in exactly one of open / connect_error;
 *   - close exactly once, last, for every socket that opened (detached ones: nothing after detach);
 *   - no handler after close; no `data` after pause / shutdown(read) / close / terminate / detach
 *     (not even later in the same read: the peer sends 256 KiB in one go);
 *   - poll and run from a handler return BUN_TCP_EBUSY;
 *   - TLS: a handshake in flight when `open` acted still ends (unless A was paused);
 *   - stale handles are refused afterwards (BUN_TCP_ECLOSED), also after loop_free;
 *   - the loop winds down (bun_tcp_run returns), loop_socket_count is 0 and open descriptors are
 *     back to the baseline. */
#include "harness.h"

/* ------------------------------------------------------------------------------------------------ */
/* the tables                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

typedef enum {
  H_OPEN, H_DATA, H_DRAIN, H_END, H_CLOSE, H_ERROR, H_TIMEOUT, H_CONNECT_ERROR, H_HANDSHAKE,
  H_CLOSE_IN_FREE, /* close, run by bun_tcp_loop_free called from outside any handler */
  H_COUNT
} hkind;
static const char *const handler_names[H_COUNT] = {"open",    "data",          "drain",     "end",
                                                   "close",   "error",         "timeout",   "connect_error",
                                                   "handshake", "close_in_loop_free"};

/* Who A is, and who its peer is (driven by the test to provoke each handler). */
typedef enum {
  M_PLAIN_CLIENT, /* A: bun_tcp client; peer: a raw accepted socket */
  M_PLAIN_SERVER, /* A: accepted by L (shared table); peer: a raw client */
  M_TLS_CLIENT,   /* A: TLS client with a handshake handler; peer: accepted by the TLS listener */
  M_TLS_SERVER,   /* A: accepted by the TLS listener; peer: a bun_tcp TLS client */
  M_COUNT
} mode;
static const char *const mode_names[M_COUNT] = {"plain client", "plain server", "tls client", "tls server"};
static bool mode_is_tls(mode m) { return m == M_TLS_CLIENT || m == M_TLS_SERVER; }
static bool mode_is_server(mode m) { return m == M_PLAIN_SERVER || m == M_TLS_SERVER; }
static bool cell_applies(mode m, hkind h) {
  if (h == H_HANDSHAKE) return mode_is_tls(m);
  if (h == H_CONNECT_ERROR) return !mode_is_server(m);
  return true;
}

typedef enum { T_SELF, T_OTHER, T_LOOP } target;
static const char *const target_names[] = {"self", "other", "loop"};

typedef enum {
  A_WRITE, A_WRITE_ALL, A_END, A_SHUTDOWN_READ, A_SHUTDOWN_WRITE, A_CLOSE, A_TERMINATE, A_PAUSE,
  A_RESUME, A_RELOAD, A_SET_DATA, A_TIMEOUT, A_CORK_UNCORK, A_FLUSH, A_DETACH, A_UPGRADE_TLS,
  A_CHAIN_CLOSE, /* close the target; its close handler (nested) terminates the other one */
  /* on the listener or the loop: */
  A_LISTENER_STOP_CLOSE, A_LISTENER_STOP_KEEP, A_LISTENER_RELOAD, A_CONNECT, A_LISTEN, A_POLL, A_RUN,
  A_LOOP_FREE,
  A_CONNECT_LISTEN_FREE, /* a new connect and a new listener, then loop_free, in one handler */
  A_COUNT
} action;
static const char *const action_names[A_COUNT] = {
    "write",          "write_all",          "end",          "shutdown_read", "shutdown_write",
    "close",          "terminate",          "pause",        "resume",        "reload",
    "set_data",       "timeout",            "cork_uncork",  "flush",         "detach",
    "upgrade_tls",    "chain_close",        "listener_stop_true", "listener_stop_false", "listener_reload",
    "connect",        "listen",             "poll",         "run",           "loop_free",
    "connect_listen_loop_free"};
#define FIRST_LOOP_ACTION A_LISTENER_STOP_CLOSE

/* ------------------------------------------------------------------------------------------------ */
/* per-socket records, found by handle id (user data is part of the matrix: set_data changes it)    */
/* ------------------------------------------------------------------------------------------------ */

#define MAX_SOCKS 16
typedef struct srec {
  uint64_t id;
  char who[16];
  trace_t tr;
  int n_open, n_close, n_connect_error, n_data, n_after_close, n_after_detach;
  bool is_client;   /* made by bun_tcp_connect: must end in open or connect_error */
  bool detached;
  bool no_data;     /* paused / read side shut / closed / detached: no more data */
  int data_violations;
  void *expect_data; /* the user data handlers must see */
  int data_mismatch;
} srec;

static srec recs[MAX_SOCKS];
static int n_recs;
static char problems[4096];

static void problem(const char *fmt, ...) {
  size_t used = strlen(problems);
  if (used + 2 >= sizeof problems) return;
  if (used) strcat(problems, "; ");
  used = strlen(problems);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(problems + used, sizeof problems - used, fmt, ap);
  va_end(ap);
}

static srec *rec_new(uint64_t id, const char *who, bool is_client, void *data) {
  if (n_recs >= MAX_SOCKS) FAIL("too many sockets in one cell");
  srec *r = &recs[n_recs++];
  memset(r, 0, sizeof *r);
  r->id = id;
  snprintf(r->who, sizeof r->who, "%s", who);
  trace_init(&r->tr);
  r->is_client = is_client;
  r->expect_data = data;
  return r;
}

static srec *rec_find(uint64_t id) {
  for (int i = 0; i < n_recs; i++)
    if (recs[i].id == id) return &recs[i];
  return NULL;
}

/* ------------------------------------------------------------------------------------------------ */
/* one cell                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

static bun_tcp_loop *loop;
static bool loop_freed;
static bool freeing; /* bun_tcp_loop_free, called by the test, is running */
static mode cell_mode;
static hkind cell_handler;
static action cell_action;
static target cell_target;
static bool acted;
static int64_t action_rc;
static bun_tcp_socket sock_a, sock_b, sock_new;
static bun_tcp_listener listener_l, listener_new, listener_tls;
static bun_tcp_listener listener_target; /* A's own listener for server modes, else L */
static bool next_accept_is_a;
static bun_tcp_socket sock_peer; /* A's bun_tcp peer in TLS modes */
static tls_cfg tls_server_cfg;
static bun_tcp_tls_options tls_client_opts, tls_client_strict;
static uint16_t port_l;
static srec *rec_a;
static int a_peer_fd = -1; /* the raw peer of A */
static uint8_t big[256 * 1024];
static int data_tag; /* set_data points here */

static bun_tcp_handlers table_main, table_alt, table_server;

static bun_tcp_socket chain_victim; /* terminated from the nested close of A_CHAIN_CLOSE */

static bool is_loop_action(action a) { return a >= FIRST_LOOP_ACTION; }

static void mark_no_data(bun_tcp_socket t) {
  srec *r = rec_find(t.id);
  if (r) r->no_data = true;
}

static void do_action(bun_tcp_socket self) {
  acted = true;
  bun_tcp_socket t = cell_target == T_SELF ? self : sock_b;
  int64_t rc = 0;
  switch (cell_action) {
    case A_WRITE: rc = bun_tcp_socket_write(t, (const uint8_t *)"w", 1); break;
    case A_WRITE_ALL: rc = bun_tcp_socket_write_all(t, big, 100000); break;
    case A_END: rc = bun_tcp_socket_end(t, (const uint8_t *)"e", 1); break;
    case A_SHUTDOWN_READ:
      rc = bun_tcp_socket_shutdown(t, true);
      if (rc == 0) mark_no_data(t);
      break;
    case A_SHUTDOWN_WRITE: rc = bun_tcp_socket_shutdown(t, false); break;
    case A_CLOSE:
      mark_no_data(t);
      rc = bun_tcp_socket_close(t);
      break;
    case A_TERMINATE:
      mark_no_data(t);
      rc = bun_tcp_socket_terminate(t);
      break;
    case A_PAUSE:
      rc = bun_tcp_socket_pause(t);
      if (rc == 0) mark_no_data(t);
      break;
    case A_RESUME: rc = bun_tcp_socket_resume(t); break;
    case A_RELOAD: rc = bun_tcp_socket_reload(t, &table_alt); break;
    case A_SET_DATA: {
      srec *r = rec_find(t.id);
      rc = bun_tcp_socket_set_data(t, &data_tag);
      if (rc == 0 && r) r->expect_data = &data_tag;
      break;
    }
    case A_TIMEOUT: rc = bun_tcp_socket_timeout_ms(t, 10); break;
    case A_CORK_UNCORK: {
      int32_t c = bun_tcp_socket_cork(t);
      int64_t w = bun_tcp_socket_write(t, (const uint8_t *)"c", 1);
      int32_t u = bun_tcp_socket_uncork(t);
      rc = c < 0 ? c : w < 0 ? w : u;
      break;
    }
    case A_FLUSH: rc = bun_tcp_socket_flush(t); break;
    case A_DETACH: {
      int32_t fd = -1;
      rc = bun_tcp_socket_detach(t, &fd);
      if (rc == 0) {
        srec *r = rec_find(t.id);
        if (r) r->detached = true, r->no_data = true;
        if (fd < 0) problem("detach returned 0 and fd %d", fd);
        else close(fd);
      }
      break;
    }
    case A_UPGRADE_TLS: {
      bun_tcp_tls_options tls;
      memset(&tls, 0, sizeof tls);
      tls.allow_unauthorized = true;
      rc = bun_tcp_socket_upgrade_tls(t, &tls, &table_main, false);
      break;
    }
    case A_CHAIN_CLOSE:
      /* self: close A, and in A's close, terminate B; other: close B, and in B's close,
       * terminate A (A's close then runs nested inside A's own handler) */
      chain_victim = cell_target == T_SELF ? sock_b : self;
      mark_no_data(t);
      mark_no_data(chain_victim);
      rc = bun_tcp_socket_close(t);
      break;
    case A_LISTENER_STOP_CLOSE: rc = bun_tcp_listener_stop(listener_target, true); break;
    case A_LISTENER_STOP_KEEP: rc = bun_tcp_listener_stop(listener_target, false); break;
    case A_LISTENER_RELOAD: rc = bun_tcp_listener_reload(listener_target, &table_alt); break;
    case A_CONNECT: {
      bun_tcp_connect_options o;
      memset(&o, 0, sizeof o);
      o.hostname = "127.0.0.1";
      o.port = port_l;
      rc = bun_tcp_connect(loop, &o, &table_main, &sock_new);
      if (rc == 0) rec_new(sock_new.id, "new", true, NULL);
      break;
    }
    case A_LISTEN: {
      bun_tcp_listen_options o;
      memset(&o, 0, sizeof o);
      o.hostname = "127.0.0.1";
      rc = bun_tcp_listen(loop, &o, &table_server, &listener_new);
      break;
    }
    case A_POLL:
      rc = bun_tcp_poll(loop, 0);
      if (rc != BUN_TCP_EBUSY && !(freeing && rc < 0))
        problem("poll inside a handler returned %lld, not EBUSY", (long long)rc);
      break;
    case A_RUN:
      rc = bun_tcp_run(loop);
      /* Like poll: EBUSY from a handler, a negative code (ECLOSED) while the loop is freed. */
      if (rc != BUN_TCP_EBUSY && !(freeing && rc < 0))
        problem("run inside a handler returned %lld, not EBUSY", (long long)rc);
      break;
    case A_LOOP_FREE:
      bun_tcp_loop_free(loop); /* while freeing: a nested free of the same loop */
      loop_freed = true;
      break;
    case A_CONNECT_LISTEN_FREE: {
      /* the new connect must end in connect_error (ECANCELED) from the free */
      bun_tcp_connect_options o;
      memset(&o, 0, sizeof o);
      o.hostname = "127.0.0.1";
      o.port = port_l;
      rc = bun_tcp_connect(loop, &o, &table_main, &sock_new);
      if (rc == 0) rec_new(sock_new.id, "new", true, NULL);
      bun_tcp_listen_options lo;
      memset(&lo, 0, sizeof lo);
      lo.hostname = "127.0.0.1";
      int32_t lrc = bun_tcp_listen(loop, &lo, &table_server, &listener_new);
      if (rc == 0) rc = lrc;
      bun_tcp_loop_free(loop);
      loop_freed = true;
      if (listener_new.id && bun_tcp_listener_port(listener_new) != 0) problem("the new listener survived loop_free");
      break;
    }
    case A_COUNT: break;
  }
  action_rc = rc;
}

/* common prologue of every handler: record, check the invariants, maybe act */
static srec *on_event(bun_tcp_socket s, void *data, hkind kind, const char *label) {
  srec *r = rec_find(s.id);
  if (!r) {
    /* an accepted socket of L (or of the new listener): recorded at its first event */
    r = rec_new(s.id, next_accept_is_a ? "A" : "accepted", false, data);
    if (next_accept_is_a) rec_a = r;
    next_accept_is_a = false;
    if (kind != H_OPEN) problem("accepted socket's first handler is %s, not open", label);
  }
  if (r->n_close || r->n_connect_error) {
    r->n_after_close++;
    problem("%s: %s after close/connect_error", r->who, label);
  }
  if (r->detached) {
    r->n_after_detach++;
    problem("%s: %s after detach", r->who, label);
  }
  if (data != r->expect_data) {
    r->data_mismatch++;
    problem("%s: %s got user data %p, expected %p", r->who, label, data, r->expect_data);
  }
  trace_add(&r->tr, "%s", label);
  if (r == rec_a && kind == cell_handler && !acted && !loop_freed) do_action(s);
  return r;
}

static void h_open(bun_tcp_socket s, void *d) { on_event(s, d, H_OPEN, "open")->n_open++; }
static void h_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  (void)b;
  (void)n;
  srec *r = rec_find(s.id);
  if (r && r->no_data) {
    r->data_violations++;
    problem("%s: data after pause/shutdown(read)/close", r->who);
  }
  on_event(s, d, H_DATA, "data")->n_data++;
}
static void h_drain(bun_tcp_socket s, void *d) { on_event(s, d, H_DRAIN, "drain"); }
static void h_end(bun_tcp_socket s, void *d) { on_event(s, d, H_END, "end"); }
static void h_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)e;
  srec *r = on_event(s, d, freeing ? H_CLOSE_IN_FREE : H_CLOSE, "close");
  if (chain_victim.id && chain_victim.id != s.id) {
    bun_tcp_socket v = chain_victim;
    chain_victim.id = 0;
    bun_tcp_socket_terminate(v);
  }
  r->n_close++;
  r->no_data = true;
}
static void h_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)e;
  on_event(s, d, H_ERROR, "error");
}
static void h_timeout(bun_tcp_socket s, void *d) { on_event(s, d, H_TIMEOUT, "timeout"); }
static void h_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)e;
  on_event(s, d, H_CONNECT_ERROR, "connect_error")->n_connect_error++;
}
static void h_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  (void)e;
  on_event(s, d, H_HANDSHAKE, ok ? "handshake" : "handshake_fail");
}

/* the "different table" of reload: same recorder, but no drain, end or timeout */
static void alt_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { h_data(s, d, b, n); }

static void init_tables(void) {
  memset(&table_main, 0, sizeof table_main);
  table_main.open = h_open;
  table_main.data = h_data;
  table_main.drain = h_drain;
  table_main.end = h_end;
  table_main.close = h_close;
  table_main.error = h_error;
  table_main.timeout = h_timeout;
  table_main.connect_error = h_connect_error;
  table_main.handshake = h_handshake;
  table_server = table_main;
  memset(&table_alt, 0, sizeof table_alt);
  table_alt.open = h_open;
  table_alt.data = alt_data;
  table_alt.close = h_close;
  table_alt.error = h_error;
  table_alt.connect_error = h_connect_error;
}

static bool poll_cell(int ms) {
  if (loop_freed) return false;
  int32_t rc = bun_tcp_poll(loop, ms);
  if (rc < 0) problem("bun_tcp_poll returned %d", rc);
  return !loop_freed;
}

/* polls until cond or 3 s; false if the loop was freed meanwhile */
#define CELL_UNTIL(cond)                                                                           \
  do {                                                                                             \
    double _dl = now_ms() + 3000 * harness_time_scale();                                           \
    while (!loop_freed && !(cond) && now_ms() < _dl) poll_cell(5);                                 \
  } while (0)

static bun_tcp_socket rec_a_handle(void) { return (bun_tcp_socket){rec_a ? rec_a->id : 0}; }

static bool a_finished(void) { return rec_a->n_close || rec_a->n_connect_error || rec_a->detached; }

/* A's peer: a raw descriptor (plain modes) or a bun_tcp socket (TLS modes). */
static void peer_send_big(void) {
  if (a_peer_fd >= 0) {
    if (write(a_peer_fd, big, sizeof big) < 0) FAIL("raw write");
  } else {
    bun_tcp_socket_write_all(sock_peer, big, sizeof big);
  }
}
static void peer_end(void) {
  if (a_peer_fd >= 0) shutdown(a_peer_fd, SHUT_WR);
  else bun_tcp_socket_end(sock_peer, NULL, 0);
}
static void peer_reset(void) {
  if (a_peer_fd >= 0) {
    raw_reset(a_peer_fd);
    a_peer_fd = -1;
  } else {
    bun_tcp_socket_terminate(sock_peer);
  }
}

/* Drives A until its handler `cell_handler` fires (it acts there). */
static void provoke(int lfd, uint16_t raw_port, uint16_t refused_port) {
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  bool tls = mode_is_tls(cell_mode);
  switch (cell_mode) {
    case M_PLAIN_CLIENT:
    case M_TLS_CLIENT:
      o.port = cell_handler == H_CONNECT_ERROR ? refused_port
               : tls                           ? bun_tcp_listener_port(listener_tls)
                                               : raw_port;
      o.data = &sock_a; /* any stable pointer */
      /* TLS `error` comes from a failed handshake (a reset races with the read of it): the
       * client trusts nothing here, so the server is rejected */
      o.tls = !tls ? NULL : cell_handler == H_ERROR ? &tls_client_strict : &tls_client_opts;
      if (bun_tcp_connect(loop, &o, &table_main, &sock_a) != 0) FAIL("connect A");
      rec_a = rec_new(sock_a.id, "A", true, &sock_a);
      if (tls) next_accept_is_a = false;
      break;
    case M_PLAIN_SERVER: {
      next_accept_is_a = true;
      a_peer_fd = raw_tcp_connect(port_l);
      set_nonblock(a_peer_fd);
      break;
    }
    case M_TLS_SERVER:
      next_accept_is_a = true;
      o.port = bun_tcp_listener_port(listener_tls);
      o.data = &sock_peer;
      o.tls = &tls_client_opts;
      if (bun_tcp_connect(loop, &o, &table_main, &sock_peer) != 0) FAIL("connect the TLS peer");
      rec_new(sock_peer.id, "peer", true, &sock_peer);
      break;
    case M_COUNT: break;
  }
  if (cell_handler == H_CONNECT_ERROR) {
    CELL_UNTIL(acted || a_finished());
    return;
  }
  if (cell_mode == M_PLAIN_CLIENT) {
    double dl = now_ms() + 3000 * harness_time_scale();
    while (a_peer_fd < 0 && now_ms() < dl) {
      a_peer_fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (a_peer_fd < 0 && !poll_cell(5)) return;
    }
    if (a_peer_fd < 0) FAIL("raw accept of A");
  }
  /* A is open (TLS: its handshake is done too), and in TLS client mode its peer is known */
  /* (an action in open or handshake may keep the handshake from finishing: pause, shutdown) */
  bool acted_early = false;
  CELL_UNTIL(rec_a && (a_finished() || (acted_early = acted && (cell_handler == H_OPEN || cell_handler == H_HANDSHAKE)) ||
                       (rec_a->n_open && (!tls || strstr(rec_a->tr.buf, "handshake")))));
  if (acted_early) {
    /* TLS: the handshake in flight must still end (done, failed, or the socket closed) unless
     * the action paused it (it waits for resume then) or targeted another socket only */
    if (tls && cell_handler == H_OPEN && cell_action != A_PAUSE) {
      /* (a reload to a table without `handshake` ends it silently: the version tells) */
#define HANDSHAKE_ENDED() (a_finished() || bun_tcp_socket_tls_version(rec_a_handle()) != NULL)
      CELL_UNTIL(HANDSHAKE_ENDED());
      if (!loop_freed && !HANDSHAKE_ENDED())
        problem("the TLS handshake never ended after %s in open (trace \"%s\")", action_names[cell_action],
                rec_a->tr.buf);
    }
    return;
  }
  if (cell_mode == M_TLS_CLIENT && !loop_freed) {
    for (int i = 0; i < n_recs; i++)
      if (strcmp(recs[i].who, "accepted") == 0 && recs[i].id != recs[1].id) sock_peer.id = recs[i].id;
    CELL_UNTIL(sock_peer.id && strstr(rec_find(sock_peer.id)->tr.buf, "handshake"));
  }
  if (loop_freed || acted || !rec_a || a_finished()) return;
  switch (cell_handler) {
    case H_OPEN: case H_HANDSHAKE: case H_CONNECT_ERROR: case H_COUNT: break;
    case H_DATA: peer_send_big(); break; /* 256 KiB at once: several data calls per readable event */
    case H_DRAIN: {
      /* fill A's send buffer; the peer reads it all */
      double dl2 = now_ms() + 3000 * harness_time_scale();
      while (now_ms() < dl2) {
        int64_t w = bun_tcp_socket_write(rec_a_handle(), big, sizeof big);
        if (w < (int64_t)sizeof big) break;
      }
      break;
    }
    case H_END: peer_end(); break;
    case H_CLOSE: peer_reset(); break;
    case H_ERROR: {
      peer_reset();
      if (tls) poll_cell(0); /* the bun_tcp peer's RST leaves at its terminate; nothing to flush */
      double dl2 = now_ms() + 3000 * harness_time_scale();
      while (now_ms() < dl2 && bun_tcp_socket_write(rec_a_handle(), (const uint8_t *)"x", 1) >= 0) {
      }
      break;
    }
    case H_TIMEOUT: bun_tcp_socket_timeout_ms(rec_a_handle(), 10); break;
    case H_CLOSE_IN_FREE:
      freeing = true;
      bun_tcp_loop_free(loop);
      freeing = false;
      loop_freed = true;
      return;
  }
  char sink[65536];
  double dl3 = now_ms() + 3000 * harness_time_scale();
  while (!loop_freed && !acted && !a_finished() && now_ms() < dl3) {
    poll_cell(5);
    if (a_peer_fd >= 0)
      while (read(a_peer_fd, sink, sizeof sink) > 0) {
      }
  }
}

static void stale_checks(void) {
  /* every handle of the cell is stale now */
  if (bun_tcp_socket_write(rec_a_handle(), (const uint8_t *)"z", 1) != BUN_TCP_ECLOSED)
    problem("write on stale A not ECLOSED");
  if (bun_tcp_socket_close(sock_b) != BUN_TCP_ECLOSED) problem("close on stale B not ECLOSED");
  if (bun_tcp_socket_ready_state(rec_a_handle()) != BUN_TCP_STATE_CLOSED) problem("ready_state of stale A");
  if (bun_tcp_socket_data(rec_a_handle()) != NULL) problem("data of stale A not NULL");
  if (bun_tcp_listener_reload(listener_l, &table_main) != BUN_TCP_ECLOSED)
    problem("listener_reload on stale L not ECLOSED");
  if (bun_tcp_listener_port(listener_l) != 0) problem("port of stale L not 0");
  if (listener_tls.id && bun_tcp_listener_reload(listener_tls, &table_main) != BUN_TCP_ECLOSED)
    problem("listener_reload on the stale TLS listener not ECLOSED");
  if (sock_peer.id && bun_tcp_socket_write(sock_peer, (const uint8_t *)"z", 1) != BUN_TCP_ECLOSED)
    problem("write on the stale TLS peer not ECLOSED");
  if (sock_new.id && bun_tcp_socket_write(sock_new, (const uint8_t *)"z", 1) != BUN_TCP_ECLOSED)
    problem("write on the stale new socket not ECLOSED");
}

static int run_cell(mode md, hkind hk, action ac, target tg, int base_fds) {
  problems[0] = 0;
  n_recs = 0;
  acted = loop_freed = freeing = false;
  action_rc = 0;
  cell_mode = md;
  cell_handler = hk;
  cell_action = ac;
  cell_target = tg;
  sock_a = sock_b = sock_new = sock_peer = (bun_tcp_socket){0};
  listener_l = listener_new = listener_tls = (bun_tcp_listener){0};
  next_accept_is_a = false;
  chain_victim.id = 0;
  a_peer_fd = -1;
  rec_a = NULL;
  char name[96];
  snprintf(name, sizeof name, "%s: %s x %s x %s", mode_names[md], handler_names[hk], action_names[ac],
           target_names[tg]);
  test_stage(name);

  loop = new_loop();
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.hostname = "127.0.0.1";
  CHECK_OK(bun_tcp_listen(loop, &lo, &table_server, &listener_l));
  port_l = bun_tcp_listener_port(listener_l);
  listener_target = listener_l;
  if (mode_is_tls(md)) {
    lo.tls = &tls_server_cfg.o;
    /* TLS `error` on the server: it requires a client certificate the peer does not have */
    tls_server_cfg.o.request_cert = md == M_TLS_SERVER && hk == H_ERROR;
    CHECK_OK(bun_tcp_listen(loop, &lo, &table_server, &listener_tls));
    lo.tls = NULL;
    if (md == M_TLS_SERVER) listener_target = listener_tls;
  }
  uint16_t raw_port = 0, refused_port = 0;
  int lfd = raw_tcp_bound(true, &raw_port);
  set_nonblock(lfd);
  int refused_fd = raw_tcp_bound(false, &refused_port); /* bound, not listening: refused */

  /* B: connected to L, open on both sides */
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.hostname = "127.0.0.1";
  co.port = port_l;
  co.data = &sock_b;
  CHECK_OK(bun_tcp_connect(loop, &co, &table_main, &sock_b));
  srec *rec_b = rec_new(sock_b.id, "B", true, &sock_b);
  CELL_UNTIL(rec_b->n_open == 1 && n_recs == 2 && recs[1].n_open == 1);
  if (!(rec_b->n_open == 1 && n_recs == 2)) FAIL("%s: B did not open", name);

  provoke(lfd, raw_port, refused_port);
  if (!acted) problem("handler %s never fired on A (trace \"%s\")", handler_names[hk], rec_a ? rec_a->tr.buf : "");

  /* let what the action started settle a little, then wind everything down */
  for (int i = 0; i < 4 && !loop_freed; i++) poll_cell(5);
  if (!loop_freed) {
    bun_tcp_socket_close(rec_a_handle());
    bun_tcp_socket_close(sock_b);
    if (sock_peer.id) bun_tcp_socket_close(sock_peer);
    if (listener_tls.id) bun_tcp_listener_stop(listener_tls, true);
    if (sock_new.id) bun_tcp_socket_close(sock_new);
    bun_tcp_listener_stop(listener_l, true);
    if (listener_new.id) bun_tcp_listener_stop(listener_new, true);
    double dl = now_ms() + 5000 * harness_time_scale();
    while (!loop_freed && bun_tcp_loop_alive(loop) && now_ms() < dl) poll_cell(5);
    if (!loop_freed && bun_tcp_loop_alive(loop)) problem("the loop stays alive after everything was closed");
    if (!loop_freed) {
      int32_t rc = bun_tcp_run(loop);
      if (rc != 0) problem("bun_tcp_run returned %d", rc);
      poll_cell(0); /* releases the slots of what closed in the last tick */
      if (bun_tcp_loop_socket_count(loop) != 0)
        problem("loop_socket_count %zu after wind-down", bun_tcp_loop_socket_count(loop));
      if (bun_tcp_loop_listener_count(loop) != 0)
        problem("loop_listener_count %zu after wind-down", bun_tcp_loop_listener_count(loop));
    }
  }
  if (!loop_freed) stale_checks(); /* the handles of a live loop */

  /* per-socket invariants */
  for (int i = 0; i < n_recs; i++) {
    srec *r = &recs[i];
    if (r->is_client && r->n_open + r->n_connect_error != 1)
      problem("%s: open %d + connect_error %d != 1 (trace \"%s\")", r->who, r->n_open, r->n_connect_error,
              r->tr.buf);
    if (r->n_open && !r->detached && r->n_close != 1)
      problem("%s: opened, close fired %d times (trace \"%s\")", r->who, r->n_close, r->tr.buf);
    if (r->n_connect_error && r->n_close) problem("%s: connect_error and close (trace \"%s\")", r->who, r->tr.buf);
  }

  if (!loop_freed) bun_tcp_loop_free(loop);
  /* after loop_free every handle of the loop is stale */
  if (bun_tcp_socket_write(rec_a_handle(), (const uint8_t *)"z", 1) != BUN_TCP_ECLOSED)
    problem("write on A after loop_free not ECLOSED");
  if (bun_tcp_socket_close(sock_b) != BUN_TCP_ECLOSED) problem("close on B after loop_free not ECLOSED");
  if (bun_tcp_listener_stop(listener_l, true) != BUN_TCP_ECLOSED && bun_tcp_listener_stop(listener_l, true) != 0)
    problem("listener_stop on L after loop_free neither ECLOSED nor 0");
  if (a_peer_fd >= 0) close(a_peer_fd);
  close(lfd);
  close(refused_fd);
  int fds = count_open_fds();
  if (fds != base_fds) problem("open descriptors %d, baseline %d", fds, base_fds);

  if (getenv("MATRIX_VERBOSE"))
    printf("cell %-45s rc=%-6lld A=\"%.60s\"\n", name, (long long)action_rc, rec_a ? rec_a->tr.buf : "");
  if (problems[0]) {
    printf("FAILED CELL %-45s rc=%lld: %s\n", name, (long long)action_rc, problems);
    return 1;
  }
  return 0;
}

/* bun_tcp_run from the connect_error handler of a loop's last socket: the loop is not alive any
 * more, and run still answers EBUSY, as poll does (it used to answer 0). */
static int32_t last_run_rc = 1, last_poll_rc = 1;
static void last_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  (void)s;
  (void)e;
  last_run_rc = bun_tcp_run((bun_tcp_loop *)d);
  last_poll_rc = bun_tcp_poll((bun_tcp_loop *)d, 0);
}
static void last_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  (void)s, (void)d, (void)b, (void)n;
}
static int run_in_last_handler(void) {
  test_stage("run inside the last socket's connect_error");
  problems[0] = 0;
  bun_tcp_loop *l = new_loop();
  uint16_t port = 0;
  int fd = raw_tcp_bound(false, &port);
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.data = last_data;
  h.connect_error = last_connect_error;
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = port;
  o.data = l;
  bun_tcp_socket s;
  CHECK_OK(bun_tcp_connect(l, &o, &h, &s));
  CHECK_OK(bun_tcp_run(l));
  if (last_poll_rc != BUN_TCP_EBUSY) problem("poll in the last handler returned %d, not EBUSY", last_poll_rc);
  if (last_run_rc != BUN_TCP_EBUSY) problem("run in the last handler returned %d, not EBUSY", last_run_rc);
  bun_tcp_loop_free(l);
  close(fd);
  if (problems[0]) printf("FAILED: %s\n", problems);
  return problems[0] ? 1 : 0;
}

int main(void) {
  test_init("reentrancy_matrix", 600);
  init_tables();
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
  /* one warm-up loop: lazily created process-wide state (resolver pool, buffers) is not a leak */
  bun_tcp_loop_free(new_loop());
  int base_fds = count_open_fds();
  tls_cfg_server(&tls_server_cfg);
  memset(&tls_client_opts, 0, sizeof tls_client_opts);
  memset(&tls_client_strict, 0, sizeof tls_client_strict);
  tls_client_opts.allow_unauthorized = true; /* the handshake completes; the verdict is recorded */
  const char *only = getenv("MATRIX_ONLY_HANDLER");
  const char *only_mode = getenv("MATRIX_ONLY_MODE");
  int failed = 0, cells = 0;
  for (int md = 0; md < M_COUNT; md++) {
    if (only_mode && strcmp(only_mode, mode_names[md]) != 0) continue;
    for (int hk = 0; hk < H_COUNT; hk++) {
      if (!cell_applies((mode)md, (hkind)hk)) continue;
      if (only && strcmp(only, handler_names[hk]) != 0) continue;
      for (int ac = 0; ac < A_COUNT; ac++) {
        if (is_loop_action((action)ac)) {
          failed += run_cell((mode)md, (hkind)hk, (action)ac, T_LOOP, base_fds);
          cells++;
          continue;
        }
        for (int tg = T_SELF; tg <= T_OTHER; tg++) {
          failed += run_cell((mode)md, (hkind)hk, (action)ac, (target)tg, base_fds);
          cells++;
        }
      }
    }
  }
  failed += run_in_last_handler();
  cells++;
  printf("%d cells, %d failed\n", cells, failed);
  tls_fixtures_free();
  if (failed) FAIL("%d of %d cells broke the contract (listed above)", failed, cells);
  return test_pass();
}
