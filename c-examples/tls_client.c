/* tls_client: send stdin to a TLS server, print what it sends back.
 *
 *   usage: tls_client [--ca ca.crt] [--cert client.crt --key client.key] [--server-name NAME]
 *                     [--alpn h2,http/1.1] [--insecure] HOST PORT  < input > output
 *
 * Connects with TLS and verifies the server against --ca (default: the system trust store) and
 * NAME (default: HOST). Once the handshake is done it logs the negotiated parameters to stderr,
 * sends all of stdin, then ends its side (close_notify + FIN: a half-close, so the server's reply
 * still arrives), and writes every byte it receives to stdout until the server closes.
 * Exit status: 0 after a clean close, 1 on any error (a certificate the client rejects, too).
 *
 * Sending follows Bun's unbuffered contract: bun_tcp_socket_write() takes what it can now and
 * returns that count; the rest is sent again from the `drain` handler. (stdin is read with
 * blocking reads from the handlers, which is fine for files and pipes.) */
#include <bun_tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t chunk[64 * 1024];
static size_t chunk_len, chunk_off; /* bytes of `chunk` read from stdin and not yet sent */
static bool input_done;
static int exit_code = 1;

/* Sends stdin until the socket cannot take more (drain calls us again) or stdin ends. */
static void pump(bun_tcp_socket s) {
  while (!input_done) {
    if (chunk_off == chunk_len) {
      chunk_len = fread(chunk, 1, sizeof chunk, stdin);
      chunk_off = 0;
      if (chunk_len == 0) {
        input_done = true;
        bun_tcp_socket_end(s, NULL, 0); /* close_notify + FIN; we keep reading */
        return;
      }
    }
    int64_t n = bun_tcp_socket_write(s, chunk + chunk_off, chunk_len - chunk_off);
    if (n < 0) return; /* the connection broke: close follows */
    chunk_off += (size_t)n;
    if (chunk_off < chunk_len) return; /* short write: `drain` follows */
  }
}

/* The handshake finished (success tells whether it completed; verify_error is the verdict on the
 * server's certificate, NULL when it was verified). With this handler set, `open` fires earlier,
 * at TCP connect, and writes made before the handshake return 0. */
static void on_handshake(bun_tcp_socket s, void *data, bool success, const bun_tcp_error *verdict) {
  if (!success) return; /* error and close follow with the reason */
  char alpn[64];
  if (bun_tcp_socket_alpn_protocol(s, alpn, sizeof alpn) <= 0) strcpy(alpn, "-");
  fprintf(stderr, "connected: %s %s alpn=%s server certificate %s%s\n",
          bun_tcp_socket_tls_version(s), bun_tcp_socket_cipher(s), alpn,
          verdict ? "NOT verified: " : "verified", verdict ? verdict->name : "");
  pump(s);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  fwrite(bytes, 1, len, stdout);
}

static void on_drain(bun_tcp_socket s, void *data) { pump(s); }

static void on_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  fprintf(stderr, "error: %s: %s\n", err->name, err->message);
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  if (err) fprintf(stderr, "closed: %s: %s\n", err->name, err->message);
  else if (input_done) exit_code = 0; /* the server closed after we sent everything */
}

/* The TCP connect failed (refused, unknown host): no open, no close. */
static void on_connect_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  fprintf(stderr, "connect failed: %s: %s\n", err->name, err->message);
}

static void usage(void) {
  fprintf(stderr, "usage: tls_client [--ca FILE] [--cert FILE --key FILE] [--server-name NAME]\n"
                  "                  [--alpn P1,P2] [--insecure] HOST PORT\n");
  exit(2);
}

int main(int argc, char **argv) {
  bun_tcp_tls_options tls = {0}; /* zero = verify against the system store, TLS 1.2 and 1.3 */
  const char *alpn[8];
  char *alpn_list = NULL;
  const char *host = NULL, *port = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (!strcmp(a, "--ca") && has_value) tls.ca_file = argv[++i];
    else if (!strcmp(a, "--cert") && has_value) tls.cert_file = argv[++i];
    else if (!strcmp(a, "--key") && has_value) tls.key_file = argv[++i];
    else if (!strcmp(a, "--server-name") && has_value) tls.server_name = argv[++i];
    else if (!strcmp(a, "--alpn") && has_value) alpn_list = argv[++i];
    else if (!strcmp(a, "--insecure")) tls.allow_unauthorized = true; /* report, don't refuse */
    else if (a[0] == '-') usage();
    else if (!host) host = a;
    else if (!port) port = a;
    else usage();
  }
  if (!host || !port) usage();
  for (char *p = alpn_list ? strtok(alpn_list, ",") : NULL; p && tls.alpn_count < 8;
       p = strtok(NULL, ","))
    alpn[tls.alpn_count++] = p;
  tls.alpn = alpn;

  bun_tcp_loop *loop = bun_tcp_loop_new();
  if (!loop) {
    fprintf(stderr, "bun_tcp_loop_new: %s\n", bun_tcp_last_error_message());
    return 1;
  }
  bun_tcp_handlers handlers = {.data = on_data,
                               .drain = on_drain,
                               .close = on_close,
                               .error = on_error,
                               .connect_error = on_connect_error,
                               .handshake = on_handshake};
  bun_tcp_connect_options opts = {.hostname = host, .port = (uint16_t)atoi(port), .tls = &tls};
  bun_tcp_socket s;
  /* Bad options (unreadable CA file, key not matching the certificate...) fail right here. */
  int32_t rc = bun_tcp_connect(loop, &opts, &handlers, &s);
  if (rc != 0) {
    fprintf(stderr, "connect: %s (%s)\n", bun_tcp_err_name(rc), bun_tcp_last_error_message());
    bun_tcp_loop_free(loop);
    return 1;
  }
  rc = bun_tcp_run(loop); /* until the socket is closed */
  bun_tcp_loop_free(loop);
  fflush(stdout);
  return rc < 0 ? 1 : exit_code;
}
