/* Listen failures are synchronous and fire no handler: handlers with neither data nor drain, a
 * port in use, a host name that does not resolve, a unix path in use. After them a good listen
 * still works. (A malformed host name: see malformed_host.) */
#include "conf.h"

static bun_tcp_loop *loop;

static void on_data(bun_tcp_socket s, void *d, const uint8_t *b, size_t n) {}
static void on_open(bun_tcp_socket s, void *d) { say("server open (unexpected)"); }

static bun_tcp_listener attempt(const char *what, bun_tcp_listen_options *o) {
  bun_tcp_handlers h = {.data = on_data, .open = on_open};
  bun_tcp_listener l = {0};
  int32_t rc = bun_tcp_listen(loop, o, &h, &l);
  if (rc == 0) say("main listen %s -> ok", what);
  else say("main listen %s -> error %s", what, bun_tcp_err_name(rc));
  return l;
}

int main(void) {
  loop = conf_init(20);
  bun_tcp_handlers open_only = {.open = on_open};
  bun_tcp_listen_options o0 = {.hostname = "127.0.0.1"};
  bun_tcp_listener l0;
  int32_t rc = bun_tcp_listen(loop, &o0, &open_only, &l0);
  if (rc == 0) say("main listen without data/drain -> ok");
  else say("main listen without data/drain -> error # %s", bun_tcp_err_name(rc));

  bun_tcp_listen_options o1 = {.hostname = "127.0.0.1", .port = 0};
  bun_tcp_listener first = attempt("127.0.0.1:0", &o1);
  bun_tcp_listen_options o2 = {.hostname = "127.0.0.1", .port = bun_tcp_listener_port(first)};
  attempt("on the same port", &o2);
  bun_tcp_listen_options o3 = {.hostname = "nonexistent.invalid", .port = 0};
  attempt("on an unknown host", &o3);
  char path[512];
  snprintf(path, sizeof path, "%s/in-use.sock", getenv("CONF_TMP"));
  bun_tcp_listen_options o4 = {.unix_path = path};
  bun_tcp_listener u = attempt("on a unix path", &o4);
  attempt("on the same unix path", &o4);
  bun_tcp_listener_stop(first, false);
  bun_tcp_listener_stop(u, false);
  bun_tcp_listener again = attempt("on the unix path after stop", &o4);
  bun_tcp_listener_stop(again, false);
  return conf_finish(loop);
}
