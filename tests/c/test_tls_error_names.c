/* the header: TLS: the TLS error codes and verification verdicts carry Bun's / OpenSSL's names.
 *
 * bun_tcp_err_name and bun_tcp_strerror for every BUN_TCP_ETLS_* and BUN_TCP_ECERT_* code:
 * the exact names (UNABLE_TO_VERIFY_LEAF_SIGNATURE, DEPTH_ZERO_SELF_SIGNED_CERT,
 * SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID,
 * UNABLE_TO_GET_ISSUER_CERT, ...), a non-empty description that is not "unknown error", all codes
 * distinct and negative; the version constants are the protocol numbers (0x0303, 0x0304);
 * bun_tcp_tls_provider names the provider.
 */
#include "harness.h"

int main(void) {
  test_init("test_tls_error_names", 10);
  struct {
    int32_t code;
    const char *name;
  } v[] = {
      {BUN_TCP_ETLS, "ERR_TLS"},
      {BUN_TCP_ETLS_BAD_PEM, "ERR_TLS_BAD_PEM"},
      {BUN_TCP_ETLS_KEY_MISMATCH, "ERR_TLS_KEY_MISMATCH"},
      {BUN_TCP_ETLS_KEY_ENCRYPTED, "ERR_TLS_KEY_ENCRYPTED"},
      {BUN_TCP_ETLS_ALERT, "ERR_TLS_ALERT_RECEIVED"},
      {BUN_TCP_ETLS_PROTOCOL, "ERR_SSL_PROTOCOL"},
      {BUN_TCP_ECERT_UNTRUSTED, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"},
      {BUN_TCP_ECERT_SELF_SIGNED, "DEPTH_ZERO_SELF_SIGNED_CERT"},
      {BUN_TCP_ECERT_SELF_SIGNED_IN_CHAIN, "SELF_SIGNED_CERT_IN_CHAIN"},
      {BUN_TCP_ECERT_EXPIRED, "CERT_HAS_EXPIRED"},
      {BUN_TCP_ECERT_NOT_YET_VALID, "CERT_NOT_YET_VALID"},
      {BUN_TCP_ECERT_ALTNAME, "ERR_TLS_CERT_ALTNAME_INVALID"},
      {BUN_TCP_ECERT_SIGNATURE, "CERT_SIGNATURE_FAILURE"},
      {BUN_TCP_ECERT_REVOKED, "CERT_REVOKED"},
      {BUN_TCP_ECERT_MISSING, "UNABLE_TO_GET_ISSUER_CERT"},
      {BUN_TCP_ECERT_REJECTED, "CERT_REJECTED"},
  };
  size_t n = sizeof v / sizeof v[0];
  for (size_t i = 0; i < n; i++) {
    CHECK_CMP(v[i].code, <, 0);
    CHECK_STR(bun_tcp_err_name(v[i].code), v[i].name);
    const char *d = bun_tcp_strerror(v[i].code);
    CHECK(d != NULL && d[0] != 0);
    CHECK_MSG(strcmp(d, "unknown error") != 0, "%s has no description", v[i].name);
    for (size_t j = 0; j < i; j++) CHECK(v[j].code != v[i].code);
    printf("    %-32s %d  %s\n", v[i].name, (int)v[i].code, d);
  }
  CHECK_EQ(BUN_TCP_TLS1_2, 0x0303);
  CHECK_EQ(BUN_TCP_TLS1_3, 0x0304);
  const char *p = bun_tcp_tls_provider();
  CHECK(p != NULL);
  CHECK_MSG(strcmp(p, "ring") == 0 || strcmp(p, "aws-lc-rs") == 0, "provider %s", p);
  return test_pass();
}
