package ca

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/pki"
)

// Algorithm names a hierarchy of the CA, its key type and signature algorithm.
type Algorithm string

// The hierarchies.
const (
	// GOST2015 is GOST R 34.10-2015 512-bit (parameter set A) with Streebog-512,
	// signature OID 1.2.398.3.10.1.1.2.3.2: what the NCA issues since 2024.
	GOST2015 Algorithm = "gost2015"
	// P256 is ECDSA P-256 with SHA-256, for clients without GOST.
	P256 Algorithm = "p256"
)

func (a Algorithm) keyType() (eds.KeyType, bool) {
	switch a {
	case GOST2015:
		return eds.KeyGOST2015_512, true
	case P256:
		return eds.KeyECDSA, true
	}
	return eds.KeyUnknown, false
}

func (a Algorithm) label() string {
	if a == GOST2015 {
		return "GOST 2015"
	}
	return "ECDSA P-256"
}

// Config configures a CA.
type Config struct {
	// Now gives the current time. Default time.Now.
	Now func() time.Time
	// BaseURL is where the HTTP handler is reachable from the certificate users,
	// scheme://host[:port][/path] without the Prefix; the OCSP, CRL and caIssuers URLs
	// written into issued certificates are BaseURL + Prefix + "/...". Certificates keep
	// the URL they were issued with. Empty: the one last given for this directory, at
	// first "http://localhost:8080".
	BaseURL string
	// Algorithms are the hierarchies to create or load. Default GOST2015 and P256.
	Algorithms []Algorithm
	// LeafValidity is the lifetime of issued certificates (cut at the issuing CA's
	// expiry). Default 365 days, as the NCA.
	LeafValidity time.Duration
}

// Lifetimes of the CA certificates and the freshness of CRLs and OCSP answers.
const (
	rootValidity         = 20 * 365 * 24 * time.Hour
	intermediateValidity = 10 * 365 * 24 * time.Hour
	caBackdate           = time.Hour
	crlValidity          = 24 * time.Hour // nextUpdate - thisUpdate, daily as the NCA
	crlRefresh           = 12 * time.Hour // a new CRL is made when the cached one is this old
	ocspValidity         = time.Hour
)

// CA is a sandbox certification authority: for each algorithm a self-signed root and an
// issuing intermediate, persisted in a directory. It is safe for concurrent use by one
// process; two processes must not open the same directory at the same time.
type CA struct {
	dir string
	cfg Config

	mu       sync.Mutex
	st       *state
	auths    []*authority
	byName   map[string]*authority
	bySerial map[string]*certRecord // lower-case hex serial
	tsas     map[Algorithm]*timeStamper
}

// authority is one signing CA (a root or an intermediate).
type authority struct {
	name   string // e.g. "gost2015-ca"
	alg    Algorithm
	root   bool
	key    *eds.PrivateKey
	cert   *x509.Certificate
	parent *authority // nil for a root

	nameHash1, keyHash1, nameHash256, keyHash256 []byte

	crlDER   []byte
	crlThis  time.Time
	crlDirty bool
}

func authorityName(a Algorithm, root bool) string {
	if root {
		return string(a) + "-root"
	}
	return string(a) + "-ca"
}

// Open opens the CA kept in dir, creating the directory and the missing hierarchies of
// cfg.Algorithms on first use. A reopened CA has the same keys and certificates,
// continues its serial numbers and CRL numbers and keeps its revocations.
func Open(dir string, cfg Config) (*CA, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []Algorithm{GOST2015, P256}
	}
	if cfg.LeafValidity <= 0 {
		cfg.LeafValidity = 365 * 24 * time.Hour
	}
	for _, a := range cfg.Algorithms {
		if _, ok := a.keyType(); !ok {
			return nil, fmt.Errorf("%w: %q", ErrAlgorithm, a)
		}
	}
	if err := openDir(dir); err != nil {
		return nil, err
	}
	st, err := loadState(dir)
	if err != nil {
		return nil, err
	}
	// The base URL last given is kept, so `senim ca issue` writes the URLs chosen at
	// `senim ca init`.
	switch {
	case cfg.BaseURL != "":
		st.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	case st.BaseURL == "":
		st.BaseURL = "http://localhost:8080"
	}
	cfg.BaseURL = st.BaseURL
	c := &CA{dir: dir, cfg: cfg, st: st, byName: map[string]*authority{}, bySerial: map[string]*certRecord{}, tsas: map[Algorithm]*timeStamper{}}
	for _, r := range st.Certs {
		c.bySerial[r.Serial] = r
	}
	for _, a := range cfg.Algorithms {
		if _, done := c.byName[authorityName(a, true)]; done {
			continue
		}
		root, err := c.loadOrCreate(a, nil)
		if err != nil {
			return nil, err
		}
		ca, err := c.loadOrCreate(a, root)
		if err != nil {
			return nil, err
		}
		ts, err := c.loadOrCreateTSA(ca)
		if err != nil {
			return nil, err
		}
		c.tsas[a] = ts
	}
	if err := saveState(dir, c.st); err != nil {
		return nil, err
	}
	return c, nil
}

// loadOrCreate loads the root (parent == nil) or the intermediate of algorithm a, or
// makes it when its files are absent.
func (c *CA) loadOrCreate(a Algorithm, parent *authority) (*authority, error) {
	au := &authority{name: authorityName(a, parent == nil), alg: a, root: parent == nil, parent: parent, crlDirty: true}
	certPath := filepath.Join(c.dir, au.name+".cer")
	keyPath := filepath.Join(c.dir, au.name+".key")
	certDER, errC := readPrivate(certPath)
	keyPEM, errK := readPrivate(keyPath)
	switch {
	case errC == nil && errK == nil:
		cert, err := x509.ParseCertificate(certDER)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrStore, certPath, err)
		}
		key, err := decodeKey(keyPath, keyPEM)
		if err != nil {
			return nil, err
		}
		pub, err := eds.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
		if err != nil || !pub.Equal(key.Public()) {
			return nil, fmt.Errorf("%w: %s does not belong to %s", ErrStore, keyPath, certPath)
		}
		kt, _ := a.keyType()
		if key.Type() != kt {
			return nil, fmt.Errorf("%w: %s is a %v key, want %v", ErrStore, keyPath, key.Type(), kt)
		}
		if parent != nil && (!bytes.Equal(cert.RawIssuer, parent.cert.RawSubject) || !bytes.Equal(cert.AuthorityKeyId, parent.cert.SubjectKeyId)) {
			return nil, fmt.Errorf("%w: %s was not issued by %s.cer", ErrStore, certPath, parent.name)
		}
		au.key, au.cert = key, cert
	case errors.Is(errC, fs.ErrNotExist) && errors.Is(errK, fs.ErrNotExist):
		// First use, or an intermediate lost while its root is kept: make a new one.
		// A lost root is not remade under a surviving intermediate.
		if au.root {
			if _, err := os.Stat(filepath.Join(c.dir, authorityName(a, false)+".cer")); err == nil {
				return nil, fmt.Errorf("%w: %s is missing but its intermediate exists", ErrStore, certPath)
			}
		}
		if err := c.createAuthority(au); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: %s and %s must both exist or both be absent (%v; %v)", ErrStore, certPath, keyPath, errC, errK)
	}
	if err := au.computeHashes(); err != nil {
		return nil, err
	}
	if !au.root {
		// Self-heal a crash between writing the files and the state.
		s := serialHex(au.cert.SerialNumber)
		if _, ok := c.bySerial[s]; !ok {
			c.addRecord(&certRecord{Serial: s, Issuer: parent.name, Kind: "ca", NotAfter: au.cert.NotAfter.UTC()})
		}
	}
	c.auths = append(c.auths, au)
	c.byName[au.name] = au
	return au, nil
}

func (au *authority) computeHashes() error {
	bits, err := publicKeyBits(au.cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return err
	}
	n1, k1 := sha1.Sum(au.cert.RawSubject), sha1.Sum(bits)
	n2, k2 := sha256.Sum256(au.cert.RawSubject), sha256.Sum256(bits)
	au.nameHash1, au.keyHash1, au.nameHash256, au.keyHash256 = n1[:], k1[:], n2[:], k2[:]
	return nil
}

func publicKeyBits(spki []byte) ([]byte, error) {
	var s struct {
		Alg pkix.AlgorithmIdentifier
		Key asn1.BitString
	}
	if rest, err := asn1.Unmarshal(spki, &s); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("%w: subjectPublicKeyInfo", ErrStore)
	}
	return s.Key.Bytes, nil
}

func (c *CA) addRecord(r *certRecord) {
	c.st.Certs = append(c.st.Certs, r)
	c.bySerial[r.Serial] = r
}

// nextSerial returns a fresh serial number: the persistent counter in the upper bits
// (so serials grow and never repeat within a directory) and 64 random bits below (so
// they cannot be guessed, CA/Browser Forum style). Callers hold c.mu.
func (c *CA) nextSerial() (*big.Int, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	s := new(big.Int).SetUint64(c.st.NextSerial)
	s.Lsh(s, 64)
	s.Or(s, new(big.Int).SetUint64(binary.BigEndian.Uint64(rnd[:])))
	c.st.NextSerial++
	return s, nil
}

func serialHex(s *big.Int) string { return s.Text(16) }

func (c *CA) url(path string) string { return c.cfg.BaseURL + Prefix + path }

// createAuthority makes the key and certificate of au and writes them.
func (c *CA) createAuthority(au *authority) error {
	kt, _ := au.alg.keyType()
	key, err := eds.GenerateKey(nil, kt)
	if err != nil {
		return fmt.Errorf("ca: key generation: %w", err)
	}
	now := utc(c.cfg.Now())
	var name nameBuilder
	role := "ROOT CA"
	if !au.root {
		role = "ISSUING CA"
	}
	name.add(oidCN, tagUTF8, fmt.Sprintf("SANDBOX %s (%s) - NOT FOR PRODUCTION", role, au.alg.label()))
	name.add(oidOrganization, tagUTF8, "Senim sandbox - NOT FOR PRODUCTION")
	name.add(oidCountry, tagPrintable, "KZ")
	subject, err := name.marshal()
	if err != nil {
		return err
	}
	ski, err := subjectKeyID(key.Public().Raw)
	if err != nil {
		return err
	}
	issuerKey, issuerName, issuerSKI := key, subject, ski
	notAfter := now.Add(rootValidity)
	if !au.root {
		issuerKey, issuerName, issuerSKI = au.parent.key, au.parent.cert.RawSubject, au.parent.cert.SubjectKeyId
		notAfter = now.Add(intermediateValidity)
		if pa := au.parent.cert.NotAfter; notAfter.After(pa) {
			notAfter = pa
		}
	}
	ku, err := keyUsage(kuKeyCertSign, kuCRLSign)
	if err != nil {
		return err
	}
	bc := struct{ IsCA bool }{true}
	var exts []pkix.Extension
	e, err := ext(oidExtBasicConstr, true, bc)
	if err != nil {
		return err
	}
	exts = append(exts, e, rawExt(oidExtKeyUsage, true, ku))
	if e, err = ext(oidExtSKI, false, ski); err != nil {
		return err
	}
	exts = append(exts, e)
	if !au.root {
		if e, err = ext(oidExtAKI, false, authorityKeyID{issuerSKI}); err != nil {
			return err
		}
		exts = append(exts, e)
		dp, err := crlDP(c.url("/crl/" + au.parent.name + ".crl"))
		if err != nil {
			return err
		}
		info, err := aia("", c.url("/cert/"+au.parent.name+".cer"))
		if err != nil {
			return err
		}
		exts = append(exts, rawExt(oidExtCRLDP, false, dp), rawExt(oidExtAIA, false, info))
		if e, err = ext(oidExtPolicies, false, []policyInformation{{oidPolicyNCAGeneric}}); err != nil {
			return err
		}
		exts = append(exts, e)
	}

	c.mu.Lock()
	serial, err := c.nextSerial()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	der, err := sign(issuerKey, tbsCertificate{
		Version:    2,
		Serial:     serial,
		SigAlg:     sigAlgID(issuerKey),
		Issuer:     asn1.RawValue{FullBytes: issuerName},
		Validity:   validity{now.Add(-caBackdate), notAfter},
		Subject:    asn1.RawValue{FullBytes: subject},
		PublicKey:  asn1.RawValue{FullBytes: key.Public().Raw},
		Extensions: exts,
	}, nil)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("ca: made an unparsable certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(c.dir, au.name+".key"), keyPEM); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(c.dir, au.name+".cer"), der); err != nil {
		return err
	}
	au.key, au.cert = key, cert
	if !au.root {
		c.addRecord(&certRecord{Serial: serialHex(serial), Issuer: au.parent.name, Kind: "ca", NotAfter: notAfter})
	}
	return nil
}

// Issued is a key with its new certificate.
type Issued struct {
	Key         *eds.PrivateKey
	Certificate *x509.Certificate
	// Chain is the issuing CA's certificate, then the root's.
	Chain []*x509.Certificate
}

// Person is the holder of a personal certificate. Names are written in upper case, as
// the NCA writes them.
type Person struct {
	IIN        string // 12 digits; the check digit is not enforced (the NCA test PKI fails it)
	Surname    string
	Name       string
	Patronymic string // optional
}

// Request asks for a certificate. The kind follows from the fields: SystemName makes
// an information-system certificate, else BIN an organization's, else an individual's.
type Request struct {
	Algorithm Algorithm
	Person    Person // required except for an information system
	// BIN and Organization: a legal entity's certificate (OU=BIN…, O=…).
	BIN          string
	Organization string
	// Role of the person in the organization: pki.RoleCEO, RoleCanSign,
	// RoleCanSignFinancial, RoleHR or RoleEmployee (the default).
	Role pki.Role
	// SystemName makes an information-system certificate (DC=ROLE02,
	// businessCategory=SystemName, EKU 1.2.398.3.3.4.1.2.6). Its CN is the
	// responsible person's name when Person is given, else SystemName.
	SystemName string
}

var roleEKU = map[pki.Role]asn1.ObjectIdentifier{
	pki.RoleCEO:              {1, 2, 398, 3, 3, 4, 1, 2, 1},
	pki.RoleCanSign:          {1, 2, 398, 3, 3, 4, 1, 2, 2},
	pki.RoleCanSignFinancial: {1, 2, 398, 3, 3, 4, 1, 2, 3},
	pki.RoleHR:               {1, 2, 398, 3, 3, 4, 1, 2, 4},
	pki.RoleEmployee:         {1, 2, 398, 3, 3, 4, 1, 2, 5},
}

// IssueIndividual issues an individual's certificate (EKU 1.2.398.3.3.4.1.1).
func (c *CA) IssueIndividual(p Person, alg Algorithm) (*Issued, error) {
	return c.Issue(Request{Algorithm: alg, Person: p})
}

// IssueOrganization issues the certificate of person p acting for the legal entity bin
// (EKU 1.2.398.3.3.4.1.2 and the role's EKU).
func (c *CA) IssueOrganization(bin, orgName string, p Person, role pki.Role, alg Algorithm) (*Issued, error) {
	return c.Issue(Request{Algorithm: alg, Person: p, BIN: bin, Organization: orgName, Role: role})
}

// IssueInformationSystem issues the certificate of an organization's information system
// (EKUs 1.2.398.3.3.4.1.2 and 1.2.398.3.3.4.1.2.6, "digital system of a legal entity"),
// with CN=systemName.
func (c *CA) IssueInformationSystem(bin, orgName, systemName string, alg Algorithm) (*Issued, error) {
	return c.Issue(Request{Algorithm: alg, BIN: bin, Organization: orgName, SystemName: systemName})
}

func digits12(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func cleanText(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", fmt.Errorf("%w: %s is required", ErrInvalidRequest, field)
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > 200:
		return "", fmt.Errorf("%w: %s is not valid UTF-8 of at most 200 characters", ErrInvalidRequest, field)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", fmt.Errorf("%w: %s has control characters", ErrInvalidRequest, field)
	}
	return s, nil
}

// subjectFor validates r and builds the subject name and the EKUs.
func subjectFor(r Request) (subject []byte, ekus []asn1.ObjectIdentifier, kind string, err error) {
	isSystem := r.SystemName != ""
	isOrg := isSystem || r.BIN != "" || r.Organization != ""
	var p Person
	personGiven := !isSystem || r.Person.IIN != "" || r.Person.Surname != "" || r.Person.Name != ""
	if personGiven {
		if !digits12(r.Person.IIN) {
			return nil, nil, "", fmt.Errorf("%w: IIN must be 12 digits", ErrInvalidRequest)
		}
		p.IIN = r.Person.IIN
		if p.Surname, err = cleanText("surname", r.Person.Surname, true); err != nil {
			return
		}
		if p.Name, err = cleanText("name", r.Person.Name, true); err != nil {
			return
		}
		if p.Patronymic, err = cleanText("patronymic", r.Person.Patronymic, false); err != nil {
			return
		}
		p.Surname, p.Name, p.Patronymic = strings.ToUpper(p.Surname), strings.ToUpper(p.Name), strings.ToUpper(p.Patronymic)
	}
	var org, system string
	if isOrg {
		if !digits12(r.BIN) {
			return nil, nil, "", fmt.Errorf("%w: BIN must be 12 digits", ErrInvalidRequest)
		}
		if org, err = cleanText("organization", r.Organization, true); err != nil {
			return
		}
	}
	if isSystem {
		if system, err = cleanText("system name", r.SystemName, true); err != nil {
			return
		}
	}

	var n nameBuilder
	ekus = []asn1.ObjectIdentifier{oidEKUEmailProtect}
	switch {
	case isSystem:
		kind = "information_system"
		n.add(oidDomainComponent, tagIA5, "ROLE02")
		ekus = append(ekus, oidEKUOrganization, oidEKUInfoSystem)
		if r.Role != "" {
			return nil, nil, "", fmt.Errorf("%w: an information system has no role", ErrInvalidRequest)
		}
	case isOrg:
		kind = "organization"
		role := r.Role
		if role == "" {
			role = pki.RoleEmployee
		}
		oid, ok := roleEKU[role]
		if !ok {
			return nil, nil, "", fmt.Errorf("%w: role %q is not one of CEO, CAN_SIGN, CAN_SIGN_FINANCIAL, HR, EMPLOYEE", ErrInvalidRequest, role)
		}
		ekus = append(ekus, oidEKUOrganization, oid)
	default:
		kind = "individual"
		if r.Role != "" {
			return nil, nil, "", fmt.Errorf("%w: an individual has no role", ErrInvalidRequest)
		}
		ekus = append(ekus, oidEKUIndividual)
	}
	if personGiven {
		n.add(oidCN, tagUTF8, p.Surname+" "+p.Name)
		n.add(oidSurname, tagUTF8, p.Surname)
		n.add(oidSerialNumber, tagPrintable, "IIN"+p.IIN)
	} else {
		n.add(oidCN, tagUTF8, system)
	}
	n.add(oidCountry, tagPrintable, "KZ")
	if isOrg {
		n.add(oidOrganization, tagUTF8, org)
		n.add(oidOrgUnit, tagUTF8, "BIN"+r.BIN)
	}
	if isSystem {
		n.add(oidBusinessCategory, tagUTF8, system)
	}
	n.add(oidGivenName, tagUTF8, p.Patronymic)
	subject, err = n.marshal()
	return subject, ekus, kind, err
}

// Issue makes a key of r.Algorithm and a certificate for it in the NCA profile, signed
// by the algorithm's issuing CA.
func (c *CA) Issue(r Request) (*Issued, error) {
	subject, ekus, kind, err := subjectFor(r)
	if err != nil {
		return nil, err
	}
	iss, err := c.authority(authorityName(r.Algorithm, false))
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, r.Algorithm)
	}
	return c.issueLeaf(iss, leafProfile{
		subject: subject, kind: kind, ekus: ekus, validity: c.cfg.LeafValidity,
		// digitalSignature + nonRepudiation + keyAgreement: the NCA's usage for keys
		// that both sign and authenticate; ECDH makes keyAgreement meaningful for
		// P-256 too.
		keyUsage: []int{kuDigitalSignature, kuNonRepudiation, kuKeyAgreement},
		// Key store type as the NCA marks keys delivered in a PKCS#12 file (value
		// copied from the NCA test certificates).
		keyStore: true,
	})
}

type leafProfile struct {
	subject     []byte
	kind        string // recorded in state.json
	ekus        []asn1.ObjectIdentifier
	ekuCritical bool
	keyUsage    []int
	keyStore    bool
	validity    time.Duration
}

// issueLeaf makes a key and an end-entity certificate signed by iss.
func (c *CA) issueLeaf(iss *authority, p leafProfile) (*Issued, error) {
	kt, _ := iss.alg.keyType()
	key, err := eds.GenerateKey(nil, kt)
	if err != nil {
		return nil, fmt.Errorf("ca: key generation: %w", err)
	}
	ski, err := subjectKeyID(key.Public().Raw)
	if err != nil {
		return nil, err
	}
	now := utc(c.cfg.Now())
	notAfter := now.Add(p.validity)
	if notAfter.After(iss.cert.NotAfter) {
		notAfter = iss.cert.NotAfter.UTC()
	}
	if !notAfter.After(now) {
		return nil, fmt.Errorf("%w: the issuing CA %s has expired", ErrStore, iss.name)
	}

	var exts []pkix.Extension
	add := func(oid asn1.ObjectIdentifier, critical bool, v any) {
		if err != nil {
			return
		}
		var e pkix.Extension
		e, err = ext(oid, critical, v)
		exts = append(exts, e)
	}
	add(oidExtExtKeyUsage, p.ekuCritical, p.ekus)
	add(oidExtPolicies, false, []policyInformation{{oidPolicyNCAGeneric}})
	info, err := aia(c.url("/ocsp"), c.url("/cert/"+iss.name+".cer"))
	if err != nil {
		return nil, err
	}
	dp, err := crlDP(c.url("/crl/" + iss.name + ".crl"))
	if err != nil {
		return nil, err
	}
	ku, err := keyUsage(p.keyUsage...)
	if err != nil {
		return nil, err
	}
	exts = append(exts, rawExt(oidExtAIA, false, info), rawExt(oidExtCRLDP, false, dp), rawExt(oidExtKeyUsage, true, ku))
	add(oidExtSKI, false, ski)
	add(oidExtAKI, false, authorityKeyID{iss.cert.SubjectKeyId})
	if p.keyStore {
		add(oidExtKeyStoreType, false, []asn1.ObjectIdentifier{oidKeyStorePKCS12})
	}
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	serial, err := c.nextSerial()
	if err != nil {
		return nil, err
	}
	der, err := sign(iss.key, tbsCertificate{
		Version:    2,
		Serial:     serial,
		SigAlg:     sigAlgID(iss.key),
		Issuer:     asn1.RawValue{FullBytes: iss.cert.RawSubject},
		Validity:   validity{now, notAfter},
		Subject:    asn1.RawValue{FullBytes: p.subject},
		PublicKey:  asn1.RawValue{FullBytes: key.Public().Raw},
		Extensions: exts,
	}, nil)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: made an unparsable certificate: %w", err)
	}
	c.addRecord(&certRecord{Serial: serialHex(serial), Issuer: iss.name, Kind: p.kind, NotAfter: notAfter})
	if err := saveState(c.dir, c.st); err != nil {
		return nil, err
	}
	return &Issued{Key: key, Certificate: cert, Chain: []*x509.Certificate{iss.cert, iss.parent.cert}}, nil
}

func (c *CA) authority(name string) (*authority, error) {
	au, ok := c.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAuthority, name)
	}
	return au, nil
}

// Revoke revokes the certificate with the given serial number (an issued one or an
// intermediate) at time at (zero: now; never in the future) for reason. The next CRL
// and every OCSP answer from now on list it.
func (c *CA) Revoke(serial *big.Int, reason pki.Reason, at time.Time) error {
	if serial == nil || serial.Sign() <= 0 {
		return fmt.Errorf("%w: serial number", ErrInvalidRequest)
	}
	switch {
	case reason < 0 || reason > pki.ReasonAACompromise || reason == 7:
		return fmt.Errorf("%w: reason code %d", ErrInvalidRequest, reason)
	case reason == pki.ReasonRemoveFromCRL:
		return fmt.Errorf("%w: removeFromCRL is for delta CRLs only", ErrInvalidRequest)
	}
	now := utc(c.cfg.Now())
	if at.IsZero() {
		at = now
	}
	at = utc(at)
	if at.After(now) {
		return fmt.Errorf("%w: revocation time is in the future", ErrInvalidRequest)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.bySerial[serialHex(serial)]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownSerial, serialHex(serial))
	}
	if rec.RevokedAt != nil {
		return fmt.Errorf("%w: %s", ErrAlreadyRevoked, rec.Serial)
	}
	rec.RevokedAt, rec.Reason = &at, int(reason)
	if err := saveState(c.dir, c.st); err != nil {
		rec.RevokedAt, rec.Reason = nil, 0
		return err
	}
	if au, ok := c.byName[rec.Issuer]; ok {
		au.crlDirty = true
	}
	return nil
}

// Authority describes one certificate authority of the CA and its URLs.
type Authority struct {
	Name        string // e.g. "gost2015-ca"; see the package documentation
	Algorithm   Algorithm
	Root        bool
	Certificate *x509.Certificate
	CertURL     string
	CRLURL      string
}

// Authorities lists the roots and intermediates, root first for each algorithm.
func (c *CA) Authorities() []Authority {
	out := make([]Authority, 0, len(c.auths))
	for _, au := range c.auths {
		out = append(out, Authority{
			Name: au.name, Algorithm: au.alg, Root: au.root, Certificate: au.cert,
			CertURL: c.url("/cert/" + au.name + ".cer"), CRLURL: c.url("/crl/" + au.name + ".crl"),
		})
	}
	return out
}

// Roots returns the root certificates: the trust anchors of the sandbox.
func (c *CA) Roots() []*x509.Certificate { return c.certs(true) }

// Intermediates returns the issuing CA certificates.
func (c *CA) Intermediates() []*x509.Certificate { return c.certs(false) }

func (c *CA) certs(root bool) []*x509.Certificate {
	var out []*x509.Certificate
	for _, au := range c.auths {
		if au.root == root {
			out = append(out, au.cert)
		}
	}
	return out
}

// OCSPURL is the responder's URL, as written into issued certificates.
func (c *CA) OCSPURL() string { return c.url("/ocsp") }
