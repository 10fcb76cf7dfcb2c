/* tls_peer: bun_tcp's side of the TLS interop tests (tests/tls/interop_*.sh).
 *
 *   tls_peer server [options]              listens on 127.0.0.1:0, prints "PORT <n>", serves one
 *                                          connection, exits
 *   tls_peer client --port N [options]     connects to 127.0.0.1:N (or --host)
 *
 * On the connection it sends --send-file (with write + drain: Bun's unbuffered contract) while
 * hashing everything it receives; once it has sent the whole file and received --expect bytes
 * (or, without --expect, once the peer ended), it ends (close_notify + FIN). When the socket
 * closes it prints one line:
 *   RESULT version=TLSv1.3 cipher=.. alpn=h2 authorized=1 verify=OK peer_cert=1 sent=N recv=M
 *          recv_sha256=<hex> close=clean
 * and exits 0 if the close was clean, no error fired, recv == --expect (when given), and the
 * --want-* checks hold; else 1. A failed handshake prints RESULT with close=<error name>.
 *
 * options: --host H --port N --cert F --key F --ca F --request-cert --allow-unauthorized
 *          --server-name N --alpn a,b --min 1.2|1.3 --max 1.2|1.3 --send-file F --expect N
 *          --want-version V --want-alpn P --want-authorized 0|1 --timeout S
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

static uint8_t *g_file;
static size_t g_file_len, g_sent;
static long long g_expect = -1;
static size_t g_recv;
static sha256_ctx g_sha;
static bool g_peer_ended, g_ended, g_error, g_closed, g_ok_close;
static char g_close_name[64] = "-";
static char g_version[16] = "-", g_cipher[64] = "-", g_alpn[64] = "-";
static int g_authorized = -1, g_verify = 0, g_peer_cert = 0;
static bun_tcp_listener g_listener;
static bool g_is_server;

static uint16_t parse_version(const char *v) {
  if (!strcmp(v, "1.2")) return BUN_TCP_TLS1_2;
  if (!strcmp(v, "1.3")) return BUN_TCP_TLS1_3;
  fprintf(stderr, "tls_peer: bad version %s\n", v);
  exit(2);
}

static void capture(bun_tcp_socket s) {
  snprintf(g_version, sizeof g_version, "%s", bun_tcp_socket_tls_version(s) ? bun_tcp_socket_tls_version(s) : "-");
  snprintf(g_cipher, sizeof g_cipher, "%s", bun_tcp_socket_cipher(s) ? bun_tcp_socket_cipher(s) : "-");
  if (bun_tcp_socket_alpn_protocol(s, g_alpn, sizeof g_alpn) <= 0) strcpy(g_alpn, "-");
  g_authorized = bun_tcp_socket_authorized(s);
  g_verify = bun_tcp_socket_verify_error(s);
  g_peer_cert = bun_tcp_socket_peer_certificate(s, NULL, 0) > 0;
}

static void maybe_end(bun_tcp_socket s) {
  if (g_ended || g_sent < g_file_len) return;
  if (g_expect >= 0 ? (long long)g_recv < g_expect : !g_peer_ended) return;
  g_ended = true;
  bun_tcp_socket_end(s, NULL, 0);
}

static void pump(bun_tcp_socket s) {
  while (g_sent < g_file_len) {
    size_t n = g_file_len - g_sent;
    if (n > 256 * 1024) n = 256 * 1024;
    int64_t w = bun_tcp_socket_write(s, g_file + g_sent, n);
    if (w < 0) return;
    g_sent += (size_t)w;
    if ((size_t)w < n) return; /* drain follows */
  }
  maybe_end(s);
}

static void on_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *verdict) {
  fprintf(stderr, "tls_peer: handshake %s%s%s\n", ok ? "ok" : "failed", verdict ? ": " : "",
          verdict ? verdict->name : "");
  if (!ok) return;
  capture(s);
  pump(s);
}
static void on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  g_recv += n;
  sha256_update(&g_sha, b, n);
  maybe_end(s);
}
static void on_drain(bun_tcp_socket s, void *d) { pump(s); }
static void on_end(bun_tcp_socket s, void *d) {
  g_peer_ended = true;
  maybe_end(s);
}
static void on_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  fprintf(stderr, "tls_peer: error %s: %s\n", e->name, e->message);
  g_error = true;
}
static void on_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  g_closed = true;
  g_ok_close = e == NULL;
  snprintf(g_close_name, sizeof g_close_name, "%s", e ? e->name : "clean");
  if (e) fprintf(stderr, "tls_peer: close %s: %s\n", e->name, e->message);
  if (g_is_server) bun_tcp_listener_stop(g_listener, true);
}
static void on_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  fprintf(stderr, "tls_peer: connect_error %s: %s\n", e->name, e->message);
  g_closed = true;
  snprintf(g_close_name, sizeof g_close_name, "%s", e->name);
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

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
    fprintf(stderr, "usage: tls_peer server|client [options] (see the source)\n");
    return 2;
  }
  g_is_server = !strcmp(argv[1], "server");
  const char *host = "127.0.0.1", *want_version = NULL, *want_alpn = NULL;
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
    else if (OPT("--want-version")) want_version = v;
    else if (OPT("--want-alpn")) want_alpn = v;
    else if (OPT("--want-authorized")) want_authorized = atoi(v);
    else if (OPT("--timeout")) timeout = (unsigned)atoi(v);
    else {
      fprintf(stderr, "tls_peer: unknown option %s\n", a);
      return 2;
    }
#undef OPT
  }
  for (char *p = alpn_list ? strtok(alpn_list, ",") : NULL; p && tls.alpn_count < 8;
       p = strtok(NULL, ","))
    alpn[tls.alpn_count++] = p;
  tls.alpn = alpn;
  signal(SIGALRM, on_alarm);
  alarm(timeout);
  setvbuf(stdout, NULL, _IOLBF, 0);
  sha256_init(&g_sha);

  bun_tcp_loop *loop = bun_tcp_loop_new();
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.data = on_data;
  h.drain = on_drain;
  h.end = on_end;
  h.error = on_error;
  h.close = on_close;
  h.connect_error = on_connect_error;
  h.handshake = on_handshake;
  int32_t rc;
  if (g_is_server) {
    bun_tcp_listen_options o;
    memset(&o, 0, sizeof o);
    o.hostname = host;
    o.port = port;
    o.tls = &tls;
    o.allow_half_open = true; /* our end waits until the file is sent */
    rc = bun_tcp_listen(loop, &o, &h, &g_listener);
    if (rc == 0) printf("PORT %u\n", (unsigned)bun_tcp_listener_port(g_listener));
  } else {
    bun_tcp_connect_options o;
    memset(&o, 0, sizeof o);
    o.hostname = host;
    o.port = port;
    o.tls = &tls;
    o.allow_half_open = true;
    bun_tcp_socket s;
    rc = bun_tcp_connect(loop, &o, &h, &s);
  }
  if (rc != 0) {
    fprintf(stderr, "tls_peer: %s failed: %s (%s)\n", g_is_server ? "listen" : "connect",
            bun_tcp_err_name(rc), bun_tcp_last_error_message());
    return 1;
  }
  rc = bun_tcp_run(loop);
  bun_tcp_loop_free(loop);
  uint8_t d[32];
  char hex[65];
  sha256_final(&g_sha, d);
  sha256_hex(d, hex);
  printf("RESULT version=%s cipher=%s alpn=%s authorized=%d verify=%s peer_cert=%d sent=%zu "
         "recv=%zu recv_sha256=%s close=%s\n",
         g_version, g_cipher, g_alpn, g_authorized, g_verify ? bun_tcp_err_name(g_verify) : "OK",
         g_peer_cert, g_sent, g_recv, hex, g_close_name);
  bool ok = rc == 0 && g_closed && g_ok_close && !g_error && g_sent == g_file_len;
  if (g_expect >= 0 && (long long)g_recv != g_expect) ok = false;
  if (want_version && strcmp(want_version, g_version)) ok = false;
  if (want_alpn && strcmp(want_alpn, g_alpn)) ok = false;
  if (want_authorized >= 0 && want_authorized != g_authorized) ok = false;
  free(g_file);
  return ok ? 0 : 1;
}
