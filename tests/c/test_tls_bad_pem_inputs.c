/* the header: TLS "bad PEM ... fail listen/connect with a clear error and no handler call", for inputs that
 * look like PEM but are not what they claim, and for PEM files that are not files:
 *   - a CERTIFICATE block of valid base64 that is not DER (as cert, as a later block of a chain, as
 *     ca, in cert_file / ca_file; on listen, connect and upgrade_tls): BUN_TCP_ETLS_BAD_PEM naming
 *     the item ("cert[0]: not a DER certificate");
 *   - a PRIVATE KEY block that is not a key, a ca with no certificate in it, a cert with no block:
 *     BUN_TCP_ETLS_BAD_PEM naming the item;
 *   - a FIFO (no writer) as cert_file / key_file / ca_file: BUN_TCP_EINVAL at once (the open used to
 *     block forever), naming the file; /dev/zero and /dev/urandom likewise (no hang, no memory
 *     growth); a regular file over the 4 MiB cap: -EFBIG.
 * Nothing is created and no handler fires; afterwards a good listen + connect works.
 */
#include "harness.h"

static int g_calls;
static void any_open(bun_tcp_socket s, void *d) { g_calls++; }
static void any_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) { g_calls++; }
static void any_close(bun_tcp_socket s, void *d, const bun_tcp_error *e) { g_calls++; }
static void any_err(bun_tcp_socket s, void *d, const bun_tcp_error *e) { g_calls++; }

static bun_tcp_handlers handlers(void) {
  bun_tcp_handlers h;
  memset(&h, 0, sizeof h);
  h.open = any_open;
  h.data = any_data;
  h.close = any_close;
  h.error = any_err;
  h.connect_error = any_err;
  return h;
}

static bun_tcp_loop *g_loop;

static void check_message(const char *in_message) {
  const char *msg = bun_tcp_last_error_message();
  printf("    -> %s\n", msg);
  CHECK_MSG(strstr(msg, in_message) != NULL, "last_error_message \"%s\" does not mention \"%s\"", msg,
            in_message);
}

static void expect_listen(const char *what, const bun_tcp_tls_options *tls, int32_t code, const char *in_message) {
  test_case(what);
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.tls = tls;
  bun_tcp_handlers h = handlers();
  bun_tcp_listener l = {0};
  CHECK_RC(bun_tcp_listen(g_loop, &o, &h, &l), code);
  CHECK_EQ(l.id, 0);
  check_message(in_message);
  CHECK_EQ(bun_tcp_loop_listener_count(g_loop), 0);
}

static void expect_connect(const char *what, const bun_tcp_tls_options *tls, int32_t code, const char *in_message) {
  test_case(what);
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.hostname = "127.0.0.1";
  o.port = 9;
  o.tls = tls;
  bun_tcp_handlers h = handlers();
  bun_tcp_socket s = {0};
  CHECK_RC(bun_tcp_connect(g_loop, &o, &h, &s), code);
  check_message(in_message);
  CHECK_EQ(bun_tcp_loop_socket_count(g_loop), 0);
}

/* "hello world, this is not DER" in base64: valid base64, not a certificate */
static const char not_der_cert[] =
    "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IERFUg==\n-----END CERTIFICATE-----\n";
static const char not_der_key[] =
    "-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IERFUg==\n-----END PRIVATE KEY-----\n";
static const char no_block[] = "just some text, no PEM block at all\n";

static bun_tcp_bytes text(const char *s) { return tls_bytes_of((const uint8_t *)s, strlen(s)); }

static char g_dir[] = "/tmp/bun_tcp_pem_XXXXXX";
static char g_path[8][PATH_MAX];
static int g_paths;

static const char *write_file(const char *name, const void *bytes, size_t len) {
  char *p = g_path[g_paths++];
  snprintf(p, PATH_MAX, "%s/%s", g_dir, name);
  FILE *f = fopen(p, "wb");
  if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) FAIL("write %s: %s", p, strerror(errno));
  return p;
}

/* an open plain pair, to try upgrade_tls on */
static void upgrade_refused(void) {
  test_case("upgrade_tls with a non-DER cert / ca: ETLS_BAD_PEM, the socket stays plain and open");
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  bun_tcp_listener l = listen_srv(g_loop, &sv, &sh, false);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers ch = rec_handlers();
  bun_tcp_socket c = connect_rec(g_loop, bun_tcp_listener_port(l), &r, &ch, false);
  RUN_UNTIL(g_loop, r.n_open == 1 && sv.n_accepted == 1);
  tls_cfg t;
  tls_cfg_init(&t);
  t.cert[0] = text(not_der_cert);
  t.key[0] = tls_pem("server.key");
  t.o.cert_count = t.o.key_count = 1;
  bun_tcp_handlers uh = rec_handlers();
  CHECK_RC(bun_tcp_socket_upgrade_tls(sv.socks[0].s, &t.o, &uh, true), BUN_TCP_ETLS_BAD_PEM);
  check_message("cert[0]: not a DER certificate");
  tls_cfg_init(&t);
  t.ca[0] = text(not_der_cert);
  t.o.ca_count = 1;
  CHECK_RC(bun_tcp_socket_upgrade_tls(c, &t.o, &uh, false), BUN_TCP_ETLS_BAD_PEM);
  check_message("ca[0]");
  /* both still speak plain TCP */
  CHECK_EQ(bun_tcp_socket_write(c, (const uint8_t *)"x", 1), 1);
  RUN_UNTIL(g_loop, sv.socks[0].n_data == 1);
  CHECK_OK(bun_tcp_socket_close(c));
  RUN_UNTIL(g_loop, sv.socks[0].n_close == 1);
  CHECK_TRACE(&r.tr, "open,close");
  CHECK_TRACE(&sv.socks[0].tr, "open,data:x,end,close");
  bun_tcp_listener_stop(l, true);
  run_for(g_loop, 20);
  srv_free(&sv);
  rec_free(&r);
}

int main(void) {
  test_init("test_tls_bad_pem_inputs", 60);
  (void)tls_fixture_dir();
  if (!mkdtemp(g_dir)) FAIL("mkdtemp: %s", strerror(errno));
  g_loop = new_loop();
  int fds = count_open_fds();
  tls_cfg c;

  /* ---- valid base64, not DER ---- */
  tls_cfg_init(&c);
  c.cert[0] = text(not_der_cert);
  c.key[0] = tls_pem("server.key");
  c.o.cert_count = c.o.key_count = 1;
  expect_listen("non-DER cert", &c.o, BUN_TCP_ETLS_BAD_PEM, "cert[0]: not a DER certificate");
  expect_connect("non-DER client cert", &c.o, BUN_TCP_ETLS_BAD_PEM, "cert[0]: not a DER certificate");
  tls_cfg_init(&c);
  {
    /* a good leaf followed by a non-DER block */
    static char chain[16384];
    bun_tcp_bytes leaf = tls_pem("server.crt");
    CHECK(leaf.len + sizeof not_der_cert < sizeof chain);
    memcpy(chain, leaf.ptr, leaf.len);
    memcpy(chain + leaf.len, not_der_cert, sizeof not_der_cert);
    c.cert[0] = text(chain);
  }
  c.key[0] = tls_pem("server.key");
  c.o.cert_count = c.o.key_count = 1;
  expect_listen("non-DER second block of a chain", &c.o, BUN_TCP_ETLS_BAD_PEM,
                "cert[0]: not a DER certificate (block 2 of 2)");
  tls_cfg_server(&c);
  c.ca[0] = text(not_der_cert);
  c.o.ca_count = 1;
  expect_listen("non-DER ca (server without request_cert)", &c.o, BUN_TCP_ETLS_BAD_PEM, "ca[0]");
  c.o.request_cert = true;
  expect_listen("non-DER ca (server with request_cert)", &c.o, BUN_TCP_ETLS_BAD_PEM, "ca[0]");
  tls_cfg_init(&c);
  c.ca[0] = text(not_der_cert);
  c.o.ca_count = 1;
  expect_connect("non-DER ca (client)", &c.o, BUN_TCP_ETLS_BAD_PEM, "ca[0]");
  tls_cfg_init(&c);
  c.o.cert_file = write_file("not-der.crt", not_der_cert, strlen(not_der_cert));
  c.o.key_file = tls_path("server.key");
  expect_listen("non-DER cert_file", &c.o, BUN_TCP_ETLS_BAD_PEM, "not-der.crt: not a DER certificate");
  tls_cfg_init(&c);
  c.o.ca_file = g_path[0];
  expect_connect("non-DER ca_file", &c.o, BUN_TCP_ETLS_BAD_PEM, "not-der.crt: not a DER certificate");

  /* ---- same class: blocks that are not what they claim, or missing ---- */
  tls_cfg_init(&c);
  c.cert[0] = tls_pem("server.crt");
  c.key[0] = text(not_der_key);
  c.o.cert_count = c.o.key_count = 1;
  expect_listen("a PRIVATE KEY block that is not a key", &c.o, BUN_TCP_ETLS_BAD_PEM, "key[0]");
  tls_cfg_init(&c);
  c.ca[0] = tls_pem("server.key");
  c.o.ca_count = 1;
  expect_connect("a ca with no certificate in it", &c.o, BUN_TCP_ETLS_BAD_PEM, "ca[0]: no CERTIFICATE block");
  tls_cfg_init(&c);
  c.cert[0] = text(no_block);
  c.key[0] = tls_pem("server.key");
  c.o.cert_count = c.o.key_count = 1;
  expect_listen("a cert with no block (empty chain)", &c.o, BUN_TCP_ETLS_BAD_PEM, "cert[0]: no CERTIFICATE block");

  /* junk around the blocks: text (OpenSSL writes "subject=..." lines) is fine, bytes that are not
   * text and a block that never ends are refused */
  {
    static char with_text[16384], with_bytes[16384], unterminated[16384];
    bun_tcp_bytes leaf = tls_pem("server.crt");
    CHECK(leaf.len + 200 < sizeof with_text);
    snprintf(with_text, sizeof with_text, "subject=CN = localhost\nissuer=CN = test ca\n\n%.*s# end\n", (int)leaf.len,
             (const char *)leaf.ptr);
    snprintf(with_bytes, sizeof with_bytes, "%.*s\x01\x02\xff\xfe junk\n", (int)leaf.len, (const char *)leaf.ptr);
    snprintf(unterminated, sizeof unterminated, "%.*s-----BEGIN CERTIFICATE-----\nMIIB\n", (int)leaf.len,
             (const char *)leaf.ptr);
    test_case("explanatory text around the blocks is accepted");
    tls_cfg_init(&c);
    c.cert[0] = text(with_text);
    c.key[0] = tls_pem("server.key");
    c.o.cert_count = c.o.key_count = 1;
    bun_tcp_listen_options o;
    memset(&o, 0, sizeof o);
    o.hostname = "127.0.0.1";
    o.tls = &c.o;
    bun_tcp_handlers h = handlers();
    bun_tcp_listener l = {0};
    CHECK_OK(bun_tcp_listen(g_loop, &o, &h, &l));
    CHECK_OK(bun_tcp_listener_stop(l, false));
    run_for(g_loop, 10);
    c.cert[0] = text(with_bytes);
    expect_listen("binary junk after the block", &c.o, BUN_TCP_ETLS_BAD_PEM, "cert[0]: not PEM text");
    c.cert[0] = text(unterminated);
    expect_listen("a block that never ends", &c.o, BUN_TCP_ETLS_BAD_PEM, "cert[0]");
    tls_cfg_init(&c);
    c.ca[0] = text(with_bytes);
    c.o.ca_count = 1;
    expect_connect("binary junk in a ca", &c.o, BUN_TCP_ETLS_BAD_PEM, "ca[0]: not PEM text");
    tls_cfg_init(&c);
    c.cert[0] = tls_pem("server.crt");
    static char key_with_bytes[16384];
    bun_tcp_bytes key = tls_pem("server.key");
    snprintf(key_with_bytes, sizeof key_with_bytes, "\x01\x02junk\n%.*s", (int)key.len, (const char *)key.ptr);
    c.key[0] = text(key_with_bytes);
    c.o.cert_count = c.o.key_count = 1;
    expect_listen("binary junk before a key", &c.o, BUN_TCP_ETLS_BAD_PEM, "key[0]: not PEM text");
  }

  /* ---- files that are not regular files ---- */
  char fifo[PATH_MAX];
  snprintf(fifo, sizeof fifo, "%s/pem.fifo", g_dir);
  if (mkfifo(fifo, 0600) != 0) FAIL("mkfifo: %s", strerror(errno));
  double t0 = now_ms();
  tls_cfg_init(&c);
  c.o.cert_file = fifo;
  c.o.key_file = tls_path("server.key");
  expect_listen("a FIFO as cert_file", &c.o, BUN_TCP_EINVAL, "pem.fifo is a FIFO");
  tls_cfg_init(&c);
  c.o.cert_file = tls_path("server.crt");
  c.o.key_file = fifo;
  expect_listen("a FIFO as key_file", &c.o, BUN_TCP_EINVAL, "pem.fifo is a FIFO");
  tls_cfg_init(&c);
  c.o.ca_file = fifo;
  expect_connect("a FIFO as ca_file", &c.o, BUN_TCP_EINVAL, "pem.fifo is a FIFO");
  CHECK_CMP(now_ms() - t0, <, 1000);
  tls_cfg_init(&c);
  c.o.cert_file = "/dev/zero";
  c.o.key_file = tls_path("server.key");
  expect_listen("/dev/zero as cert_file", &c.o, BUN_TCP_EINVAL, "/dev/zero is a character device");
  tls_cfg_init(&c);
  c.o.ca_file = "/dev/urandom";
  expect_connect("/dev/urandom as ca_file", &c.o, BUN_TCP_EINVAL, "/dev/urandom is a character device");
  {
    char big[PATH_MAX];
    snprintf(big, sizeof big, "%s/big.pem", g_dir);
    int fd = open(big, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, 5 * 1024 * 1024) != 0) FAIL("big file: %s", strerror(errno));
    close(fd);
    tls_cfg_init(&c);
    c.o.cert_file = big;
    c.o.key_file = tls_path("server.key");
    expect_listen("a 5 MiB cert_file", &c.o, -EFBIG, "larger than 4 MiB");
    unlink(big);
  }
  {
    /* A unix socket file: open(2) fails with ENXIO; the refusal names what the file is. */
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    const char *sock_path = sun.sun_path;
    int n = snprintf(sun.sun_path, sizeof sun.sun_path, "%s/pem.sock", g_dir);
    if (n < 0 || (size_t)n >= sizeof sun.sun_path) FAIL("fixture directory path too long for a unix socket");
    int sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sfd < 0 || bind(sfd, (struct sockaddr *)&sun, sizeof sun) != 0) FAIL("unix socket file: %s", strerror(errno));
    tls_cfg_init(&c);
    c.o.cert_file = sock_path;
    c.o.key_file = tls_path("server.key");
    expect_listen("a unix socket file as cert_file", &c.o, BUN_TCP_EINVAL, "pem.sock is a socket");
    tls_cfg_init(&c);
    c.o.ca_file = sock_path;
    expect_connect("a unix socket file as ca_file", &c.o, BUN_TCP_EINVAL, "pem.sock is a socket");
    close(sfd);
    unlink(sock_path);
  }
  unlink(fifo);
  CHECK_EQ(count_open_fds(), fds);

  upgrade_refused();

  test_case("no handler fired; a good TLS listen + connect still works");
  CHECK_EQ(g_calls, 0);
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  srv_t sv;
  srv_init(&sv);
  bun_tcp_handlers sh = rec_handlers();
  bun_tcp_listener l = listen_tls_srv(g_loop, &sv, &sh, &server.o, NULL);
  rec_t r;
  rec_init(&r);
  bun_tcp_handlers ch = rec_handlers();
  bun_tcp_socket s = connect_tls_rec(g_loop, NULL, bun_tcp_listener_port(l), &r, &ch, &client.o);
  RUN_UNTIL(g_loop, r.n_open == 1);
  CHECK_OK(bun_tcp_socket_close(s));
  bun_tcp_listener_stop(l, true);
  run_for(g_loop, 20);
  bun_tcp_loop_free(g_loop);
  for (int i = 0; i < g_paths; i++) unlink(g_path[i]);
  rmdir(g_dir);
  srv_free(&sv);
  rec_free(&r);
  tls_fixtures_free();
  return test_pass();
}
