/* the header: bun_tcp_tls_options.cipher_suites / groups; catalogue "TLS: restricted suites and
 * groups". The openssl cases are skipped (exit 77) without the openssl CLI.
 *
 *   - bun_tcp <-> bun_tcp: a server restricted to TLS_CHACHA20_POLY1305_SHA256 negotiates it
 *     (bun_tcp_socket_cipher on both ends, traces "open,data:hi,end,close" both sides); a client
 *     restricted to "tls_aes_256_gcm_sha384" (any case) negotiates TLS_AES_256_GCM_SHA384; a TLS 1.2
 *     server restricted to TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 negotiates it (TLSv1.2).
 *   - refused at the call with BUN_TCP_EINVAL, the last error message naming the entry: an unknown
 *     suite ("cipher_suites[1]"), an unknown group ("groups[0]"), a name listed twice, a NULL
 *     array with a count, a NULL entry, an empty entry; for listen, connect (nothing fires, no
 *     socket) and listener_set_tls (the old config stays: a handshake still succeeds).
 *   - openssl s_client -> a bun_tcp server restricted to groups {secp384r1} and suites
 *     {TLS_CHACHA20_POLY1305_SHA256}: s_client -groups X25519:secp384r1 -ciphersuites
 *     TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256 succeeds with "Cipher is
 *     TLS_CHACHA20_POLY1305_SHA256" and "Server Temp Key: ECDH, secp384r1"; -groups X25519 alone
 *     fails, -ciphersuites TLS_AES_128_GCM_SHA256 alone fails.
 */
#include "harness.h"
#include <sys/wait.h>

static const char *g_want_cipher;
static const char *g_want_version;

static void check_negotiated(bun_tcp_socket s) {
  CHECK_STR(bun_tcp_socket_cipher(s), g_want_cipher);
  CHECK_STR(bun_tcp_socket_tls_version(s), g_want_version);
}
static void cli_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  check_negotiated(s);
  CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"hi", 2), 2);
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->in.len == 2) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void srv_open(bun_tcp_socket s, void *d) {
  rec_on_open(s, d);
  check_negotiated(s);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

/* One echo exchange between a server and a client with these options; checks the negotiated
 * suite and version on both ends and the exact traces. */
static void exchange(const bun_tcp_tls_options *server_tls, const bun_tcp_tls_options *client_tls) {
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers sh = rec_handlers();
  sh.open = srv_open;
  sh.data = srv_data;
  bun_tcp_handlers ch = rec_handlers();
  ch.open = cli_open;
  ch.data = cli_data;
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &sh, server_tls, NULL);
  connect_tls_rec(loop, "127.0.0.1", bun_tcp_listener_port(l), &cr, &ch, client_tls);
  RUN_UNTIL(loop, cr.n_close == 1 && sv.n_accepted == 1 && sv.socks[0].n_close == 1);
  CHECK_TRACE(&cr.tr, "open,data:hi,end,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:hi,end,close");
  CHECK_EQ(cr.n_error + sv.socks[0].n_error, 0);
  CHECK_EQ(bun_tcp_listener_stop(l, true), 0);
  run_for(loop, 20);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

static void restricted_exchanges(void) {
  static const char *chacha[] = {"TLS_CHACHA20_POLY1305_SHA256"};
  static const char *aes256[] = {"tls_aes_256_gcm_sha384"};
  static const char *tls12[] = {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"};
  static const char *p384[] = {"secp384r1"};
  tls_cfg server, client;

  test_case("server restricted to TLS_CHACHA20_POLY1305_SHA256 and secp384r1: both ends say so");
  tls_cfg_server(&server);
  server.o.cipher_suites = chacha;
  server.o.cipher_suites_count = 1;
  server.o.groups = p384;
  server.o.groups_count = 1;
  tls_cfg_client(&client);
  g_want_cipher = "TLS_CHACHA20_POLY1305_SHA256";
  g_want_version = "TLSv1.3";
  exchange(&server.o, &client.o);

  test_case("client restricted to tls_aes_256_gcm_sha384 (any case)");
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  client.o.cipher_suites = aes256;
  client.o.cipher_suites_count = 1;
  g_want_cipher = "TLS_AES_256_GCM_SHA384";
  exchange(&server.o, &client.o);

  test_case("TLS 1.2 server restricted to TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
  tls_cfg_server(&server);
  server.o.max_version = BUN_TCP_TLS1_2;
  server.o.cipher_suites = tls12;
  server.o.cipher_suites_count = 1;
  tls_cfg_client(&client);
  g_want_cipher = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
  g_want_version = "TLSv1.2";
  exchange(&server.o, &client.o);
}

static void check_last_error_has(const char *needle) {
  const char *msg = bun_tcp_last_error_message();
  CHECK_MSG(msg && strstr(msg, needle), "last error \"%s\" lacks \"%s\"", harness_str(msg), needle);
}

static void refused_names(void) {
  static const char *unknown_suite[] = {"TLS_AES_128_GCM_SHA256", "RC4-MD5"};
  static const char *unknown_group[] = {"ffdhe9999"};
  static const char *twice[] = {"x25519", "X25519"};
  static const char *null_entry[] = {NULL};
  static const char *empty_entry[] = {""};
  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listen_options lo = {.hostname = "127.0.0.1", .port = 0};
  bun_tcp_listener l = {0};
  tls_cfg bad;

  test_case("listen: an unknown suite, an unknown group, twice, NULL array, NULL / empty entry");
  tls_cfg_server(&bad);
  bad.o.cipher_suites = unknown_suite;
  bad.o.cipher_suites_count = 2;
  lo.tls = &bad.o;
  CHECK_RC(bun_tcp_listen(loop, &lo, &h, &l), BUN_TCP_EINVAL);
  check_last_error_has("cipher_suites[1]: unknown name \"RC4-MD5\"");
  CHECK_EQ(l.id, 0);
  tls_cfg_server(&bad);
  bad.o.groups = unknown_group;
  bad.o.groups_count = 1;
  CHECK_RC(bun_tcp_listen(loop, &lo, &h, &l), BUN_TCP_EINVAL);
  check_last_error_has("groups[0]: unknown name \"ffdhe9999\"");
  tls_cfg_server(&bad);
  bad.o.groups = twice;
  bad.o.groups_count = 2;
  CHECK_RC(bun_tcp_listen(loop, &lo, &h, &l), BUN_TCP_EINVAL);
  check_last_error_has("groups[1]");
  tls_cfg_server(&bad);
  bad.o.cipher_suites_count = 1; /* NULL array */
  CHECK_RC(bun_tcp_listen(loop, &lo, &h, &l), BUN_TCP_EINVAL);
  check_last_error_has("cipher_suites is NULL");
  tls_cfg_server(&bad);
  bad.o.groups = null_entry;
  bad.o.groups_count = 1;
  CHECK_RC(bun_tcp_listen(loop, &lo, &h, &l), BUN_TCP_EINVAL);
  check_last_error_has("groups[0] is NULL");
  tls_cfg_server(&bad);
  bad.o.cipher_suites = empty_entry;
  bad.o.cipher_suites_count = 1;
  CHECK_RC(bun_tcp_listen(loop, &lo, &h, &l), BUN_TCP_EINVAL);
  check_last_error_has("cipher_suites[0] is empty");
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);

  test_case("connect: an unknown suite is refused at the call, nothing fires");
  srv_t sv;
  srv_init(&sv);
  tls_cfg good;
  tls_cfg_server(&good);
  bun_tcp_listener srv = listen_tls_srv(loop, &sv, &h, &good.o, NULL);
  tls_cfg_client(&bad);
  bad.o.cipher_suites = unknown_suite;
  bad.o.cipher_suites_count = 2;
  rec_t cr;
  rec_init(&cr);
  bun_tcp_connect_options co = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(srv), .tls = &bad.o, .data = &cr};
  bun_tcp_socket c = {0};
  CHECK_RC(bun_tcp_connect(loop, &co, &h, &c), BUN_TCP_EINVAL);
  check_last_error_has("cipher_suites[1]");
  run_for(loop, 20);
  CHECK_TRACE(&cr.tr, "");
  CHECK_EQ(sv.n_accepted, 0);

  test_case("listener_set_tls: an unknown group is refused, the old config stays");
  tls_cfg_server(&bad);
  bad.o.groups = unknown_group;
  bad.o.groups_count = 1;
  CHECK_RC(bun_tcp_listener_set_tls(srv, &bad.o), BUN_TCP_EINVAL);
  check_last_error_has("groups[0]");
  tls_cfg client;
  tls_cfg_client(&client);
  rec_t ok;
  rec_init(&ok);
  bun_tcp_handlers ch = rec_handlers();
  connect_tls_rec(loop, "127.0.0.1", bun_tcp_listener_port(srv), &ok, &ch, &client.o);
  RUN_UNTIL(loop, ok.n_open == 1 && sv.n_accepted == 1);
  CHECK_EQ(ok.n_error, 0);
  CHECK_EQ(bun_tcp_listener_stop(srv, true), 0);
  RUN_UNTIL(loop, ok.n_close == 1);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
  rec_free(&ok);
}

/* ---- openssl s_client -> restricted bun_tcp server ---------------------------------------- */
static char g_out[PATH_MAX + 64];

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return strdup("");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  CHECK(s != NULL);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = 0;
  fclose(f);
  return s;
}

/* Runs `openssl s_client` (stdin at EOF: it handshakes, then quits) while the loop serves;
 * returns its exit status and leaves its output in g_out. */
static int s_client(bun_tcp_loop *loop, uint16_t port, const char *flag, const char *value) {
  char connect[64];
  snprintf(connect, sizeof connect, "127.0.0.1:%u", (unsigned)port);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int fd = open(g_out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("OPENSSL_CONF", "/dev/null", 1);
    execlp("openssl", "openssl", "s_client", "-connect", connect, "-tls1_3", "-CAfile", tls_path("ca.crt"),
           "-servername", "localhost", flag, value, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  bool done = false;
  RUN_UNTIL(loop, (done = done || waitpid(pid, &status, WNOHANG) == pid));
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void openssl_cases(void) {
  static const char *chacha[] = {"TLS_CHACHA20_POLY1305_SHA256"};
  static const char *p384[] = {"secp384r1"};
  snprintf(g_out, sizeof g_out, "%s/s_client-cipher-groups-%d.txt", tls_fixture_dir(), (int)getpid());
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  tls_cfg server;
  tls_cfg_server(&server);
  server.o.cipher_suites = chacha;
  server.o.cipher_suites_count = 1;
  server.o.groups = p384;
  server.o.groups_count = 1;
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listener l = listen_tls_srv(loop, &sv, &h, &server.o, NULL);
  uint16_t port = bun_tcp_listener_port(l);

  test_case("openssl s_client -groups X25519:secp384r1: secp384r1 and TLS_CHACHA20_POLY1305_SHA256");
  int rc = s_client(loop, port, "-groups", "X25519:secp384r1");
  char *text = slurp(g_out);
  CHECK_MSG(rc == 0, "s_client failed (%d):\n%s", rc, text);
  CHECK_MSG(strstr(text, "Cipher is TLS_CHACHA20_POLY1305_SHA256") != NULL, "not the restricted suite:\n%s", text);
  CHECK_MSG(strstr(text, "Server Temp Key: ECDH, secp384r1") != NULL, "not the restricted group:\n%s", text);
  free(text);

  test_case("openssl s_client -ciphersuites TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
  rc = s_client(loop, port, "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
  text = slurp(g_out);
  CHECK_MSG(rc == 0, "s_client failed (%d):\n%s", rc, text);
  CHECK_MSG(strstr(text, "Cipher is TLS_CHACHA20_POLY1305_SHA256") != NULL, "not the restricted suite:\n%s", text);
  free(text);

  test_case("openssl s_client -groups X25519 alone: no handshake");
  rc = s_client(loop, port, "-groups", "X25519");
  text = slurp(g_out);
  CHECK_MSG(rc != 0 && strstr(text, "Cipher is TLS_") == NULL, "s_client succeeded (%d):\n%s", rc, text);
  free(text);

  test_case("openssl s_client -ciphersuites TLS_AES_128_GCM_SHA256 alone: no handshake");
  rc = s_client(loop, port, "-ciphersuites", "TLS_AES_128_GCM_SHA256");
  text = slurp(g_out);
  CHECK_MSG(rc != 0 && strstr(text, "Cipher is TLS_") == NULL, "s_client succeeded (%d):\n%s", rc, text);
  free(text);

  CHECK_EQ(bun_tcp_listener_stop(l, true), 0);
  run_for(loop, 20);
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  unlink(g_out);
}

int main(void) {
  test_init("test_tls_cipher_groups", 120);
  restricted_exchanges();
  refused_names();
  if (system("openssl version > /dev/null 2>&1") != 0) {
    printf("SKIP (openssl cases): no openssl CLI\n");
  } else {
    openssl_cases();
  }
  tls_fixtures_free();
  return test_pass();
}
