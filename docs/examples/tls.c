/* tls: a TLS server and clients that trust the fixture CA, or do not, and what each one sees.
 *
 * The certificates come from tests/tls/make-fixtures.sh; the directory is in env
 * BUN_TCP_TLS_FIXTURES (ctest sets it). The server presents server.crt (for localhost and
 * 127.0.0.1, signed by ca.crt) and answers "ping" with "pong". Clients:
 *   1. trusts ca.crt, has a `handshake` handler: open, handshake(true, NULL), authorized;
 *   2. trusts only rogue-ca.crt: connect_error UNABLE_TO_VERIFY_LEAF_SIGNATURE (no open, no close);
 *   3. the same with allow_unauthorized: handshake(true, verdict), authorized false, data flows;
 *   4. trusts ca.crt but expects "other.example": connect_error ERR_TLS_CERT_ALTNAME_INVALID.
 * Then bad options fail at the call: garbage PEM, a missing file. Exits 0 only if all matched. */
#include <bun_tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

typedef struct { char trace[160]; int done; } client;

static void note(client *c, const char *ev, const char *detail) {
  char item[80];
  snprintf(item, sizeof item, "%s%s%s%s", c->trace[0] ? " " : "", ev, detail ? ":" : "", detail ? detail : "");
  strcat(c->trace, item);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  bun_tcp_socket_write_all(s, (const uint8_t *)"pong", 4);
}
static void cli_open(bun_tcp_socket s, void *d) { note(d, "open", NULL); }
static void cli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *verdict) {
  note(d, ok ? "handshake" : "handshake-failed", verdict ? verdict->name : NULL);
  if (!ok) return;
  CHECK(bun_tcp_socket_authorized(s) == (verdict == NULL));
  CHECK(strcmp(bun_tcp_socket_tls_version(s), "TLSv1.3") == 0);
  bun_tcp_socket_write_all(s, (const uint8_t *)"ping", 4);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  note(d, "data", "pong");
  CHECK(n == 4 && memcmp(b, "pong", 4) == 0);
  bun_tcp_socket_close(s);
}
static void cli_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  note(d, "close", e ? e->name : NULL);
  ((client *)d)->done = 1;
}
static void cli_connect_error(bun_tcp_socket s, void *d, const bun_tcp_error *e) {
  note(d, "connect_error", e->name);
  ((client *)d)->done = 1;
}

/* "<fixture dir>/<name>" into `buf` (char[600]), returned. */
static const char *path(char *buf, const char *name) {
  snprintf(buf, 600, "%s/%s", getenv("BUN_TCP_TLS_FIXTURES"), name);
  return buf;
}

static void run_client(bun_tcp_loop *loop, uint16_t port, bun_tcp_tls_options *tls, bool with_hs,
                       const char *expect) {
  client c = {0};
  bun_tcp_handlers h = {.open = cli_open, .data = cli_data, .close = cli_close,
                        .connect_error = cli_connect_error};
  if (with_hs) h.handshake = cli_handshake;
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port, .data = &c, .tls = tls};
  bun_tcp_socket s;
  CHECK(bun_tcp_connect(loop, &co, &h, &s) == 0);
  for (int i = 0; i < 200 && !c.done; i++) bun_tcp_poll(loop, 50);
  printf("%s\n", c.trace);
  CHECK(strcmp(c.trace, expect) == 0);
}

int main(void) {
  if (!getenv("BUN_TCP_TLS_FIXTURES")) { fprintf(stderr, "set BUN_TCP_TLS_FIXTURES\n"); return 77; }
  char crt[600], key[600], ca[600], rogue_ca[600], nope[600];
  bun_tcp_loop *loop = bun_tcp_loop_new();

  bun_tcp_tls_options server_tls = {.cert_file = path(crt, "server.crt"),
                                    .key_file = path(key, "server.key")};
  bun_tcp_handlers sh = {.data = srv_data};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .tls = &server_tls};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &sh, &l) == 0);
  uint16_t port = bun_tcp_listener_port(l);

  bun_tcp_tls_options trusting = {.ca_file = path(ca, "ca.crt")};
  run_client(loop, port, &trusting, true, "open handshake data:pong close");
  bun_tcp_tls_options rogue = {.ca_file = path(rogue_ca, "rogue-ca.crt")};
  run_client(loop, port, &rogue, false, "connect_error:UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  rogue.allow_unauthorized = true;
  run_client(loop, port, &rogue, true, "open handshake:UNABLE_TO_VERIFY_LEAF_SIGNATURE data:pong close");
  bun_tcp_tls_options other = {.ca_file = ca, .server_name = "other.example"};
  run_client(loop, port, &other, false, "connect_error:ERR_TLS_CERT_ALTNAME_INVALID");

  /* Bad options: the call fails, nothing fires, the message says why. */
  bun_tcp_bytes garbage = {(const uint8_t *)"not a PEM", 9};
  bun_tcp_tls_options bad_pem = {.cert = &garbage, .cert_count = 1, .key_file = key};
  bun_tcp_listen_options bad = {.hostname = "127.0.0.1", .tls = &bad_pem};
  bun_tcp_listener unused;
  int32_t rc = bun_tcp_listen(loop, &bad, &sh, &unused);
  printf("garbage cert: %s (%s)\n", bun_tcp_err_name(rc), bun_tcp_last_error_message());
  CHECK(rc == BUN_TCP_ETLS_BAD_PEM);
  bun_tcp_tls_options missing = {.cert_file = path(nope, "nope.crt"), .key_file = key};
  bad.tls = &missing;
  rc = bun_tcp_listen(loop, &bad, &sh, &unused);
  printf("missing file: %s (%s)\n", bun_tcp_err_name(rc), bun_tcp_last_error_message());
  CHECK(rc == -ENOENT);

  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  printf("ok\n");
  return 0;
}
