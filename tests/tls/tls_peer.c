/* tls_peer: bun_tcp's side of the TLS interop tests (tests/tls/interop_*.sh).
 *
 *   tls_peer server [options]              listens on 127.0.0.1:0, prints "PORT <n>", serves
 *                                          --connections connections (default 1), exits
 *   tls_peer client --port N [options]     connects to 127.0.0.1:N (or --host) --connections
 *                                          times, one after another, on one loop with the same
 *                                          options (so a reconnect may resume the session)
 *
 * On each connection it sends --send-file (with write + drain: Bun's unbuffered contract) while
 * hashing everything it receives; once it has sent the whole file and received --expect bytes
 * (or, without --expect, once the peer ended), it ends (close_notify + FIN). After the last
 * connection it prints one line per connection, in the order they opened:
 *   RESULT version=TLSv1.3 cipher=.. alpn=h2 authorized=1 verify=OK peer_cert=1 reused=0 sent=N
 *          recv=M recv_sha256=<hex> close=clean
 * (reused: bun_tcp_socket_session_reused in the handshake handler) and exits 0 if every close
 * was clean, no error fired, recv == --expect (when given) on each, and the --want-* checks hold;
 * else 1. A failed handshake prints RESULT with close=<error name>.
 *
 * options: --host H --port N --cert F --key F --ca F --request-cert --allow-unauthorized
 *          --server-name N --alpn a,b --min 1.2|1.3 --max 1.2|1.3 --send-file F --expect N
 *          --connections N --want-version V --want-alpn P --want-authorized 0|1
 *          --want-reused 0,1,1 (one flag per connection) --timeout S
 */
#define _GNU_SOURCE 1
#include <bun_tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../c/harness.h" /* sha256 only */

#define MAX_CONNECTIONS 16

/* what one connection did */
typedef struct conn {
  size_t sent, recv;
  sha256_ctx sha;
  bool peer_ended, ended, error, closed, ok_close;
  char close_name[64];
  char version[16], cipher[64], alpn[64];
  int authorized, verify, peer_cert, reused;
} conn_t;

static conn_t g_conns[MAX_CONNECTIONS];
static int g_connections = 1, g_opened, g_closed;
static uint8_t *g_file;
static size_t g_file_len;
static long long g_expect = -1;
static bun_tcp_listener g_listener;
static bool g_is_server;

static uint16_t parse_version(const char *v) {
  if (!strcmp(v, "1.2")) return BUN_TCP_TLS1_2;
  if (!strcmp(v, "1.3")) return BUN_TCP_TLS1_3;
  fprintf(stderr, "tls_peer: bad version %s\n", v);
  exit(2);
}

static conn_t *conn_new(void) {
  conn_t *c = &g_conns[g_opened++];
  memset(c, 0, sizeof *c);
  sha256_init(&c->sha);
  strcpy(c->close_name, "-");
  strcpy(c->version, "-");
  strcpy(c->cipher, "-");
  strcpy(c->alpn, "-");
  c->authorized = -1;
  c->reused = -1;
  return c;
}

static void capture(conn_t *c, bun_tcp_socket s) {
  snprintf(c->version, sizeof c->version, "%s", bun_tcp_socket_tls_version(s) ? bun_tcp_socket_tls_version(s) : "-");
  snprintf(c->cipher, sizeof c->cipher, "%s", bun_tcp_socket_cipher(s) ? bun_tcp_socket_cipher(s) : "-");
  if (bun_tcp_socket_alpn_protocol(s, c->alpn, sizeof c->alpn) <= 0) strcpy(c->alpn, "-");
  c->authorized = bun_tcp_socket_authorized(s);
  c->verify = bun_tcp_socket_verify_error(s);
  c->peer_cert = bun_tcp_socket_peer_certificate(s, NULL, 0) > 0;
  c->reused = bun_tcp_socket_session_reused(s);
}

static void maybe_end(conn_t *c, bun_tcp_socket s) {
  if (c->ended || c->sent < g_file_len) return;
  if (g_expect >= 0 ? (long long)c->recv < g_expect : !c->peer_ended) return;
  c->ended = true;
  bun_tcp_socket_end(s, NULL, 0);
}

static void pump(conn_t *c, bun_tcp_socket s) {
  while (c->sent < g_file_len) {
    size_t n = g_file_len - c->sent;
    if (n > 256 * 1024) n = 256 * 1024;
    int64_t w = bun_tcp_socket_write(s, g_file + c->sent, n);
    if (w < 0) return;
    c->sent += (size_t)w;
    if ((size_t)w < n) return; /* drain follows */
  }
  maybe_end(c, s);
}

/* a server socket gets its record here (a client's comes with connect) */
static void on_open(bun_tcp_socket s, void *d) {
  if (!g_is_server) return;
  if (g_opened == g_connections) {
    fprintf(stderr, "tls_peer: connection %d, more than --connections\n", g_opened + 1);
    bun_tcp_socket_terminate(s);
    return;
  }
  bun_tcp_socket_set_data(s, conn_new());
}
static void on_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *verdict) {
  fprintf(stderr, "tls_peer: handshake %s%s%s\n", ok ? "ok" : "failed", verdict ? ": " : "",
          verdict ? verdict->name : "");
  if (!ok || !d) return;
  capture(d, s);
  pump(d, s);
}
static void on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  conn_t *c = d;
  c->recv += n;
  sha256_update(&c->sha, b, n);
  maybe_end(c, s);
}
static void on_drain(bun_tcp_socket s, void *d) { pump(d, s); }
static void on_end(bun_tcp_socket s, void *d) {
  conn_t *c = d;
  c->peer_ended = true;
  maybe_end(c, s);
}
static void on_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  fprintf(stderr, "tls_peer: error %s: %s\n", e->name, e->message);
  if (d) ((conn_t *)d)->error = true;
}
static void on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  if (e) fprintf(stderr, "tls_peer: close %s: %s\n", e->name, e->message);
  conn_t *c = d;
  if (!c) return; /* one too many, terminated in open */
  c->closed = true;
  c->ok_close = e == NULL;
  snprintf(c->close_name, sizeof c->close_name, "%s", e ? e->name : "clean");
  if (g_is_server && ++g_closed == g_connections) bun_tcp_listener_stop(g_listener, true);
}
static void on_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  fprintf(stderr, "tls_peer: connect_error %s: %s\n", e->name, e->message);
  conn_t *c = d;
  c->closed = true;
  snprintf(c->close_name, sizeof c->close_name, "%s", e->name);
}

static void on_alarm(int sig) {
  (void)sig;
  static const char m[] = "tls_peer: timeout\n";
  ssize_t r = write(2, m, sizeof m - 1);
  (void)r;
  _exit(3);
}

static void read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  g_file = (uint8_t *)malloc(len > 0 ? (size_t)len : 1);
  if (!g_file || fread(g_file, 1, (size_t)len, f) != (size_t)len) {
    fprintf(stderr, "tls_peer: cannot read %s\n", path);
    exit(2);
  }
  g_file_len = (size_t)len;
  fclose(f);
}

/* prints connection i's RESULT line; returns whether it passed the checks */
static bool report(int i, const char *want_version, const char *want_alpn, int want_authorized,
                   const char *want_reused) {
  conn_t *c = &g_conns[i];
  uint8_t d[32];
  char hex[65];
  sha256_final(&c->sha, d);
  sha256_hex(d, hex);
  printf("RESULT version=%s cipher=%s alpn=%s authorized=%d verify=%s peer_cert=%d reused=%d sent=%zu "
         "recv=%zu recv_sha256=%s close=%s\n",
         c->version, c->cipher, c->alpn, c->authorized, c->verify ? bun_tcp_err_name(c->verify) : "OK",
         c->peer_cert, c->reused, c->sent, c->recv, hex, c->close_name);
  bool ok = c->closed && c->ok_close && !c->error && c->sent == g_file_len;
  if (g_expect >= 0 && (long long)c->recv != g_expect) ok = false;
  if (want_version && strcmp(want_version, c->version)) ok = false;
  if (want_alpn && strcmp(want_alpn, c->alpn)) ok = false;
  if (want_authorized >= 0 && want_authorized != c->authorized) ok = false;
  if (want_reused) {
    /* "0,1,1": flag i sits at offset 2i */
    if (strlen(want_reused) < (size_t)(2 * i + 1) || want_reused[2 * i] - '0' != c->reused) {
      fprintf(stderr, "tls_peer: connection %d: reused=%d, want %s\n", i + 1, c->reused, want_reused);
      ok = false;
    }
  }
  return ok;
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
    fprintf(stderr, "usage: tls_peer server|client [options] (see the source)\n");
    return 2;
  }
  g_is_server = !strcmp(argv[1], "server");
  const char *host = "127.0.0.1", *want_version = NULL, *want_alpn = NULL, *want_reused = NULL;
  int want_authorized = -1;
  unsigned timeout = 60;
  uint16_t port = 0;
  bun_tcp_tls_options tls;
  memset(&tls, 0, sizeof tls);
  const char *alpn[8];
  char *alpn_list = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && ++i)
    if (OPT("--host")) host = v;
    else if (OPT("--port")) port = (uint16_t)atoi(v);
    else if (OPT("--cert")) tls.cert_file = v;
    else if (OPT("--key")) tls.key_file = v;
    else if (OPT("--ca")) tls.ca_file = v;
    else if (!strcmp(a, "--request-cert")) tls.request_cert = true;
    else if (!strcmp(a, "--allow-unauthorized")) tls.allow_unauthorized = true;
    else if (OPT("--server-name")) tls.server_name = v;
    else if (OPT("--alpn")) alpn_list = argv[i]; /* writable copy of v, split by strtok */
    else if (OPT("--min")) tls.min_version = parse_version(v);
    else if (OPT("--max")) tls.max_version = parse_version(v);
    else if (OPT("--send-file")) read_file(v);
    else if (OPT("--expect")) g_expect = atoll(v);
    else if (OPT("--connections")) g_connections = atoi(v);
    else if (OPT("--want-version")) want_version = v;
    else if (OPT("--want-alpn")) want_alpn = v;
    else if (OPT("--want-authorized")) want_authorized = atoi(v);
    else if (OPT("--want-reused")) want_reused = v;
    else if (OPT("--timeout")) timeout = (unsigned)atoi(v);
    else {
      fprintf(stderr, "tls_peer: unknown option %s\n", a);
      return 2;
    }
#undef OPT
  }
  if (g_connections < 1 || g_connections > MAX_CONNECTIONS) {
    fprintf(stderr, "tls_peer: --connections must be 1..%d\n", MAX_CONNECTIONS);
    return 2;
  }
  for (char *p = alpn_list ? strtok(alpn_list, ",") : NULL; p && tls.alpn_count < 8;
       p = strtok(NULL, ","))
    alpn[tls.alpn_count++] = p;
  tls.alpn = alpn;
  signal(SIGALRM, on_alarm);
  alarm(timeout);
  setvbuf(stdout, NULL, _IOLBF, 0);

  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.open = on_open;
  h.data = on_data;
  h.drain = on_drain;
  h.end = on_end;
  h.error = on_error;
  h.close = on_close;
  h.connect_error = on_connect_error;
  h.handshake = on_handshake;
  int32_t rc = 0, run_rc = 0; /* listen / connect, bun_tcp_run */
  if (g_is_server) {
    bun_tcp_listen_options o;
    memset(&o, 0, sizeof o);
    o.hostname = host;
    o.port = port;
    o.tls = &tls;
    o.allow_half_open = true; /* our end waits until the file is sent */
    rc = bun_tcp_listen(loop, &o, &h, &g_listener);
    if (rc == 0) {
      printf("PORT %u\n", (unsigned)bun_tcp_listener_port(g_listener));
      run_rc = bun_tcp_run(loop);
    }
  } else {
    /* one after another: the next connect starts once the last one closed, on the same loop */
    for (int i = 0; i < g_connections && rc == 0 && run_rc == 0; i++) {
      bun_tcp_connect_options o;
      memset(&o, 0, sizeof o);
      o.hostname = host;
      o.port = port;
      o.tls = &tls;
      o.allow_half_open = true;
      o.data = conn_new();
      bun_tcp_socket s;
      rc = bun_tcp_connect(loop, &o, &h, &s);
      if (rc == 0) run_rc = bun_tcp_run(loop);
    }
  }
  if (rc != 0) {
    fprintf(stderr, "tls_peer: %s failed: %s (%s)\n", g_is_server ? "listen" : "connect",
            bun_tcp_err_name(rc), bun_tcp_last_error_message());
    return 1;
  }
  bun_tcp_loop_free(loop);
  bool ok = run_rc == 0 && g_opened == g_connections;
  for (int i = 0; i < g_opened; i++) ok &= report(i, want_version, want_alpn, want_authorized, want_reused);
  free(g_file);
  return ok ? 0 : 1;
}
