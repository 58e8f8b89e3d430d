package tsp

import (
	"crypto/rand"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// Request is a TimeStampReq (RFC 3161, section 2.4.1).
type Request struct {
	HashAlgorithm asn1.ObjectIdentifier
	HashedMessage []byte
	Policy        asn1.ObjectIdentifier // nil: the TSA's default
	Nonce         *big.Int              // nil: none
	CertReq       bool                  // ask for the TSA certificate in the token
	HasExtensions bool                  // the request carried extensions (none are supported)
}

// NewRequest hashes data with hashAlg (e.g. eds.OIDDigestStreebog512 for the NCA's
// default policy) and returns a request with a random 64-bit nonce and certReq set.
// A nil rand means crypto/rand.
func NewRequest(rnd io.Reader, hashAlg asn1.ObjectIdentifier, data []byte, policy asn1.ObjectIdentifier) (*Request, error) {
	h, ok := eds.LookupDigestAlgorithm(hashAlg)
	if !ok {
		return nil, fmt.Errorf("%w: hash algorithm %s", ErrUnsupported, hashAlg)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	var nb [8]byte
	if _, err := io.ReadFull(rnd, nb[:]); err != nil {
		return nil, fmt.Errorf("tsp: nonce: %w", err)
	}
	d := h()
	d.Write(data)
	return &Request{
		HashAlgorithm: hashAlg,
		HashedMessage: d.Sum(nil),
		Policy:        policy,
		Nonce:         new(big.Int).SetBytes(nb[:]),
		CertReq:       true,
	}, nil
}

// Marshal encodes the request in DER.
func (r *Request) Marshal() ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		addImprint(b, r.HashAlgorithm, r.HashedMessage)
		if r.Policy != nil {
			b.AddASN1ObjectIdentifier(r.Policy)
		}
		if r.Nonce != nil {
			b.AddASN1BigInt(r.Nonce)
		}
		if r.CertReq {
			b.AddASN1Boolean(true)
		}
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return out, nil
}

func addImprint(b *cryptobyte.Builder, alg asn1.ObjectIdentifier, hashed []byte) {
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(signeddata.AlgorithmIdentifier(alg, false))
		b.AddASN1OctetString(hashed)
	})
}

func readImprint(s *cryptobyte.String) (alg asn1.ObjectIdentifier, hashed []byte, ok bool) {
	var mi, ai, h cryptobyte.String
	if !s.ReadASN1(&mi, casn1.SEQUENCE) || !mi.ReadASN1(&ai, casn1.SEQUENCE) || !ai.ReadASN1ObjectIdentifier(&alg) ||
		!mi.ReadASN1(&h, casn1.OCTET_STRING) || !mi.Empty() {
		return nil, nil, false
	}
	return alg, h, true
}

// ParseRequest parses a TimeStampReq (BER or DER). Errors wrap ErrMalformed.
func ParseRequest(ber []byte) (*Request, error) {
	der, err := signeddata.ToDER(ber)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	var version int
	if !s.ReadASN1(&seq, casn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1Integer(&version) || version != 1 {
		return nil, fmt.Errorf("%w: not a version 1 TimeStampReq", ErrMalformed)
	}
	r := &Request{}
	var ok bool
	if r.HashAlgorithm, r.HashedMessage, ok = readImprint(&seq); !ok {
		return nil, fmt.Errorf("%w: bad messageImprint", ErrMalformed)
	}
	if seq.PeekASN1Tag(casn1.OBJECT_IDENTIFIER) {
		if !seq.ReadASN1ObjectIdentifier(&r.Policy) {
			return nil, fmt.Errorf("%w: bad reqPolicy", ErrMalformed)
		}
	}
	if seq.PeekASN1Tag(casn1.INTEGER) {
		r.Nonce = new(big.Int)
		if !seq.ReadASN1Integer(r.Nonce) {
			return nil, fmt.Errorf("%w: bad nonce", ErrMalformed)
		}
	}
	if seq.PeekASN1Tag(casn1.BOOLEAN) {
		if !seq.ReadASN1Boolean(&r.CertReq) {
			return nil, fmt.Errorf("%w: bad certReq", ErrMalformed)
		}
	}
	if seq.PeekASN1Tag(casn1.Tag(0).ContextSpecific().Constructed()) {
		var ext cryptobyte.String
		if !seq.ReadASN1(&ext, casn1.Tag(0).ContextSpecific().Constructed()) {
			return nil, fmt.Errorf("%w: bad extensions", ErrMalformed)
		}
		r.HasExtensions = true
	}
	if !seq.Empty() {
		return nil, fmt.Errorf("%w: trailing data in TimeStampReq", ErrMalformed)
	}
	return r, nil
}
