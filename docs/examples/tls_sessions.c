/* tls_sessions: TLS operations: session resumption, keying material, a key log, and certificate
 * rotation without a restart.
 *
 * Certificates from tests/tls/make-fixtures.sh (env BUN_TCP_TLS_FIXTURES; ctest sets it). A server
 * with server.crt logs its TLS secrets to a key log file. A client that trusts ca.crt connects
 * twice with equal options: the first handshake is full, the second resumes, on both ends. Both
 * ends export 32 bytes of keying material for the label "EXPERIMENTAL-example": equal bytes.
 * Then the server rotates to rogue.crt with bun_tcp_listener_set_tls; a client that trusts only
 * rogue-ca.crt now connects. Exits 0 only if all of that happened. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

typedef struct { int done; bool reused; uint8_t km[32]; } side;
static side server_side, client_side;

static void srv_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *verdict) {
  server_side.reused = bun_tcp_socket_session_reused(s);
  CHECK(bun_tcp_socket_export_keying_material(s, server_side.km, 32, "EXPERIMENTAL-example", NULL, 0) == 0);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void srv_end(bun_tcp_socket s, void *d) { bun_tcp_socket_end(s, NULL, 0); }

static void cli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *verdict) {
  CHECK(ok && verdict == NULL);
  client_side.reused = bun_tcp_socket_session_reused(s);
  CHECK(bun_tcp_socket_export_keying_material(s, client_side.km, 32, "EXPERIMENTAL-example", NULL, 0) == 0);
  bun_tcp_socket_end(s, NULL, 0);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void cli_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { client_side.done = 1; }

static const char *path(char *buf, const char *name) {
  snprintf(buf, 600, "%s/%s", getenv("BUN_TCP_TLS_FIXTURES"), name);
  return buf;
}

/* one connect that ends right after its handshake */
static void connect_once(bun_tcp_loop *loop, uint16_t port, const bun_tcp_tls_options *tls) {
  memset(&client_side, 0, sizeof client_side);
  bun_tcp_handlers h = {.handshake = cli_handshake, .data = cli_data, .close = cli_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = port, .tls = tls};
  bun_tcp_socket s;
  CHECK(bun_tcp_connect(loop, &co, &h, &s) == 0);
  for (int i = 0; i < 200 && !client_side.done; i++) bun_tcp_poll(loop, 50);
  CHECK(client_side.done);
}

int main(void) {
  if (!getenv("BUN_TCP_TLS_FIXTURES")) { fprintf(stderr, "set BUN_TCP_TLS_FIXTURES\n"); return 77; }
  char crt[600], key[600], ca[600], log[600], rogue_crt[600], rogue_key[600], rogue_ca[600];
  bun_tcp_loop *loop = bun_tcp_loop_new();
  path(log, "example-keylog.txt");
  remove(log);

  bun_tcp_tls_options server_tls = {.cert_file = path(crt, "server.crt"),
                                    .key_file = path(key, "server.key"),
                                    .keylog_file = log}; /* SSLKEYLOGFILE format, for Wireshark */
  bun_tcp_handlers sh = {.handshake = srv_handshake, .data = srv_data, .end = srv_end};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .tls = &server_tls};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &sh, &l) == 0);
  uint16_t port = bun_tcp_listener_port(l);

  /* Resumption is on by default: equal options share a session cache in the loop. */
  bun_tcp_tls_options client_tls = {.ca_file = path(ca, "ca.crt")};
  connect_once(loop, port, &client_tls);
  CHECK(!client_side.reused && !server_side.reused);
  connect_once(loop, port, &client_tls);
  CHECK(client_side.reused && server_side.reused);
  CHECK(memcmp(client_side.km, server_side.km, 32) == 0); /* channel binding: both ends agree */

  /* Rotation: new handshakes use the new certificate; open connections keep theirs. */
  bun_tcp_tls_options rotated = {.cert_file = path(rogue_crt, "rogue.crt"),
                                 .key_file = path(rogue_key, "rogue.key"),
                                 .keylog_file = log}; /* every option is replaced */
  CHECK(bun_tcp_listener_set_tls(l, &rotated) == 0);
  bun_tcp_tls_options trusts_new = {.ca_file = path(rogue_ca, "rogue-ca.crt")};
  connect_once(loop, port, &trusts_new);
  CHECK(!client_side.reused);

  FILE *f = fopen(log, "r"); /* the key log holds each handshake's secrets */
  CHECK(f != NULL);
  char line[512];
  int secrets = 0;
  while (fgets(line, sizeof line, f)) secrets += strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0;
  fclose(f);
  CHECK(secrets == 3);
  remove(log);
  printf("resumed on both ends, keying material equal, rotated, %d handshakes logged\n", secrets);
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  return 0;
}
