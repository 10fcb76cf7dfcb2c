/* helpers shared by the test_unix_*.c programs (header-only, included after harness.h) */
#ifndef BUN_TCP_TEST_UNIX_COMMON_H
#define BUN_TCP_TEST_UNIX_COMMON_H
#include "harness.h"

static HARNESS_UNUSED void unix_test_path(char *buf, size_t cap, const char *tag) {
  snprintf(buf, cap, "/tmp/bun_tcp_test_%ld_%s.sock", (long)getpid(), tag);
  unlink(buf);
}

static HARNESS_UNUSED bool path_is_socket(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISSOCK(st.st_mode);
}

static HARNESS_UNUSED bool path_exists(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0;
}

/* The unix_path_len to pass with `path`: 0 for a NUL-terminated file-system path; for an abstract
 * name written as '\0' then a NUL-terminated name, the leading NUL plus the name's bytes. */
static HARNESS_UNUSED size_t unix_path_length(const char *path) {
  return path[0] == '\0' ? 1 + strlen(path + 1) : 0;
}

static HARNESS_UNUSED int32_t listen_unix(bun_tcp_loop *loop, const char *path, srv_t *sv,
                                          const bun_tcp_handlers *h, bun_tcp_listener *out) {
  bun_tcp_listen_options o;
  memset(&o, 0, sizeof o);
  o.unix_path = path;
  o.unix_path_len = unix_path_length(path);
  o.data = sv;
  int32_t rc = bun_tcp_listen(loop, &o, h, out);
  if (rc == 0) sv->l = *out;
  return rc;
}

static HARNESS_UNUSED int32_t connect_unix(bun_tcp_loop *loop, const char *path, rec_t *r,
                                           const bun_tcp_handlers *h) {
  bun_tcp_connect_options o;
  memset(&o, 0, sizeof o);
  o.unix_path = path;
  o.unix_path_len = unix_path_length(path);
  o.data = r;
  int32_t rc = bun_tcp_connect(loop, &o, h, &r->s);
  return rc;
}
#endif
