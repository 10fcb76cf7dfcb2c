#!/usr/bin/env bash
# Generates the TLS test fixtures with the openssl CLI (never fetched), into the directory given
# as $1 (default: target/tls-fixtures). Idempotent: does nothing when the set is complete.
#
#   ca.crt / ca.key                 the test CA
#   server.crt / server.key         leaf for localhost, 127.0.0.1 and ::1, signed by ca
#   server-chain.crt                server.crt followed by ca.crt
#   other.crt / other.key           leaf for other.example only, signed by ca
#   expired.crt / expired.key       leaf for localhost, signed by ca, valid only in 2020
#   self.crt / self.key             self-signed leaf for localhost
#   rogue-ca.crt / rogue-ca.key     another CA nobody trusts
#   rogue.crt / rogue.key           leaf for localhost, signed by rogue-ca
#   client.crt / client.key         client certificate (CN=test-client), signed by ca
#   rogue-client.crt / .key         client certificate signed by rogue-ca
#   encrypted.key                   server.key encrypted with the passphrase "secret"
#   garbage.pem                     not PEM at all
#   revoked.crt / revoked.key       leaf for localhost, 127.0.0.1 and ::1, signed by ca, revoked
#   revoked-client.crt / .key       client certificate signed by ca, revoked
#   ca.crl                          ca's CRL (PEM) listing revoked.crt and revoked-client.crt
set -euo pipefail
OUT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/target/tls-fixtures}
mkdir -p "$OUT"
cd "$OUT"
[ -f .complete ] && [ -f ca.crl ] && exit 0 # ca.crl: a set made before the CRL fixtures is redone

command -v openssl >/dev/null || { echo "make-fixtures: openssl is required (apt-get install openssl)" >&2; exit 1; }
export OPENSSL_CONF=/dev/null
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# ca NAME: a self-signed CA certificate.
ca() {
  ec_key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.crt" -days 3650 -subj "/CN=bun_tcp test $1" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# leaf NAME CA SUBJECT_ALT_NAMES EXTENDED_KEY_USAGE [START END]: a certificate signed by CA.
leaf() {
  local name=$1 signer=$2 san=$3 eku=$4 start=${5:-} end=${6:-}
  ec_key "$name.key"
  openssl req -new -key "$name.key" -out "$name.csr" -subj "/CN=$name"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' \
    "$eku" "${san:+subjectAltName=$san}" > "$name.ext"
  if [ -n "$start" ]; then
    # openssl ca is the one 3.0-era command that takes explicit validity dates.
    mkdir -p "ca-db-$name"
    : > "ca-db-$name/index.txt"
    printf '[ca]\ndefault_ca=d\n[d]\ndatabase=ca-db-%s/index.txt\nnew_certs_dir=ca-db-%s\nserial=ca-db-%s/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' \
      "$name" "$name" "$name" > "ca-$name.cnf"
    echo 01 > "ca-db-$name/serial"
    openssl ca -batch -config "ca-$name.cnf" -cert "$signer.crt" -keyfile "$signer.key" -in "$name.csr" \
      -out "$name.crt" -startdate "$start" -enddate "$end" -extfile "$name.ext" -notext 2>/dev/null
    rm -rf "ca-db-$name" "ca-$name.cnf"
  else
    openssl x509 -req -in "$name.csr" -CA "$signer.crt" -CAkey "$signer.key" -CAcreateserial \
      -out "$name.crt" -days 825 -extfile "$name.ext" 2>/dev/null
  fi
  rm -f "$name.csr" "$name.ext"
}

ca ca
ca rogue-ca
leaf server ca "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth
cat server.crt ca.crt > server-chain.crt
leaf other ca "DNS:other.example" serverAuth
leaf expired ca "DNS:localhost,IP:127.0.0.1" serverAuth 20200101000000Z 20200201000000Z
leaf rogue rogue-ca "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth
leaf client ca "" clientAuth
leaf rogue-client rogue-ca "" clientAuth
ec_key self.key
openssl req -x509 -new -key self.key -out self.crt -days 825 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" -addext "basicConstraints=CA:FALSE"
openssl pkcs8 -topk8 -in server.key -out encrypted.key -passout pass:secret -v2 aes-256-cbc
printf 'this is not PEM\n-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n' > garbage.pem
leaf revoked ca "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth
leaf revoked-client ca "" clientAuth
# ca.crl: openssl ca records each revocation in its database, then writes the CRL from it.
mkdir -p ca-db-crl
: > ca-db-crl/index.txt
echo 01 > ca-db-crl/crlnumber
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=ca-db-crl/index.txt\ncrlnumber=ca-db-crl/crlnumber\ndefault_md=sha256\ndefault_crl_days=3650\n' > ca-crl.cnf
for revoked in revoked revoked-client; do
  openssl ca -batch -config ca-crl.cnf -cert ca.crt -keyfile ca.key -revoke "$revoked.crt" 2>/dev/null
done
openssl ca -batch -config ca-crl.cnf -cert ca.crt -keyfile ca.key -gencrl -out ca.crl 2>/dev/null
rm -rf ca-db-crl ca-crl.cnf
rm -f ./*.srl
touch .complete
