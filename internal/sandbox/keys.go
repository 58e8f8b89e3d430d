package sandbox

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/eds/pkcs12"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/problem"
)

// KeyPassword opens every PKCS#12 key the sandbox hands out. It satisfies the NCA's
// password policy; like the NCA's own test keys (Qwerty12), it is public.
const KeyPassword = "Sandbox1"

// KeyLink says where a demo party's sandbox key can be downloaded.
type KeyLink struct {
	Algorithm string `json:"algorithm"` // gost2015 | p256
	URL       string `json:"url"`
	Password  string `json:"password"`
}

// Keys issues sandbox keys from the sandbox CA on first request and keeps each
// PKCS#12 file in a directory, so a demo party keeps the same key across restarts.
// Issuing is lazy: a GOST certificate takes tens of milliseconds, and most demo
// parties never need one.
type Keys struct {
	CA  *ca.CA
	Dir string
	Pop Population
	// Shared, when set, keeps the keys in the database instead of Dir, so every
	// sandbox node on one database hands a demo party the same key.
	Shared SharedKeys

	mu sync.Mutex
}

// SharedKeys stores PKCS#12 files by name for every node: the first stored
// value of a name wins.
type SharedKeys interface {
	Get(ctx context.Context, name string) ([]byte, bool, error)
	PutOrGet(ctx context.Context, name string, p12 []byte) ([]byte, error)
}

// Algorithms are the key types the sandbox issues.
var Algorithms = []ca.Algorithm{ca.GOST2015, ca.P256}

// LinksForOrg returns the download links of an organization's information-system keys.
func LinksForOrg(bin string) []KeyLink { return links("org", bin) }

// LinksForCitizen returns the download links of a citizen's keys.
func LinksForCitizen(iin string) []KeyLink { return links("citizen", iin) }

func links(kind, id string) []KeyLink {
	var out []KeyLink
	for _, a := range Algorithms {
		out = append(out, KeyLink{Algorithm: string(a), URL: fmt.Sprintf("/sandbox/keys/%s/%s/%s.p12", kind, id, a), Password: KeyPassword})
	}
	return out
}

// ErrNoSuchParty: the IIN or BIN is not in the demo population.
var ErrNoSuchParty = problem.New(http.StatusNotFound, "sandbox.key.unknown_party", "No demo citizen or organization has this number")

// P12 returns the PKCS#12 key of a demo citizen ("citizen", IIN) or organization
// ("org", BIN) for the algorithm, issuing it the first time.
func (k *Keys) P12(kind, id string, alg ca.Algorithm) ([]byte, error) {
	if alg != ca.GOST2015 && alg != ca.P256 {
		return nil, problem.Field("algorithm", "must be gost2015 or p256")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	name := kind + "-" + id + "-" + string(alg)
	path := filepath.Join(k.Dir, name+".p12")
	// P12 has no caller context (it serves page renderers too); the store's
	// queries are short.
	ctx := context.Background()
	if k.Shared != nil {
		if b, ok, err := k.Shared.Get(ctx, name); err != nil || ok {
			return b, err
		}
	} else if b, err := os.ReadFile(path); err == nil {
		return b, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var (
		is  *ca.Issued
		err error
	)
	switch kind {
	case "citizen":
		c, ok := k.citizen(id)
		if !ok {
			return nil, ErrNoSuchParty
		}
		surname, name := splitName(c.Name)
		is, err = k.CA.IssueIndividual(ca.Person{IIN: c.IIN, Surname: surname, Name: name}, alg)
	case "employee":
		c, ok := k.citizen(id)
		bin, staff := Staff(k.Pop)[id]
		o, _ := k.org(bin)
		if !ok || !staff {
			return nil, ErrNoSuchParty
		}
		surname, name := splitName(c.Name)
		is, err = k.CA.IssueOrganization(o.BIN, o.Name, ca.Person{IIN: c.IIN, Surname: surname, Name: name}, pki.RoleEmployee, alg)
	case "org":
		o, ok := k.org(id)
		if !ok {
			return nil, ErrNoSuchParty
		}
		system := o.Name
		if len(o.Systems) > 0 {
			system = o.Systems[0].Name
		}
		is, err = k.CA.IssueInformationSystem(o.BIN, o.Name, system, alg)
	default:
		return nil, ErrNoSuchParty
	}
	if err != nil {
		return nil, err
	}
	// RSA and ECDSA key files in OpenSSL 3's layout (PBES2/AES-256, HMAC-SHA-256), which
	// `openssl pkcs12` opens without -legacy; GOST key files in the NCA's layout, which
	// NCALayer reads, with the certificates under 3DES instead of RC2-40 so that OpenSSL 3
	// opens them without -legacy too (it shows the certificates; it has no GOST).
	format := pkcs12.FormatPBES2
	if is.Key.Type().IsGOST() {
		format = pkcs12.FormatNCA3DES
	}
	b, err := pkcs12.EncodeFormat(format, is.Key, is.Certificate, is.Chain, KeyPassword, "")
	if err != nil {
		return nil, err
	}
	if k.Shared != nil {
		return k.Shared.PutOrGet(ctx, name, b)
	}
	if err := os.MkdirAll(k.Dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

func (k *Keys) citizen(iin string) (Citizen, bool) {
	for _, c := range k.Pop.Citizens {
		if c.IIN == iin {
			return c, true
		}
	}
	return Citizen{}, false
}

func (k *Keys) org(bin string) (Organization, bool) {
	for _, o := range k.Pop.Organizations {
		if o.BIN == bin {
			return o, true
		}
	}
	return Organization{}, false
}

// splitName turns "Айгерім Сәрсенбаева" into surname Сәрсенбаева and name Айгерім.
func splitName(full string) (surname, name string) {
	f := strings.Fields(full)
	if len(f) < 2 {
		return full, full
	}
	return f[len(f)-1], strings.Join(f[:len(f)-1], " ")
}

// Register mounts GET /sandbox/keys/org/{bin}/{alg}.p12. Organizations' keys are public
// in the sandbox, like the NCA's test keys; citizens' keys are served only to the
// citizen, by the cabinet (CitizenP12).
func (k *Keys) Register(handle func(pattern string, fn func(http.ResponseWriter, *http.Request) error)) {
	handle("GET /sandbox/keys/org/{bin}/{file}", func(w http.ResponseWriter, r *http.Request) error {
		alg, ok := strings.CutSuffix(r.PathValue("file"), ".p12")
		if !ok {
			return problem.NotFound
		}
		b, err := k.P12("org", r.PathValue("bin"), ca.Algorithm(alg))
		if err != nil {
			return err
		}
		WriteP12(w, r.PathValue("bin")+"-"+alg+".p12", b)
		return nil
	})
}

// WriteP12 sends a PKCS#12 file as a download.
func WriteP12(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", "application/x-pkcs12")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// Trust returns what the sandbox CA adds to the validator: its roots, intermediates and
// current CRLs.
func (k *Keys) Trust() (roots, intermediates []*x509.Certificate, crls []*pki.CRL, err error) {
	crls, err = k.CA.CRLs()
	return k.CA.Roots(), k.CA.Intermediates(), crls, err
}
