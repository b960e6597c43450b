#!/usr/bin/env bash
# Regenerates the throwaway TLS test certificates in this folder (test-only; see README.md).
# Usage: bash generate.sh   (needs openssl; writes into the folder holding this script)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
days=3650
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ca() {  # ca NAME "SUBJECT"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc -sha256 -days "$days" \
        -keyout "$1.key" -out "$1.pem" -subj "$2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>/dev/null
}

leaf() {  # leaf NAME ISSUER "SUBJECT" "SAN"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc -sha256 \
        -keyout "$1.key" -out "$work/$1.csr" -subj "$3" 2>/dev/null
    cat > "$work/$1.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$4
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
    openssl x509 -req -in "$work/$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -CAserial "$work/$2.srl" \
        -sha256 -days "$days" -extfile "$work/$1.ext" -out "$1.pem" 2>/dev/null
}

ca ca "/O=Lamplighter tests/CN=Lamplighter Test CA"
ca untrusted-ca "/O=Lamplighter tests/CN=Lamplighter Untrusted Test CA"
leaf server ca "/O=Lamplighter tests/CN=localhost" "DNS:localhost,IP:127.0.0.1"
leaf wrong-name ca "/O=Lamplighter tests/CN=wrong.example" "DNS:wrong.example"
leaf untrusted-server untrusted-ca "/O=Lamplighter tests/CN=localhost" "DNS:localhost,IP:127.0.0.1"
# The CA keys are not kept: nothing can be signed by these CAs after generation.
rm -f ca.key untrusted-ca.key
chmod 644 ./*.pem ./*.key
echo "generated: $(ls ./*.pem ./*.key | tr '\n' ' ')"
