package client_test

import (
	"crypto"
	"crypto/x509"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senimkz/senim/client"
	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/pd"
)

// hsm stands for a key the client never holds (an HSM, a PKCS#11 token, a cloud KMS):
// a crypto.Signer that is not a standard-library key type, and counts its calls.
type hsm struct {
	inner crypto.Signer
	calls atomic.Int32
}

func (h *hsm) Public() crypto.PublicKey { return h.inner.Public() }
func (h *hsm) Sign(r io.Reader, digest []byte, o crypto.SignerOpts) ([]byte, error) {
	h.calls.Add(1)
	return h.inner.Sign(r, digest, o)
}

// Issue 16 item 4: the client signs requests and verification tokens with any
// crypto.Signer and its chain — ECDSA through an opaque signer, and GOST through
// GOSTKey behind the same opaque signer — and Senim accepts both (flow 2 end to end).
func TestAnySigner(t *testing.T) {
	e := newEnv(t)
	police := role(e.pop, "law_enforcement")
	subject := e.pop.Citizens[0]
	registerBIN := role(e.pop, "state_body").BIN
	for _, alg := range []ca.Algorithm{ca.P256, ca.GOST2015} {
		t.Run(string(alg), func(t *testing.T) {
			is, err := e.ca.IssueInformationSystem(police.BIN, police.Name, "system", alg)
			if err != nil {
				t.Fatal(err)
			}
			chain := append([]*x509.Certificate{is.Certificate}, is.Chain...)
			var inner crypto.Signer = is.Key.Crypto()
			if alg == ca.GOST2015 {
				der, err := is.Key.MarshalPKCS8()
				if err != nil {
					t.Fatal(err)
				}
				g, err := client.ParseGOSTKey(der)
				if err != nil {
					t.Fatal(err)
				}
				inner = g
			}
			h := &hsm{inner: inner}
			key, err := client.NewKey(h, chain)
			if err != nil {
				t.Fatal(err)
			}
			c, err := client.New(client.Config{BaseURL: e.url, Key: key, Now: func() time.Time { return e.now }})
			if err != nil {
				t.Fatal(err)
			}
			vt, err := key.ProtocolToken(subject.IIN, pd.SandboxGround, registerBIN, []string{"identity"}, "case 7", e.now)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := c.Protocol(t.Context(), vt)
			if err != nil || tok.SecurityToken == "" {
				t.Fatalf("flow 2 with an opaque %s signer: %v", alg, err)
			}
			if h.calls.Load() < 2 {
				t.Fatalf("the signer was called %d times; want the token and the request", h.calls.Load())
			}
		})
	}
	// Refusals: a signer of another key; a person's certificate (no BIN); no chain.
	a, _ := e.ca.IssueInformationSystem(police.BIN, police.Name, "a", ca.P256)
	b, _ := e.ca.IssueInformationSystem(police.BIN, police.Name, "b", ca.P256)
	if _, err := client.NewKey(b.Key.Crypto(), []*x509.Certificate{a.Certificate}); err == nil {
		t.Error("a signer of another key was accepted")
	}
	g1, _ := e.ca.IssueInformationSystem(police.BIN, police.Name, "g1", ca.GOST2015)
	g2, _ := e.ca.IssueInformationSystem(police.BIN, police.Name, "g2", ca.GOST2015)
	der, _ := g2.Key.MarshalPKCS8()
	gk, _ := client.ParseGOSTKey(der)
	if _, err := client.NewKey(gk, []*x509.Certificate{g1.Certificate}); err == nil {
		t.Error("a GOST key of another certificate was accepted")
	}
	if _, err := client.NewKey(a.Key.Crypto(), nil); err == nil {
		t.Error("a signer without a certificate was accepted")
	}
	p, err := e.ca.IssueIndividual(ca.Person{IIN: subject.IIN, Surname: "TEST", Name: "PERSON"}, ca.P256)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.NewKey(p.Key.Crypto(), []*x509.Certificate{p.Certificate}); err == nil {
		t.Error("a person's key was accepted as an organisation's")
	}
	if _, err := client.ParseGOSTKey([]byte("not a key")); err == nil {
		t.Error("garbage parsed as a GOST key")
	}
}

// The client is public: its exported API names no type of an internal package, so a
// bank can implement and call everything it offers.
func TestPublicAPIHasNoInternalTypes(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		internal := map[string]bool{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(path, "/internal/") {
				n := path[strings.LastIndex(path, "/")+1:]
				if imp.Name != nil {
					n = imp.Name.Name
				}
				internal[n] = true
			}
		}
		check := func(what string, n ast.Node) {
			if n == nil {
				return
			}
			ast.Inspect(n, func(x ast.Node) bool {
				if sel, ok := x.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && internal[id.Name] {
						t.Errorf("%s: exported %s uses %s.%s from an internal package", fset.Position(sel.Pos()), what, id.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv != nil {
					rt := d.Recv.List[0].Type
					if st, ok := rt.(*ast.StarExpr); ok {
						rt = st.X
					}
					if id, ok := rt.(*ast.Ident); ok && !id.IsExported() {
						continue
					}
				}
				check("func "+d.Name.Name, d.Type)
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						if !sp.Name.IsExported() {
							continue
						}
						if st, ok := sp.Type.(*ast.StructType); ok {
							for _, fld := range st.Fields.List {
								for _, n := range fld.Names {
									if n.IsExported() {
										check("field "+sp.Name.Name+"."+n.Name, fld.Type)
									}
								}
							}
							continue
						}
						check("type "+sp.Name.Name, sp.Type)
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							if n.IsExported() {
								check("value "+n.Name, sp.Type)
							}
						}
					}
				}
			}
		}
	}
}
