package sandbox

import (
	"context"
	"crypto/x509"
	"strings"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/tsp"
	"github.com/senimkz/senim/internal/eds/xmldsig"
	"github.com/senimkz/senim/internal/problem"
)

// DemoSigner is a demo party whose sandbox key the simulators of NCALayer and eGov
// Mobile sign with: Ref is "citizen:<IIN>" or "employee:<IIN>".
type DemoSigner struct {
	Ref, IIN, Name string
	OrgBIN         string // an employee's organization, else ""
}

// Signers lists the demo citizens, then the demo employees, with their GOST 2015 keys.
func (k *Keys) Signers() []DemoSigner {
	var out []DemoSigner
	for _, c := range k.Pop.Citizens {
		out = append(out, DemoSigner{Ref: "citizen:" + c.IIN, IIN: c.IIN, Name: c.Name})
	}
	for iin, bin := range Staff(k.Pop) {
		if c, ok := k.citizen(iin); ok {
			out = append(out, DemoSigner{Ref: "employee:" + iin, IIN: iin, Name: c.Name, OrgBIN: bin})
		}
	}
	return out
}

// ErrNoSuchSigner: the reference names no demo signer.
var ErrNoSuchSigner = problem.New(404, "sandbox.signer.unknown", "No demo signer has this reference")

// SignCMS signs data with the demo signer ref's GOST 2015 key: a CMS with the data
// (attach) or without it.
func (k *Keys) SignCMS(ctx context.Context, ref string, data []byte, attach bool) ([]byte, error) {
	return k.signCMS(ctx, ref, data, attach, false)
}

// SignCMSTimeStamped is SignCMS with a signature time-stamp from the sandbox CA's GOST
// 2015 TSA (CAdES-T), as NCALayer makes when a site asks for one (tsaProfile).
func (k *Keys) SignCMSTimeStamped(ctx context.Context, ref string, data []byte, attach bool) ([]byte, error) {
	return k.signCMS(ctx, ref, data, attach, true)
}

func (k *Keys) signCMS(ctx context.Context, ref string, data []byte, attach, stamp bool) ([]byte, error) {
	e, err := k.demoKey(ref)
	if err != nil {
		return nil, err
	}
	opts := cms.SignOptions{Detached: !attach}
	if stamp {
		tc, err := k.CA.TSA(ca.GOST2015)
		if err != nil {
			return nil, err
		}
		opts.TSA = &tsp.Local{Config: tc}
	}
	return cms.Sign(ctx, data, []cms.SignerSpec{{Signer: e.PrivateKey, Cert: e.Certificate, Chain: e.CACertificates}}, opts)
}

// SignXML adds an enveloped XML-DSig signature (exclusive C14N, GOST 2015-512, the
// certificate and its chain in KeyInfo) by the demo signer ref to the XML document
// doc, as NCALayer's format "xml" and eGov Mobile's signMethod XML make it.
func (k *Keys) SignXML(_ context.Context, ref string, doc []byte) ([]byte, error) {
	e, err := k.demoKey(ref)
	if err != nil {
		return nil, err
	}
	return xmldsig.Sign(doc, e.PrivateKey, append([]*x509.Certificate{e.Certificate}, e.CACertificates...), xmldsig.Options{})
}

// demoKey opens the GOST 2015 key of the demo signer ref.
func (k *Keys) demoKey(ref string) (*pkcs12.Entry, error) {
	kind, iin, ok := strings.Cut(ref, ":")
	if !ok || (kind != "citizen" && kind != "employee") {
		return nil, ErrNoSuchSigner
	}
	p12, err := k.P12(kind, iin, ca.GOST2015)
	if err != nil {
		return nil, err
	}
	f, err := pkcs12.Decode(p12, KeyPassword)
	if err != nil {
		return nil, err
	}
	return &f.Entries[0], nil
}
