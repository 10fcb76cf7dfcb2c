/* tls_sni_echo: a TLS echo server with one certificate per host name (SNI).
 *
 *   usage: tls_sni_echo [--port N] [--host H] --chain CERT KEY [--chain CERT KEY ...]
 *
 * Each --chain is a PEM certificate chain and its private key. For each connection the server
 * presents the chain whose certificate matches the name the client asked for (TLS SNI); a
 * client that sends no name, or a name no certificate covers, gets the FIRST chain (the client
 * then decides whether that certificate is acceptable: a verifying client refuses it).
 *
 * Prints "listening on HOST:PORT", then echoes every byte back to its sender. SIGINT / SIGTERM
 * close every connection and exit 0. */
#include "stop_on_signal.h"
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAINS 16
#define HIGH_WATER (1u << 20) /* stop reading from a peer that has 1 MiB of echo not yet taken */

/* Reads a whole file; returns {NULL, 0} on failure. */
static bun_tcp_bytes read_file(const char *path) {
  bun_tcp_bytes b = {0};
  FILE *f = fopen(path, "rb");
  if (!f) return b;
  long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  uint8_t *bytes = size > 0 ? malloc((size_t)size) : NULL;
  if (bytes && fseek(f, 0, SEEK_SET) == 0 && fread(bytes, 1, (size_t)size, f) == (size_t)size)
    b = (bun_tcp_bytes){bytes, (size_t)size};
  else
    free(bytes);
  fclose(f);
  return b;
}

static void on_open(bun_tcp_socket s, void *data) {
  fprintf(stderr, "open   %s %s\n", bun_tcp_socket_tls_version(s), bun_tcp_socket_cipher(s));
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  if (bun_tcp_socket_write_all(s, bytes, len) < 0) return; /* socket is going away: close follows */
  if (bun_tcp_socket_buffered_amount(s) > HIGH_WATER) bun_tcp_socket_pause(s);
}

static void on_drain(bun_tcp_socket s, void *data) {
  bun_tcp_socket_resume(s);
}

static void shut_down(void *listener) {
  bun_tcp_listener_stop(*(bun_tcp_listener *)listener, true);
}

static int usage(void) {
  fprintf(stderr, "usage: tls_sni_echo [--port N] [--host H] --chain CERT KEY [--chain CERT KEY]...\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  uint16_t port = 0;
  bun_tcp_bytes certs[MAX_CHAINS], keys[MAX_CHAINS];
  size_t chains = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--port") && i + 1 < argc) port = (uint16_t)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
    else if (!strcmp(argv[i], "--chain") && i + 2 < argc && chains < MAX_CHAINS) {
      certs[chains] = read_file(argv[++i]);
      keys[chains] = read_file(argv[++i]);
      if (!certs[chains].ptr || !keys[chains].ptr) {
        fprintf(stderr, "cannot read %s or %s\n", argv[i - 1], argv[i]);
        return 1;
      }
      chains++;
    } else return usage();
  }
  if (chains == 0) return usage();
  setvbuf(stdout, NULL, _IOLBF, 0); /* line-buffered even into a pipe, so scripts see each line */
  block_stop_signals();

  /* key i belongs to chain i; the library matches the client's SNI against each certificate */
  bun_tcp_tls_options tls = {.cert = certs, .cert_count = chains, .key = keys, .key_count = chains};
  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) {
    fprintf(stderr, "bun_tcp_loop_new: %s\n", bun_tcp_last_error_message());
    return 1;
  }
  bun_tcp_handlers handlers = {.open = on_open, .data = on_data, .drain = on_drain};
  bun_tcp_listen_options opts = {.hostname = host, .port = port, .tls = &tls};
  bun_tcp_listener listener;
  int32_t rc = bun_tcp_listen(loop, &opts, &handlers, &listener); /* copies the PEM inputs */
  for (size_t i = 0; i < chains; i++) {
    free((void *)certs[i].ptr);
    free((void *)keys[i].ptr);
  }
  if (rc != 0) {
    fprintf(stderr, "listen on %s:%u failed: %s (%s)\n", host, (unsigned)port,
            bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }
  printf("listening on %s:%u\n", host, (unsigned)bun_tcp_listener_port(listener));
  stop_on_signal(loop, shut_down, &listener);

  rc = bun_tcp_run(loop); /* until a signal stops the listener and its connections */
  bun_tcp_loop_free(loop);
  return rc < 0 ? 1 : 0;
}
