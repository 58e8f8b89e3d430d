#!/bin/sh
# Regenerates the OpenSSL-made PKCS#12 samples (OpenSSL 3 defaults: PBES2 with
# PBKDF2-HMAC-SHA-256 and AES-256-CBC, 2048 iterations, an HMAC-SHA-256 MAC).
# The committed files were made with OpenSSL 3.0.19; the reader tests run on
# them without openssl.
set -eu
cd "$(dirname "$0")"
subj=/C=KZ/CN=Senim\ PBES2\ test
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
openssl req -x509 -new -key rsa.key -subj "$subj RSA" -days 3650 -out rsa.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
openssl req -x509 -new -key ec.key -subj "$subj ECDSA" -days 3650 -out ec.crt
# OpenSSL 3 defaults.
openssl pkcs12 -export -inkey rsa.key -in rsa.crt -name rsa -passout pass:Senim2026 -out openssl-rsa-aes256.p12
openssl pkcs12 -export -inkey ec.key -in ec.crt -name ec -passout pass:Senim2026 -out openssl-ec-aes256.p12
# A Cyrillic password: PBES2 takes its UTF-8 bytes, the MAC its BMPString.
openssl pkcs12 -export -inkey ec.key -in ec.crt -passout pass:Сенім2026 -out openssl-ec-cyrillic.p12
# AES-128-CBC and an HMAC-SHA-512 MAC.
openssl pkcs12 -export -inkey ec.key -in ec.crt -keypbe aes-128-cbc -certpbe aes-128-cbc -macalg sha512 -passout pass:Senim2026 -out openssl-ec-aes128-sha512.p12
