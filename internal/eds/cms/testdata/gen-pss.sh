#!/bin/sh
# Regenerates the OpenSSL-made RSA-PSS CMS samples (made with OpenSSL 3.0.19)
# with the test key rsa.key and its self-signed certificate rsa.crt (copied
# from ../../pkcs12/testdata).
set -eu
cd "$(dirname "$0")"
printf 'Senim RSA-PSS test' > pss-content.txt
# The supported profile: SHA-256, MGF1-SHA-256, salt length 32.
openssl cms -sign -binary -nodetach -in pss-content.txt -signer rsa.crt -inkey rsa.key -md sha256 \
	-keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:32 -outform DER -out openssl-pss.p7s
# OpenSSL's default salt length (the maximum, 222 bytes for RSA-2048): refused.
openssl cms -sign -binary -nodetach -in pss-content.txt -signer rsa.crt -inkey rsa.key -md sha256 \
	-keyopt rsa_padding_mode:pss -outform DER -out openssl-pss-saltmax.p7s
# SHA-512 and a 64-byte salt: refused.
openssl cms -sign -binary -nodetach -in pss-content.txt -signer rsa.crt -inkey rsa.key -md sha512 \
	-keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:64 -outform DER -out openssl-pss-sha512.p7s
