// Package pkcs12 reads and writes the PKCS#12 key files of Kazakhstan's
// National Certification Authority (NCA): BER with indefinite lengths, the key
// bag under pbeWithSHAAnd3-KeyTripleDES-CBC, the certificate bag under
// pbeWithSHAAnd40BitRC2-CBC, an HMAC-SHA-1 MAC, and the bag attribute
// friendlyName holding the hex subject key identifier (the "alias").
//
// Common Go PKCS#12 readers reject these files, hence this one: a small
// BER-to-DER normaliser, the RFC 7292 key derivation, 3DES from crypto/des and
// RC2 (RFC 2268) from go-cryptobin.
package pkcs12
