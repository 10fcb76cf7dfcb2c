/* The header's error constants are safe C expressions (one error table, as libuv's UV_ERRNO_MAP):
 * every negative #define is parenthesised, so `-BUN_TCP_EINVAL`, `x-BUN_TCP_ECLOSED`, a switch
 * label and a stringified expansion all mean what they read as; and each library code's exact
 * value, name and description are those of the library's single error table (src/error_table.rs).
 *
 * An unparenthesised `#define BUN_TCP_EINVAL -22` still negates right in C (the preprocessor keeps
 * `- -22` as two tokens), but its expansion is two tokens wherever the text is used as text
 * (stringification, binding generators, scripts reading the header): "(-22)" is one primary
 * expression in every context. The stringification cases fail on such a header. */
#include "harness.h"

#define STRINGIFY_EXPANDED(x) STRINGIFY(x)
#define STRINGIFY(x) #x

int main(void) {
  test_init("test_error_defines", 10);

  test_case("negated and subtracted constants");
  CHECK_EQ(-BUN_TCP_EINVAL, EINVAL);
  CHECK_EQ(-BUN_TCP_ECLOSED, 10001);
  int32_t x = 0;
  CHECK_EQ(x-BUN_TCP_ECLOSED, 10001);
  CHECK_EQ(x-BUN_TCP_ECERT_REJECTED, 10119);
  CHECK_EQ(x-BUN_TCP_STATE_CLOSED, 1);
  CHECK_EQ(x-BUN_TCP_STATE_WRITE_SHUT, 2);
  CHECK_EQ((int64_t)-BUN_TCP_EPANIC, (int64_t)10006);

  test_case("comparisons and switch labels");
  int32_t rc = -EINVAL;
  CHECK(rc == BUN_TCP_EINVAL);
  switch (rc) {
  case BUN_TCP_EINVAL: break;
  default: CHECK_MSG(0, "switch on BUN_TCP_EINVAL missed");
  }

  test_case("every negative constant expands parenthesised");
  CHECK_STR(STRINGIFY_EXPANDED(BUN_TCP_OK), "0");
  CHECK_STR(STRINGIFY_EXPANDED(BUN_TCP_EINVAL), "(-22)");
  CHECK_STR(STRINGIFY_EXPANDED(BUN_TCP_ECLOSED), "(-10001)");
  CHECK_STR(STRINGIFY_EXPANDED(BUN_TCP_EINVALHOST), "(-10008)");
  CHECK_STR(STRINGIFY_EXPANDED(BUN_TCP_ETLS), "(-10100)");
  CHECK_STR(STRINGIFY_EXPANDED(BUN_TCP_ECERT_REJECTED), "(-10119)");
  CHECK_STR(STRINGIFY_EXPANDED(BUN_TCP_STATE_WRITE_SHUT), "(-2)");
  CHECK_STR(STRINGIFY_EXPANDED(BUN_TCP_STATE_CLOSED), "(-1)");

  test_case("values, names and descriptions of the library codes");
  struct {
    int32_t code;
    int32_t value;
    const char *name;
    const char *message;
  } v[] = {
      {BUN_TCP_OK, 0, "OK", "success"},
      {BUN_TCP_EINVAL, -22, "EINVAL", "Invalid argument"},
      {BUN_TCP_ECLOSED, -10001, "ECLOSED", "socket is closed or the handle is stale"},
      {BUN_TCP_EWRONGTHREAD, -10002, "EWRONGTHREAD", "called from a thread that does not own the loop"},
      {BUN_TCP_EENDED, -10003, "EENDED", "the write side has been ended or shut down"},
      {BUN_TCP_ENOTFOUND, -10004, "ENOTFOUND", "host name not found"},
      {BUN_TCP_EBUSY, -10005, "EBUSY", "the loop is already polling on this thread (called from a handler)"},
      {BUN_TCP_EPANIC, -10006, "EPANIC", "internal error (caught panic)"},
      {BUN_TCP_ENOTSUP, -10007, "ENOTSUP", "not supported"},
      {BUN_TCP_EINVALHOST, -10008, "EINVALHOST", "invalid host name"},
      {BUN_TCP_ETLS, -10100, "ERR_TLS", "TLS error"},
      {BUN_TCP_ETLS_BAD_PEM, -10101, "ERR_TLS_BAD_PEM", "invalid or empty PEM"},
      {BUN_TCP_ETLS_KEY_MISMATCH, -10102, "ERR_TLS_KEY_MISMATCH", "the private key does not match the certificate"},
      {BUN_TCP_ETLS_KEY_ENCRYPTED, -10103, "ERR_TLS_KEY_ENCRYPTED", "the private key is encrypted"},
      {BUN_TCP_ETLS_ALERT, -10104, "ERR_TLS_ALERT_RECEIVED", "the peer sent a fatal TLS alert"},
      {BUN_TCP_ETLS_PROTOCOL, -10105, "ERR_SSL_PROTOCOL", "TLS protocol error"},
      {BUN_TCP_ECERT_UNTRUSTED, -10110, "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate"},
      {BUN_TCP_ECERT_SELF_SIGNED, -10111, "DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"},
      {BUN_TCP_ECERT_SELF_SIGNED_IN_CHAIN, -10112, "SELF_SIGNED_CERT_IN_CHAIN",
       "self-signed certificate in certificate chain"},
      {BUN_TCP_ECERT_EXPIRED, -10113, "CERT_HAS_EXPIRED", "certificate has expired"},
      {BUN_TCP_ECERT_NOT_YET_VALID, -10114, "CERT_NOT_YET_VALID", "certificate is not yet valid"},
      {BUN_TCP_ECERT_ALTNAME, -10115, "ERR_TLS_CERT_ALTNAME_INVALID",
       "hostname/IP does not match the certificate's altnames"},
      {BUN_TCP_ECERT_SIGNATURE, -10116, "CERT_SIGNATURE_FAILURE", "certificate signature failure"},
      {BUN_TCP_ECERT_REVOKED, -10117, "CERT_REVOKED", "certificate revoked"},
      {BUN_TCP_ECERT_MISSING, -10118, "UNABLE_TO_GET_ISSUER_CERT", "the peer sent no certificate"},
      {BUN_TCP_ECERT_REJECTED, -10119, "CERT_REJECTED", "certificate rejected"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    CHECK_EQ(v[i].code, v[i].value);
    CHECK_STR(bun_tcp_err_name(v[i].code), v[i].name);
    CHECK_STR(bun_tcp_strerror(v[i].code), v[i].message);
  }
  return test_pass();
}
