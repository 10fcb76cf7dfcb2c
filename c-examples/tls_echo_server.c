/* tls_echo_server: a TLS echo server on bun_tcp.
 *
 *   usage: tls_echo_server --cert server.crt --key server.key
 *                          [--port N] [--host H] [--ca ca.crt --request-cert] [--alpn h2,http/1.1]
 *                          [--once]
 *
 * Prints "listening on HOST:PORT" once ready, then echoes every byte back to its sender (until
 * killed, or until the first connection closes with --once). For each connection it logs the
 * negotiated TLS version, cipher suite and ALPN protocol, and whether the client certificate was
 * verified (with --request-cert, clients must present a certificate signed by --ca).
 *
 * TLS changes nothing in the echo logic: the library does the handshake and the encryption, and
 * the handlers see plaintext. Backpressure as in echo_server.c: write_all() never drops bytes;
 * when a slow peer lets the queue grow past HIGH_WATER we pause reading from it, and resume when
 * `drain` says the queue is empty. When the client ends its side, the library sends the queued
 * echo, then close_notify + FIN. */
#include <bun_tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HIGH_WATER (1u << 20) /* stop reading from a peer that has 1 MiB of echo not yet taken */

static bool once;
static bun_tcp_listener listener;

/* Without a `handshake` handler, `open` fires once the TLS handshake is done: the queries
 * below already have their answers. */
static void on_open(bun_tcp_socket s, void *data) {
  char alpn[64];
  if (bun_tcp_socket_alpn_protocol(s, alpn, sizeof alpn) <= 0) strcpy(alpn, "-");
  int32_t verdict = bun_tcp_socket_verify_error(s);
  fprintf(stderr, "open   %s %s alpn=%s client-cert=%s\n", bun_tcp_socket_tls_version(s),
          bun_tcp_socket_cipher(s), alpn,
          bun_tcp_socket_authorized(s) ? "verified" : verdict ? bun_tcp_err_name(verdict) : "none");
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  if (bun_tcp_socket_write_all(s, bytes, len) < 0) return; /* socket is going away: close follows */
  if (bun_tcp_socket_buffered_amount(s) > HIGH_WATER) bun_tcp_socket_pause(s);
}

static void on_drain(bun_tcp_socket s, void *data) {
  bun_tcp_socket_resume(s); /* the queue is empty: read again (a no-op if we never paused) */
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  fprintf(stderr, "close  %s%s%s\n", err ? err->name : "(clean)", err ? ": " : "",
          err ? err->message : "");
  if (once) bun_tcp_listener_stop(listener, false); /* the loop has nothing left: run returns */
}

/* A server socket whose handshake fails closes silently (there is no `handshake` handler to tell);
 * `error` reports fatal errors on open sockets, such as an alert from the peer. */
static void on_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  fprintf(stderr, "error  %s: %s\n", err->name, err->message);
}

static void usage(void) {
  fprintf(stderr, "usage: tls_echo_server --cert FILE --key FILE [--port N] [--host H]\n"
                  "                       [--ca FILE --request-cert] [--alpn P1,P2] [--once]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  uint16_t port = 0;
  bun_tcp_tls_options tls = {0}; /* zero = defaults: TLS 1.2 and 1.3, no client certificate */
  const char *alpn[8];
  char *alpn_list = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--cert") && v) tls.cert_file = argv[++i];
    else if (!strcmp(a, "--key") && v) tls.key_file = argv[++i];
    else if (!strcmp(a, "--ca") && v) tls.ca_file = argv[++i];
    else if (!strcmp(a, "--request-cert")) tls.request_cert = true;
    else if (!strcmp(a, "--alpn") && v) alpn_list = argv[++i];
    else if (!strcmp(a, "--port") && v) port = (uint16_t)atoi(argv[++i]);
    else if (!strcmp(a, "--host") && v) host = argv[++i];
    else if (!strcmp(a, "--once")) once = true;
    else usage();
  }
  if (!tls.cert_file || !tls.key_file) usage();
  /* ALPN: a comma-separated list, most preferred first */
  for (char *p = alpn_list ? strtok(alpn_list, ",") : NULL; p && tls.alpn_count < 8;
       p = strtok(NULL, ","))
    alpn[tls.alpn_count++] = p;
  tls.alpn = alpn;
  setvbuf(stdout, NULL, _IOLBF, 0); /* line-buffered even into a pipe, so scripts see each line */

  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) {
    fprintf(stderr, "bun_tcp_loop_new: %s\n", bun_tcp_last_error_message());
    return 1;
  }
  bun_tcp_handlers handlers = {.open = on_open,
                               .data = on_data,
                               .drain = on_drain,
                               .close = on_close,
                               .error = on_error};
  bun_tcp_listen_options opts = {.hostname = host, .port = port, .tls = &tls};
  /* Bad certificates, keys or files fail here, with a message naming the problem. */
  int32_t rc = bun_tcp_listen(loop, &opts, &handlers, &listener);
  if (rc != 0) {
    fprintf(stderr, "listen on %s:%u failed: %s (%s)\n", host, (unsigned)port,
            bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }
  printf("listening on %s:%u\n", host, (unsigned)bun_tcp_listener_port(listener));

  rc = bun_tcp_run(loop); /* runs until the listener is stopped (with --once) */
  bun_tcp_loop_free(loop);
  return rc < 0 ? 1 : 0;
}
