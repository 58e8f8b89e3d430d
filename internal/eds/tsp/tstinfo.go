package tsp

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TSTInfo is the signed content of a time-stamp token (RFC 3161, section 2.4.2).
type TSTInfo struct {
	Raw           []byte
	Version       int
	Policy        asn1.ObjectIdentifier
	HashAlgorithm asn1.ObjectIdentifier
	HashedMessage []byte
	SerialNumber  *big.Int
	GenTime       time.Time
	Accuracy      time.Duration // zero when absent
	Ordering      bool
	Nonce         *big.Int // nil when absent
	// TSAName is the DER Name of the tsa field when it is a directoryName, else nil.
	TSAName []byte
}

var (
	tagGeneralizedTime = casn1.Tag(24)
	tag0c              = casn1.Tag(0).ContextSpecific().Constructed()
	tag1c              = casn1.Tag(1).ContextSpecific().Constructed()
	tag4c              = casn1.Tag(4).ContextSpecific().Constructed()
)

const genTimeLayout = "20060102150405.999999999Z"

// marshal encodes the TSTInfo; GenTime is written in UTC with its fraction of a second
// (milliseconds at most, trailing zeros dropped, as DER requires).
func (t *TSTInfo) marshal() ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1ObjectIdentifier(t.Policy)
		addImprint(b, t.HashAlgorithm, t.HashedMessage)
		b.AddASN1BigInt(t.SerialNumber)
		b.AddASN1(tagGeneralizedTime, func(b *cryptobyte.Builder) {
			b.AddBytes([]byte(t.GenTime.UTC().Truncate(time.Millisecond).Format("20060102150405.999Z")))
		})
		if t.Accuracy > 0 {
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
				if s := int64(t.Accuracy / time.Second); s > 0 {
					b.AddASN1Int64(s)
				}
				if ms := int64(t.Accuracy % time.Second / time.Millisecond); ms > 0 {
					b.AddASN1Int64WithTag(ms, casn1.Tag(0).ContextSpecific())
				}
			})
		}
		if t.Nonce != nil {
			b.AddASN1BigInt(t.Nonce)
		}
		if t.TSAName != nil {
			b.AddASN1(tag0c, func(b *cryptobyte.Builder) {
				b.AddASN1(tag4c, func(b *cryptobyte.Builder) { b.AddBytes(t.TSAName) })
			})
		}
	})
	return b.Bytes()
}

func parseTSTInfo(der []byte) (*TSTInfo, error) {
	t := &TSTInfo{Raw: der}
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, casn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1Integer(&t.Version) || t.Version != 1 ||
		!seq.ReadASN1ObjectIdentifier(&t.Policy) {
		return nil, fmt.Errorf("%w: bad TSTInfo header", ErrMalformed)
	}
	var ok bool
	if t.HashAlgorithm, t.HashedMessage, ok = readImprint(&seq); !ok {
		return nil, fmt.Errorf("%w: bad messageImprint", ErrMalformed)
	}
	t.SerialNumber = new(big.Int)
	var gt cryptobyte.String
	if !seq.ReadASN1Integer(t.SerialNumber) || !seq.ReadASN1(&gt, tagGeneralizedTime) {
		return nil, fmt.Errorf("%w: bad serialNumber or genTime", ErrMalformed)
	}
	var err error
	if t.GenTime, err = parseGeneralizedTime(string(gt)); err != nil {
		return nil, err
	}
	if seq.PeekASN1Tag(casn1.SEQUENCE) {
		var acc cryptobyte.String
		if !seq.ReadASN1(&acc, casn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: bad accuracy", ErrMalformed)
		}
		var sec, ms, us int64
		if acc.PeekASN1Tag(casn1.INTEGER) && !acc.ReadASN1Int64WithTag(&sec, casn1.INTEGER) {
			return nil, fmt.Errorf("%w: bad accuracy", ErrMalformed)
		}
		if acc.PeekASN1Tag(casn1.Tag(0).ContextSpecific()) && !acc.ReadASN1Int64WithTag(&ms, casn1.Tag(0).ContextSpecific()) {
			return nil, fmt.Errorf("%w: bad accuracy", ErrMalformed)
		}
		if acc.PeekASN1Tag(casn1.Tag(1).ContextSpecific()) && !acc.ReadASN1Int64WithTag(&us, casn1.Tag(1).ContextSpecific()) {
			return nil, fmt.Errorf("%w: bad accuracy", ErrMalformed)
		}
		if !acc.Empty() || sec < 0 || sec > 1<<31 || ms < 0 || ms > 999 || us < 0 || us > 999 {
			return nil, fmt.Errorf("%w: bad accuracy", ErrMalformed)
		}
		t.Accuracy = time.Duration(sec)*time.Second + time.Duration(ms)*time.Millisecond + time.Duration(us)*time.Microsecond
	}
	if seq.PeekASN1Tag(casn1.BOOLEAN) && !seq.ReadASN1Boolean(&t.Ordering) {
		return nil, fmt.Errorf("%w: bad ordering", ErrMalformed)
	}
	if seq.PeekASN1Tag(casn1.INTEGER) {
		t.Nonce = new(big.Int)
		if !seq.ReadASN1Integer(t.Nonce) {
			return nil, fmt.Errorf("%w: bad nonce", ErrMalformed)
		}
	}
	if seq.PeekASN1Tag(tag0c) {
		var gn cryptobyte.String
		if !seq.ReadASN1(&gn, tag0c) {
			return nil, fmt.Errorf("%w: bad tsa", ErrMalformed)
		}
		if gn.PeekASN1Tag(tag4c) {
			var name, inner cryptobyte.String
			if !gn.ReadASN1(&name, tag4c) || !name.ReadASN1Element(&inner, casn1.SEQUENCE) || !name.Empty() {
				return nil, fmt.Errorf("%w: bad tsa name", ErrMalformed)
			}
			t.TSAName = inner
		}
	}
	if seq.PeekASN1Tag(tag1c) {
		var ext cryptobyte.String
		if !seq.ReadASN1(&ext, tag1c) {
			return nil, fmt.Errorf("%w: bad extensions", ErrMalformed)
		}
	}
	if !seq.Empty() {
		return nil, fmt.Errorf("%w: trailing data in TSTInfo", ErrMalformed)
	}
	return t, nil
}

// parseGeneralizedTime reads YYYYMMDDHHMMSS[.fff]Z (RFC 3161 requires UTC).
func parseGeneralizedTime(s string) (time.Time, error) {
	if len(s) < 15 || !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("%w: genTime %q is not UTC GeneralizedTime", ErrMalformed, s)
	}
	t, err := time.Parse(genTimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: genTime %q", ErrMalformed, s)
	}
	return t, nil
}

// TSAString renders the TSA name of the token (RFC 2253 order), or "".
func (t *TSTInfo) TSAString() string {
	if t.TSAName == nil {
		return ""
	}
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(t.TSAName, &rdn); err != nil || len(rest) != 0 {
		return ""
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return n.String()
}
