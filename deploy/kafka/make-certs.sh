#!/usr/bin/env bash
# Makes the broker's TLS certificate, for the name the services reach it by (kafka), signed by a CA of
# our own, into deploy/kafka/secrets/ (or the folder given):
#   ca.crt      the CA's certificate: every client checks the broker against it (KAFKA_SSL_CAFILE)
#   ca.key      the CA's key: it signs broker certificates; keep it off the server
#   broker.pem  the broker's key and certificate chain, in the PEM form Kafka reads; only the broker
# The CA is made once; run again, this makes a new broker certificate signed by the same CA.
set -euo pipefail

out=${1:-"$(dirname "$0")/secrets"}
days=${BROKER_CERT_DAYS:-825}
mkdir -p "$out"
cd "$out"
umask 077  # keys readable by their owner only

if [ ! -e ca.key ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
    -subj "/CN=complaints Kafka CA" -keyout ca.key -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -subj "/CN=kafka" \
  -keyout broker.key -out broker.csr
openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" -out broker.crt \
  -extfile <(printf '%s\n' "subjectAltName=DNS:kafka" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid")
cat broker.key broker.crt ca.crt > broker.pem  # PKCS#8 key, unencrypted (Kafka takes no password for it here)
rm broker.key broker.csr broker.crt
chmod 644 ca.crt  # public: the services' users read it
echo "Made $out/broker.pem (valid $days days) and $out/ca.crt."
echo "The broker runs as the apache/kafka image's appuser: let that user read broker.pem."
