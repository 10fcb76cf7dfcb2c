/* Error names and messages (the header: errors): bun_tcp_err_name maps negative errno values and library codes
 * to their names ("UNKNOWN" otherwise), bun_tcp_strerror gives a non-empty text, and
 * bun_tcp_last_error_message is "" on a thread with no failed call and describes this thread's last
 * failed call otherwise (thread-local). */
#include "harness.h"
#include <pthread.h>

static void *fresh_thread(void *arg) {
  (void)arg;
  const char *m = bun_tcp_last_error_message();
  CHECK(m != NULL);
  CHECK_STR(m, "");
  return (void *)1;
}

int main(void) {
  test_init("error_names", 30);
  struct { int32_t code; const char *name; } v[] = {
      {-ECONNREFUSED, "ECONNREFUSED"}, {-EADDRINUSE, "EADDRINUSE"}, {-ECONNRESET, "ECONNRESET"},
      {-EPIPE, "EPIPE"}, {-ECANCELED, "ECANCELED"}, {-ETIMEDOUT, "ETIMEDOUT"},
      {BUN_TCP_EINVAL, "EINVAL"}, {BUN_TCP_ENOTFOUND, "ENOTFOUND"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    CHECK_STR(bun_tcp_err_name(v[i].code), v[i].name);
    const char *s = bun_tcp_strerror(v[i].code);
    CHECK(s != NULL && strlen(s) > 0);
  }
  CHECK_STR(bun_tcp_err_name(-987654), "UNKNOWN");
  int32_t lib[] = {BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD, BUN_TCP_EENDED, BUN_TCP_EBUSY,
                   BUN_TCP_EPANIC, BUN_TCP_ENOTSUP, BUN_TCP_EINVALHOST};
  for (size_t i = 0; i < sizeof lib / sizeof lib[0]; i++) {
    CHECK(bun_tcp_err_name(lib[i]) != NULL && strlen(bun_tcp_err_name(lib[i])) > 0);
    CHECK_MSG(strcmp(bun_tcp_err_name(lib[i]), "UNKNOWN") != 0, "library code %d has no name", (int)lib[i]);
    CHECK(bun_tcp_strerror(lib[i]) != NULL && strlen(bun_tcp_strerror(lib[i])) > 0);
  }
  CHECK(bun_tcp_version() != NULL && strlen(bun_tcp_version()) > 0);

  test_case("last_error_message is per thread");
  pthread_t t;
  CHECK(pthread_create(&t, NULL, fresh_thread, NULL) == 0);
  void *ret;
  pthread_join(t, &ret);
  CHECK(ret == (void *)1);
  bun_tcp_loop *loop = new_loop();
  bun_tcp_listener l;
  CHECK_RC(bun_tcp_listen(loop, NULL, NULL, &l), BUN_TCP_EINVAL);
  CHECK(strlen(bun_tcp_last_error_message()) > 0);
  CHECK(pthread_create(&t, NULL, fresh_thread, NULL) == 0);
  pthread_join(t, &ret);
  CHECK(ret == (void *)1);
  bun_tcp_loop_free(loop);
  return test_pass();
}
