/* A unix-domain connect to a listener whose backlog is full: Linux answers the non-blocking
 * connect(2) with EAGAIN (not EINPROGRESS) and no event would ever complete it. Each of 12 connects
 * to a raw listener with backlog 1 that never accepts gets exactly one of open / connect_error; the
 * refused ones get EAGAIN (code -EAGAIN, syscall "connect"); the loop stays not alive once the
 * opened ones are closed, so bun_tcp_run returns. */
#include "harness.h"
#include "unix_common.h"
#include <sys/un.h>

#define N 12
static rec_t c[N];

static void close_on_open(bun_tcp_socket s, void *data) {
  rec_on_open(s, data);
  CHECK_OK(bun_tcp_socket_close(s));
}

int main(void) {
  test_init("unix_connect_backlog_full", 30);
  char path[108];
  unix_test_path(path, sizeof path, "backlog_full");

  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK_CMP(lfd, >=, 0);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
  CHECK_EQ(listen(lfd, 1), 0); /* never accepted: the backlog fills after one or two */

  bun_tcp_loop *loop = new_loop();
  bun_tcp_handlers h = rec_handlers();
  h.open = close_on_open;

  test_case("12 connects to a full backlog");
  for (int i = 0; i < N; i++) {
    rec_init(&c[i]);
    CHECK_OK(connect_unix(loop, path, &c[i], &h));
    CHECK(c[i].s.id != 0);
  }

  test_case("bun_tcp_run returns");
  int32_t rc = bun_tcp_run(loop);
  CHECK_CMP(rc, >=, 0);
  CHECK(!bun_tcp_loop_alive(loop));

  test_case("each connect got exactly one of open / connect_error");
  int opened = 0, refused = 0;
  for (int i = 0; i < N; i++) {
    CHECK_MSG(c[i].n_open + c[i].n_connect_error == 1, "connect %d: trace \"%s\"", i, c[i].tr.buf);
    if (c[i].n_open) {
      opened++;
      CHECK_TRACE(&c[i].tr, "open,close");
    } else {
      refused++;
      CHECK_TRACE(&c[i].tr, "connect_error:EAGAIN");
      CHECK_RC(c[i].connect_error_code, -EAGAIN);
      CHECK_STR(c[i].connect_error_syscall, "connect");
      CHECK_MSG(strstr(c[i].connect_error_message, path) != NULL, "message \"%s\" does not name the path",
                c[i].connect_error_message);
    }
    CHECK_EQ(bun_tcp_socket_ready_state(c[i].s), -1);
  }
  printf("    %d opened, %d refused with EAGAIN\n", opened, refused);
  CHECK_CMP(refused, >, 0);
  CHECK_EQ(opened + refused, N);
  CHECK_EQ(run_for(loop, 50), 0);
  CHECK_EQ(bun_tcp_loop_socket_count(loop), 0);

  bun_tcp_loop_free(loop);
  close(lfd);
  unlink(path);
  for (int i = 0; i < N; i++) rec_free(&c[i]);
  return test_pass();
}
