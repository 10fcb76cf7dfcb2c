/* unix_path and its length: "" (a lone NUL) is BUN_TCP_EINVAL for listen and connect, and nothing
 * past that first byte is ever read (valgrind checks it: the string is a 1-byte heap block). A leading
 * '\0' selects an abstract name only together with unix_path_len (the name's bytes follow the NUL):
 * without a length it is BUN_TCP_EINVAL, because the library cannot know the buffer goes on. */
#include "harness.h"
#include "unix_common.h"

static srv_t sv;
static rec_t c, c2;
static char *empty; /* "" in a 1-byte heap block: valgrind reports any read past it */

static int32_t try_listen(bun_tcp_loop *loop, const char *path, size_t len, bun_tcp_listener *l) {
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.unix_path = path;
  o.unix_path_len = len;
  o.data = &sv;
  return bun_tcp_listen(loop, &o, &h, l);
}

static int32_t try_connect(bun_tcp_loop *loop, const char *path, size_t len, rec_t *r) {
  bun_tcp_handlers h = rec_handlers();
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.unix_path = path;
  o.unix_path_len = len;
  o.data = r;
  return bun_tcp_connect(loop, &o, &h, &r->s);
}

int main(void) {
  test_init("unix_path_empty", 30);
  bun_tcp_loop *loop = new_loop();
  srv_init(&sv);
  rec_init(&c);
  rec_init(&c2);
  bun_tcp_listener l = {0};
  empty = malloc(1);
  if (!empty) FAIL("malloc");
  empty[0] = '\0';

  test_case("\"\" is EINVAL (listen, connect)");
  CHECK_RC(try_listen(loop, empty, 0, &l), BUN_TCP_EINVAL);
  CHECK_EQ(l.id, 0);
  CHECK_RC(try_connect(loop, empty, 0, &c), BUN_TCP_EINVAL);

  test_case("a leading NUL without unix_path_len is EINVAL");
  char name[64];
  name[0] = '\0';
  int n = snprintf(name + 1, sizeof name - 1, "bun_tcp_test_empty_%ld", (long)getpid());
  CHECK_RC(try_listen(loop, name, 0, &l), BUN_TCP_EINVAL);
  CHECK_RC(try_connect(loop, name, 0, &c), BUN_TCP_EINVAL);

  test_case("lengths that name nothing, or more than fits");
  CHECK_RC(try_listen(loop, empty, 1, &l), BUN_TCP_EINVAL);       /* "\0" alone: no name byte */
  CHECK_RC(try_connect(loop, empty, 1, &c), BUN_TCP_EINVAL);
  char big[200];
  memset(big, 'a', sizeof big);
  big[0] = '\0';
  CHECK_RC(try_listen(loop, big, sizeof big, &l), -ENAMETOOLONG); /* 199 name bytes > 107 */
  CHECK_RC(try_connect(loop, big, 109, &c), -ENAMETOOLONG);       /* 108 name bytes > 107 */
  big[0] = '/';
  CHECK_RC(try_listen(loop, big, 108, &l), -ENAMETOOLONG);        /* a 108-byte path > 107 */
  char inner[8] = {'\0', 'a', 'b', '\0', 'c', 'd', 'e', 'f'};
  CHECK_RC(try_listen(loop, inner, sizeof inner, &l), BUN_TCP_EINVAL); /* a NUL inside the name */
  CHECK_RC(try_listen(loop, "/tmp/x\0y", 8, &l), BUN_TCP_EINVAL);     /* a NUL inside a path */
  CHECK_RC(try_listen(loop, NULL, 5, &l), BUN_TCP_EINVAL);            /* a length without a path */
  CHECK_EQ(l.id, 0);

  test_case("an abstract name with its length: listen, connect");
  CHECK_OK(try_listen(loop, name, (size_t)n + 1, &l));
  sv.l = l;
  CHECK_OK(try_connect(loop, name, (size_t)n + 1, &c2));
  RUN_UNTIL(loop, c2.n_open == 1 && sv.n_accepted == 1);
  CHECK_TRACE(&c2.tr, "open");

  test_case("a path with its length (no NUL needed after it)");
  char path[108];
  unix_test_path(path, sizeof path, "empty_len");
  size_t plen = strlen(path);
  char unterminated[120];
  memcpy(unterminated, path, plen);
  memset(unterminated + plen, 'Z', sizeof unterminated - plen); /* no NUL: only plen bytes are read */
  bun_tcp_listener l2 = {0};
  CHECK_OK(try_listen(loop, unterminated, plen, &l2));
  CHECK(path_is_socket(path));
  CHECK_OK(bun_tcp_listener_stop(l2, true));
  CHECK(!path_exists(path));

  test_case("nothing fired for the refused calls");
  CHECK_OK(bun_tcp_socket_close(c2.s));
  RUN_UNTIL(loop, sv.socks[0].n_close == 1);
  CHECK_EQ(c.total_calls, 0);
  CHECK_TRACE(&c2.tr, "open,close");
  CHECK_OK(bun_tcp_listener_stop(l, true));
  RUN_UNTIL(loop, !bun_tcp_loop_alive(loop));
  bun_tcp_loop_free(loop);
  free(empty);
  rec_free(&c);
  rec_free(&c2);
  srv_free(&sv);
  return test_pass();
}
