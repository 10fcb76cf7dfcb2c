/* tls_certificates: the peer's whole certificate chain, and restricted cipher suites and groups.
 *
 * Certificates from tests/tls/make-fixtures.sh (env BUN_TCP_TLS_FIXTURES; ctest sets it). A server
 * sends server-chain.crt (leaf + CA) and allows only TLS_CHACHA20_POLY1305_SHA256 over secp384r1.
 * A client that trusts ca.crt connects; in its handshake handler it walks the chain with
 * bun_tcp_socket_peer_certificate_at (2 certificates) and reads the negotiated suite. A listen
 * naming an unknown suite is refused with BUN_TCP_EINVAL. Exits 0 only if all of that happened. */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

static int chain_len, done;
static char cipher[64];

static void cli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *verdict) {
  CHECK(ok && verdict == NULL);
  uint8_t der[4096];
  for (size_t i = 0;; i++) { /* 0 is the leaf; 0 bytes means past the end of the chain */
    int32_t n = bun_tcp_socket_peer_certificate_at(s, i, der, sizeof der);
    CHECK(n >= 0);
    if (n == 0) break;
    chain_len++;
  }
  snprintf(cipher, sizeof cipher, "%s", bun_tcp_socket_cipher(s));
  bun_tcp_socket_end(s, NULL, 0);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void cli_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { done = 1; }
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void srv_end(bun_tcp_socket s, void *d) { bun_tcp_socket_end(s, NULL, 0); }

static const char *path(char *buf, const char *name) {
  snprintf(buf, 600, "%s/%s", getenv("BUN_TCP_TLS_FIXTURES"), name);
  return buf;
}

int main(void) {
  if (!getenv("BUN_TCP_TLS_FIXTURES")) { fprintf(stderr, "set BUN_TCP_TLS_FIXTURES\n"); return 77; }
  char crt[600], key[600], ca[600];
  bun_tcp_loop *loop = bun_tcp_loop_new();

  const char *suites[] = {"TLS_CHACHA20_POLY1305_SHA256"}; /* IANA names, preferred first */
  const char *groups[] = {"secp384r1"};
  bun_tcp_tls_options server_tls = {.cert_file = path(crt, "server-chain.crt"),
                                    .key_file = path(key, "server.key"),
                                    .cipher_suites = suites, .cipher_suites_count = 1,
                                    .groups = groups, .groups_count = 1};
  bun_tcp_handlers sh = {.data = srv_data, .end = srv_end};
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .tls = &server_tls};
  bun_tcp_listener l;
  CHECK(bun_tcp_listen(loop, &lo, &sh, &l) == 0);

  bun_tcp_tls_options client_tls = {.ca_file = path(ca, "ca.crt")};
  bun_tcp_handlers ch = {.handshake = cli_handshake, .data = cli_data, .close = cli_close};
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(l), .tls = &client_tls};
  bun_tcp_socket s;
  CHECK(bun_tcp_connect(loop, &co, &ch, &s) == 0);
  for (int i = 0; i < 200 && !done; i++) bun_tcp_poll(loop, 50);
  CHECK(done);
  CHECK(chain_len == 2);
  CHECK(strcmp(cipher, "TLS_CHACHA20_POLY1305_SHA256") == 0);

  const char *unknown[] = {"TLS_RSA_WITH_RC4_128_MD5"}; /* refused at the call, naming the entry */
  bun_tcp_tls_options bad = server_tls;
  bad.cipher_suites = unknown;
  bun_tcp_listener l2;
  CHECK(bun_tcp_listen(loop, &(bun_tcp_listen_options){.hostname = "127.0.0.1", .tls = &bad}, &sh, &l2) ==
        BUN_TCP_EINVAL);
  printf("chain of %d certificates, %s; unknown suite refused: %s\n", chain_len, cipher,
         bun_tcp_last_error_message());
  bun_tcp_listener_stop(l, true);
  bun_tcp_loop_free(loop);
  return 0;
}
