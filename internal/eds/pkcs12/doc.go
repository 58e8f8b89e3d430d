// Package pkcs12 reads and writes the PKCS#12 key files of Kazakhstan's
// National Certification Authority (NCA): BER with indefinite lengths, the key
// bag under pbeWithSHAAnd3-KeyTripleDES-CBC, the certificate bag under
// pbeWithSHAAnd40BitRC2-CBC, an HMAC-SHA-1 MAC, and the bag attribute
// friendlyName holding the hex subject key identifier (the "alias").
//
// It also reads the files OpenSSL 3, Java keytool and Windows write by default:
// PBES2 (RFC 8018) with PBKDF2 (HMAC-SHA-1, -SHA-256, -SHA-384, -SHA-512) and
// AES-128/192/256-CBC, and MACs with SHA-256, SHA-384 and SHA-512. PBKDF2
// takes the password's UTF-8 bytes, the RFC 7292 derivation its BMPString, as
// OpenSSL does. Iteration counts are bounded per derivation and per file
// (ErrIterationLimit), so that a hostile file cannot pin a CPU.
//
// Common Go PKCS#12 readers reject the NCA files, hence this one: a small
// BER-to-DER normaliser, the RFC 7292 key derivation, 3DES from crypto/des and
// RC2 (RFC 2268) from go-cryptobin; PBKDF2 and AES come from the standard
// library.
package pkcs12
