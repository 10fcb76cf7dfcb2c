/* the header: peer FIN and half-open: TLS over a unix-domain socket.
 *
 * A TLS listener on a unix path (server.crt); a client over the same path that trusts the CA:
 *   - without server_name the name verified is "localhost" (no hostname on a unix socket), which
 *     server.crt carries: handshake(true, NULL), authorized, the echo works:
 *     client "open,handshake:ok,data:ping,end,close", server "open,data:ping,end,close";
 *   - with server_name "other.example" the same certificate is refused:
 *     "open,handshake:fail:ERR_TLS_CERT_ALTNAME_INVALID,error:..,close_err:..";
 *   - an abstract name works the same way.
 */
#include "harness.h"
#include "unix_common.h"

static bun_tcp_socket g_cli;

static void cli_handshake(bun_tcp_socket s, void *d, bool ok, const bun_tcp_error *e) {
  rec_on_handshake(s, d, ok, e);
  if (ok && !e) {
    CHECK(bun_tcp_socket_authorized(s));
    CHECK(tls_peer_cert_is(s, "server.crt"));
    CHECK_EQ(bun_tcp_socket_write(s, (const uint8_t *)"ping", 4), 4);
  }
}
static void cli_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  if (((rec_t *)d)->in.len == 4) CHECK_EQ(bun_tcp_socket_end(s, NULL, 0), 0);
}
static void srv_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {
  rec_on_data(s, d, b, n);
  CHECK_EQ(bun_tcp_socket_write(s, b, n), (long long)n);
}

static void run(const char *name, const char *path, const char *server_name, const char *cli_trace,
                const char *srv_trace) {
  test_case(name);
  tls_cfg server, client;
  tls_cfg_server(&server);
  tls_cfg_client(&client);
  client.o.server_name = server_name;
  bun_tcp_loop *loop = new_loop();
  srv_t sv;
  srv_init(&sv);
  rec_t cr;
  rec_init(&cr);
  bun_tcp_handlers sh = rec_handlers();
  sh.data = srv_data;
  bun_tcp_handlers ch = rec_handlers();
  ch.handshake = cli_handshake;
  ch.data = cli_data;
  bun_tcp_listen_options lo;
  memset(&lo, 0, sizeof lo);
  lo.unix_path = path;
  lo.unix_path_len = path[0] == '\0' ? 1 + strlen(path + 1) : 0; /* an abstract name needs its length */
  lo.data = &sv;
  lo.tls = &server.o;
  bun_tcp_listener l;
  CHECK_OK(bun_tcp_listen(loop, &lo, &sh, &l));
  bun_tcp_connect_options co;
  memset(&co, 0, sizeof co);
  co.unix_path = path;
  co.unix_path_len = lo.unix_path_len;
  co.data = &cr;
  co.tls = &client.o;
  CHECK_OK(bun_tcp_connect(loop, &co, &ch, &g_cli));
  RUN_UNTIL(loop, cr.n_close == 1 && (sv.n_accepted == 0 || sv.socks[0].n_close == 1));
  run_for(loop, 50);
  CHECK_TRACE(&cr.tr, cli_trace);
  if (srv_trace)
    CHECK_TRACE(&sv.socks[0].tr, srv_trace);
  else
    CHECK_EQ(sv.n_accepted, 0);
  CHECK_OK(bun_tcp_listener_stop(l, true));
  bun_tcp_loop_free(loop);
  srv_free(&sv);
  rec_free(&cr);
}

int main(void) {
  test_init("test_tls_unix_socket", 60);
  char path[128];
  unix_test_path(path, sizeof path, "tls");
  run("unix path, default name localhost", path, NULL, "open,handshake:ok,data:ping,end,close",
      "open,data:ping,end,close");
  CHECK(!path_exists(path)); /* unlinked on stop */
  run("unix path, server_name other.example: refused", path, "other.example",
      "open,handshake:fail:ERR_TLS_CERT_ALTNAME_INVALID,error:ERR_TLS_CERT_ALTNAME_INVALID,"
      "close_err:ERR_TLS_CERT_ALTNAME_INVALID",
      NULL);
  char abstract_name[64];
  abstract_name[0] = '\0';
  snprintf(abstract_name + 1, sizeof abstract_name - 1, "bun_tcp_tls_%ld", (long)getpid());
  run("abstract name", abstract_name, NULL, "open,handshake:ok,data:ping,end,close",
      "open,data:ping,end,close");
  tls_fixtures_free();
  return test_pass();
}
