/* handshake_client: sequential TLS handshakes on bun_tcp, for bench/tls/handshake.sh.
 *
 *   usage: handshake_client PORT CA_FILE full|resumed 1.2|1.3 SECONDS|-n COUNT
 *
 * Env HANDSHAKE_SUITE=NAME: offer only that cipher suite (IANA name, e.g. TLS_AES_128_GCM_SHA256;
 * by default rustls offers TLS_AES_256_GCM_SHA384 first, whose key schedule hashes with SHA-384).
 *
 * One connection at a time, on one loop: connect to 127.0.0.1:PORT (TLS, exactly the version
 * given, the server verified against CA_FILE), wait for `handshake`, note
 * bun_tcp_socket_session_reused, send "PING\r\n", wait for "+PONG\r\n", close; then the next, for
 * SECONDS (or COUNT connections). Latency-bound: handshakes per second here is one client's
 * reconnect rate, and the server's CPU per handshake (measured by the script) is its cost.
 *
 * Why a PING round trip and not a close right at `handshake`: a TLS 1.3 server sends its session
 * tickets after it has read the client's Finished, i.e. after the client's handshake is over; a
 * client that closed at once would never read them and could not resume next time. The PONG
 * follows the tickets on the stream, so once it arrived the ticket is in the session cache.
 *
 * full:    disable_session_resumption, so every handshake is full (one resumed is an error).
 * resumed: the defaults (resumption on): the loop's session cache lets every handshake after the
 *          first resume. The first one must be full; the share of resumed ones is reported (the
 *          script fails a run below 95%).
 * Every connect uses equal TLS options (the CA read once, as PEM bytes), as an application
 * reconnecting with the same settings would.
 *
 * Prints one line: "handshakes N reused R seconds S version TLSv1.x cipher NAME".
 * Exit 0; 1 on any failure (connect error, failed handshake or verification, another version,
 * a resumed handshake in full mode or on the first connect, no PONG, an error on the socket). */
#include <bun_tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { MODE_FULL, MODE_RESUMED } resumption_mode;

static struct {
  bun_tcp_loop *loop;
  uint16_t port;
  bun_tcp_tls_options tls;
  bun_tcp_bytes ca;
  bun_tcp_handlers handlers;
  resumption_mode mode;
  const char *want_version; /* "TLSv1.2" / "TLSv1.3" */
  double seconds;           /* > 0: run for this long */
  long max_count;           /* > 0: run this many connections */
  double start;
  long handshakes, reused;
  char pong[8];
  size_t pong_len;
  char cipher[64];
} run;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char *what, const bun_tcp_error *e) {
  fprintf(stderr, "handshake_client: connection %ld: %s%s%s%s%s\n", run.handshakes + 1, what,
          e ? ": " : "", e && e->name ? e->name : "", e && e->message ? " " : "",
          e && e->message ? e->message : "");
  exit(1);
}

static void connect_next(void) {
  bun_tcp_connect_options opts = {.hostname = "127.0.0.1", .port = run.port, .tls = &run.tls};
  bun_tcp_socket s;
  int32_t rc = bun_tcp_connect(run.loop, &opts, &run.handlers, &s);
  if (rc != 0) {
    fprintf(stderr, "handshake_client: connect: %s (%s)\n", bun_tcp_err_name(rc),
            bun_tcp_last_error_message());
    exit(1);
  }
  run.pong_len = 0;
}

static void on_handshake(bun_tcp_socket s, void *data, bool ok, const bun_tcp_error *verify_error) {
  if (!ok) fail("handshake failed", verify_error);
  if (verify_error) fail("the server's certificate did not verify", verify_error);
  const char *version = bun_tcp_socket_tls_version(s);
  if (!version || strcmp(version, run.want_version) != 0)
    fail(version ? version : "no TLS version", NULL);
  bool reused = bun_tcp_socket_session_reused(s);
  if (reused && (run.mode == MODE_FULL || run.handshakes == 0))
    fail(run.mode == MODE_FULL ? "resumed although resumption is disabled"
                               : "the first handshake resumed (nothing to resume yet)",
         NULL);
  if (run.handshakes == 0) snprintf(run.cipher, sizeof run.cipher, "%s", bun_tcp_socket_cipher(s));
  run.handshakes++;
  run.reused += reused;
  static const char ping[] = "PING\r\n";
  if (bun_tcp_socket_write_all(s, (const uint8_t *)ping, sizeof ping - 1) != (int64_t)(sizeof ping - 1))
    fail("write", NULL);
}

static void on_data(bun_tcp_socket s, void *data, const uint8_t *bytes, size_t len) {
  static const char want[] = "+PONG\r\n";
  if (run.pong_len + len > sizeof want - 1) fail("more than a PONG arrived", NULL);
  memcpy(run.pong + run.pong_len, bytes, len);
  run.pong_len += len;
  if (run.pong_len < sizeof want - 1) return;
  if (memcmp(run.pong, want, sizeof want - 1) != 0) fail("the reply is not +PONG", NULL);
  bun_tcp_socket_close(s); /* `close` runs before this returns and starts the next connect */
}

static void on_close(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  if (err) fail("closed with an error", err);
  if (run.pong_len != 7) fail("closed before the PONG", NULL);
  bool done = run.max_count > 0 ? run.handshakes >= run.max_count : now_s() - run.start >= run.seconds;
  if (!done) connect_next(); /* else the loop has nothing left: bun_tcp_run returns */
}

static void on_connect_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) {
  fail("connect failed", err);
}

static void on_error(bun_tcp_socket s, void *data, const bun_tcp_error *err) { fail("socket error", err); }

static bun_tcp_bytes read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(1);
  }
  size_t cap = 1 << 16, len = 0, n;
  uint8_t *buf = malloc(cap);
  while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf || len == 0) {
    fprintf(stderr, "handshake_client: cannot read %s\n", path);
    exit(1);
  }
  return (bun_tcp_bytes){buf, len};
}

static void usage(void) {
  fprintf(stderr, "usage: [HANDSHAKE_SUITE=NAME] handshake_client PORT CA_FILE full|resumed 1.2|1.3 "
                  "SECONDS|-n COUNT\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 6 || argc > 7) usage();
  run.port = (uint16_t)atoi(argv[1]);
  run.ca = read_file(argv[2]);
  if (strcmp(argv[3], "full") == 0) run.mode = MODE_FULL;
  else if (strcmp(argv[3], "resumed") == 0) run.mode = MODE_RESUMED;
  else usage();
  uint16_t version = 0;
  if (strcmp(argv[4], "1.2") == 0) version = BUN_TCP_TLS1_2, run.want_version = "TLSv1.2";
  else if (strcmp(argv[4], "1.3") == 0) version = BUN_TCP_TLS1_3, run.want_version = "TLSv1.3";
  else usage();
  if (argc == 7) {
    if (strcmp(argv[5], "-n") != 0 || (run.max_count = atol(argv[6])) <= 0) usage();
  } else if ((run.seconds = atof(argv[5])) <= 0) {
    usage();
  }

  run.tls.ca = &run.ca;
  run.tls.ca_count = 1;
  run.tls.min_version = version;
  run.tls.max_version = version;
  run.tls.disable_session_resumption = run.mode == MODE_FULL;
  const char *suite = getenv("HANDSHAKE_SUITE");
  if (suite && *suite) {
    run.tls.cipher_suites = &suite;
    run.tls.cipher_suites_count = 1;
  }
  run.handlers = (bun_tcp_handlers){.handshake = on_handshake, .data = on_data, .close = on_close,
                                    .connect_error = on_connect_error, .error = on_error};
  run.loop = bun_tcp_loop_new();
  if (!run.loop) {
    fprintf(stderr, "handshake_client: bun_tcp_loop_new: %s\n", bun_tcp_last_error_message());
    return 1;
  }
  run.start = now_s();
  connect_next();
  int32_t rc = bun_tcp_run(run.loop);
  double elapsed = now_s() - run.start;
  if (rc < 0) {
    fprintf(stderr, "handshake_client: bun_tcp_run: %s\n", bun_tcp_err_name(rc));
    return 1;
  }
  bun_tcp_loop_free(run.loop);
  free((void *)run.ca.ptr);
  printf("handshakes %ld reused %ld seconds %.3f version %s cipher %s\n", run.handshakes, run.reused,
         elapsed, run.want_version, run.cipher);
  return 0;
}
