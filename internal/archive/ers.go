package archive

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"hash"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/cms/signeddata"
)

// An evidence record (RFC 4998, Evidence Record Syntax) proves that data objects existed
// at a time, and keeps proving it after the time-stamping key expires or the hash
// algorithm weakens, by renewing the time-stamp. Many documents share one time-stamp:
// their hashes are the leaves of a hash tree whose root is time-stamped, and each
// document keeps only its path to the root (the "reduced hash tree").
//
// The tree is RFC 4998's, not the RFC 6962 tree of internal/auditlog: a node is the
// hash of its children's hashes sorted in binary ascending order and concatenated, so
// a verifier needs no left/right positions. That is why the tree is written here and
// not borrowed from the log.
//
// Shape of the trees this package writes (any tree of that syntax verifies):
//   - a leaf is a data-object group: the sorted hashes of a document's content and of
//     each of its signatures; the leaf's node is the hash of their concatenation;
//   - nodes are paired left to right; a node left alone at the end of a level is
//     hashed alone (a group of one), so its list in the reduced tree is empty;
//   - the root's pre-image (the concatenation hashed last) is what the TSA hashes, so
//     the time-stamp's message imprint is the root.

// ArchiveTimeStamp is one ArchiveTimeStamp of RFC 4998, section 4.1.
type ArchiveTimeStamp struct {
	// DigestAlgorithm hashes the tree; always written, and must be the time-stamp's
	// imprint algorithm.
	DigestAlgorithm asn1.ObjectIdentifier
	// ReducedHashtree is the path from the data to the root, one list per level; nil
	// when the time-stamp is directly over the data's hash.
	ReducedHashtree [][][]byte
	// TimeStamp is the DER ContentInfo of an RFC 3161 time-stamp token.
	TimeStamp []byte
}

// EvidenceRecord is RFC 4998's EvidenceRecord: one or more ArchiveTimeStampChains. Each
// chain uses one hash algorithm; in a chain, every time-stamp after the first is over
// the previous one's TimeStamp (time-stamp renewal, section 5.2).
type EvidenceRecord struct {
	DigestAlgorithms []asn1.ObjectIdentifier
	Chains           [][]ArchiveTimeStamp
}

// Limits on a parsed record (an evidence record is untrusted input in an import).
const (
	maxChains      = 16
	maxATSPerChain = 512
	maxLists       = 64
	maxListLen     = 1024
	maxHashLen     = 64
)

var (
	tag0c = casn1.Tag(0).ContextSpecific().Constructed()
	tag1c = casn1.Tag(1).ContextSpecific().Constructed()
	tag2c = casn1.Tag(2).ContextSpecific().Constructed()
)

// Marshal encodes er in DER (the ASN.1 module of RFC 4998 uses implicit tags).
func (er *EvidenceRecord) Marshal() ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, a := range er.DigestAlgorithms {
				b.AddBytes(signeddata.AlgorithmIdentifier(a, false))
			}
		})
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, chain := range er.Chains {
				b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, ats := range chain {
						addATS(b, ats)
					}
				})
			}
		})
	})
	return b.Bytes()
}

func addATS(b *cryptobyte.Builder, ats ArchiveTimeStamp) {
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if ats.DigestAlgorithm != nil {
			b.AddASN1(tag0c, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(ats.DigestAlgorithm) })
		}
		if ats.ReducedHashtree != nil {
			b.AddASN1(tag2c, func(b *cryptobyte.Builder) { addLists(b, ats.ReducedHashtree) })
		}
		b.AddBytes(ats.TimeStamp)
	})
}

// ParseEvidenceRecord reads a DER EvidenceRecord. It never panics; errors wrap
// ErrMalformedRecord or ErrUnsupported (encryptionInfo, an unknown version).
func ParseEvidenceRecord(der []byte) (*EvidenceRecord, error) {
	in := cryptobyte.String(der)
	var seq, algs, atss cryptobyte.String
	var version int
	if !in.ReadASN1(&seq, casn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&version) ||
		!seq.ReadASN1(&algs, casn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: not an EvidenceRecord", ErrMalformedRecord)
	}
	if version != 1 {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupported, version)
	}
	er := &EvidenceRecord{}
	for !algs.Empty() {
		var a cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !algs.ReadASN1(&a, casn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&oid) {
			return nil, fmt.Errorf("%w: bad digestAlgorithms", ErrMalformedRecord)
		}
		er.DigestAlgorithms = append(er.DigestAlgorithms, oid)
	}
	if seq.PeekASN1Tag(tag0c) { // cryptoInfos: verification data, not used here
		var skip cryptobyte.String
		if !seq.ReadASN1(&skip, tag0c) {
			return nil, fmt.Errorf("%w: bad cryptoInfos", ErrMalformedRecord)
		}
	}
	if seq.PeekASN1Tag(tag1c) {
		return nil, fmt.Errorf("%w: encrypted data objects", ErrUnsupported)
	}
	if !seq.ReadASN1(&atss, casn1.SEQUENCE) || !seq.Empty() {
		return nil, fmt.Errorf("%w: bad archiveTimeStampSequence", ErrMalformedRecord)
	}
	for !atss.Empty() {
		if len(er.Chains) == maxChains {
			return nil, fmt.Errorf("%w: more than %d chains", ErrMalformedRecord, maxChains)
		}
		var chainS cryptobyte.String
		if !atss.ReadASN1(&chainS, casn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: bad ArchiveTimeStampChain", ErrMalformedRecord)
		}
		var chain []ArchiveTimeStamp
		for !chainS.Empty() {
			if len(chain) == maxATSPerChain {
				return nil, fmt.Errorf("%w: more than %d time-stamps in a chain", ErrMalformedRecord, maxATSPerChain)
			}
			ats, err := parseATS(&chainS)
			if err != nil {
				return nil, err
			}
			chain = append(chain, ats)
		}
		if len(chain) == 0 {
			return nil, fmt.Errorf("%w: empty ArchiveTimeStampChain", ErrMalformedRecord)
		}
		er.Chains = append(er.Chains, chain)
	}
	if len(er.Chains) == 0 {
		return nil, fmt.Errorf("%w: no ArchiveTimeStampChain", ErrMalformedRecord)
	}
	return er, nil
}

func parseATS(s *cryptobyte.String) (ArchiveTimeStamp, error) {
	var ats ArchiveTimeStamp
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, casn1.SEQUENCE) {
		return ats, fmt.Errorf("%w: bad ArchiveTimeStamp", ErrMalformedRecord)
	}
	if seq.PeekASN1Tag(tag0c) {
		var a cryptobyte.String
		if !seq.ReadASN1(&a, tag0c) || !a.ReadASN1ObjectIdentifier(&ats.DigestAlgorithm) {
			return ats, fmt.Errorf("%w: bad digestAlgorithm", ErrMalformedRecord)
		}
	}
	if seq.PeekASN1Tag(tag1c) { // attributes: none are understood
		var skip cryptobyte.String
		if !seq.ReadASN1(&skip, tag1c) {
			return ats, fmt.Errorf("%w: bad attributes", ErrMalformedRecord)
		}
	}
	if seq.PeekASN1Tag(tag2c) {
		var lists cryptobyte.String
		if !seq.ReadASN1(&lists, tag2c) {
			return ats, fmt.Errorf("%w: bad reducedHashtree", ErrMalformedRecord)
		}
		var err error
		if ats.ReducedHashtree, err = parseLists(lists); err != nil {
			return ats, err
		}
	}
	var ts cryptobyte.String
	if !seq.ReadASN1Element(&ts, casn1.SEQUENCE) || !seq.Empty() {
		return ats, fmt.Errorf("%w: bad timeStamp", ErrMalformedRecord)
	}
	ats.TimeStamp = []byte(ts)
	return ats, nil
}

func parseLists(lists cryptobyte.String) ([][][]byte, error) {
	out := [][][]byte{}
	for !lists.Empty() {
		if len(out) == maxLists {
			return nil, fmt.Errorf("%w: reducedHashtree deeper than %d", ErrMalformedRecord, maxLists)
		}
		var l cryptobyte.String
		if !lists.ReadASN1(&l, casn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: bad PartialHashtree", ErrMalformedRecord)
		}
		list := [][]byte{}
		for !l.Empty() {
			var h cryptobyte.String
			if len(list) == maxListLen || !l.ReadASN1(&h, casn1.OCTET_STRING) || len(h) == 0 || len(h) > maxHashLen {
				return nil, fmt.Errorf("%w: bad hash value in PartialHashtree", ErrMalformedRecord)
			}
			list = append(list, []byte(h))
		}
		out = append(out, list)
	}
	return out, nil
}

func addLists(b *cryptobyte.Builder, lists [][][]byte) {
	for _, list := range lists {
		b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, h := range list {
				b.AddASN1OctetString(h)
			}
		})
	}
}

// MarshalATS encodes one ArchiveTimeStamp in DER.
func MarshalATS(ats ArchiveTimeStamp) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	addATS(b, ats)
	return b.Bytes()
}

// ParseATS reads one DER ArchiveTimeStamp.
func ParseATS(der []byte) (ArchiveTimeStamp, error) {
	s := cryptobyte.String(der)
	ats, err := parseATS(&s)
	if err == nil && !s.Empty() {
		err = fmt.Errorf("%w: trailing data", ErrMalformedRecord)
	}
	return ats, err
}

// marshalTree encodes a reduced hash tree (SEQUENCE OF PartialHashtree).
func marshalTree(t [][][]byte) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) { addLists(b, t) })
	return b.Bytes()
}

func parseTree(der []byte) ([][][]byte, error) {
	s := cryptobyte.String(der)
	var lists cryptobyte.String
	if !s.ReadASN1(&lists, casn1.SEQUENCE) || !s.Empty() {
		return nil, fmt.Errorf("%w: bad reduced hash tree", ErrMalformedRecord)
	}
	return parseLists(lists)
}

// hasher returns the hash of oid, or ErrUnsupported.
func hasher(oid asn1.ObjectIdentifier) (func() hash.Hash, error) {
	h, ok := eds.LookupDigestAlgorithm(oid)
	if !ok {
		return nil, fmt.Errorf("%w: hash algorithm %s", ErrUnsupported, oid)
	}
	return h, nil
}

// Digest hashes data with the algorithm oid.
func Digest(oid asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	h, err := hasher(oid)
	if err != nil {
		return nil, err
	}
	d := h()
	d.Write(data)
	return d.Sum(nil), nil
}

// sortedConcat returns the hash values of list sorted in binary ascending order and
// concatenated: the pre-image of a tree node.
func sortedConcat(list [][]byte) []byte {
	s := slices.Clone(list)
	slices.SortFunc(s, bytes.Compare)
	return bytes.Join(s, nil)
}

func hashOf(h func() hash.Hash, b []byte) []byte {
	d := h()
	d.Write(b)
	return d.Sum(nil)
}

// tree is a built hash tree: the first lists (one per group) and each level's nodes.
type tree struct {
	first   [][][]byte // sorted groups, one per input group
	leaf    []int      // the leaf of each input group
	levels  [][][]byte // levels[0] are the leaf nodes; the last level has one node
	preRoot []byte     // the root's pre-image
}

// buildTree builds the tree over groups (each non-empty: a leaf's data-object hashes).
// Equal groups (two documents of the same content and signature files, or records
// whose last time-stamp is the same token) share one leaf: a node whose sibling has
// its own value cannot be told from a node without a sibling in a reduced hash tree
// (rootOf adds the computed hash to the next list only when it is not there), so such
// a pair would give a root that no path reaches.
func buildTree(h func() hash.Hash, groups [][][]byte) *tree {
	t := &tree{first: make([][][]byte, len(groups)), leaf: make([]int, len(groups))}
	level := make([][]byte, 0, len(groups))
	index := make(map[string]int, len(groups))
	for i, g := range groups {
		s := slices.Clone(g)
		slices.SortFunc(s, bytes.Compare)
		t.first[i] = s
		pre := bytes.Join(s, nil)
		node := hashOf(h, pre)
		if j, ok := index[string(node)]; ok {
			t.leaf[i] = j
			continue
		}
		index[string(node)] = len(level)
		t.leaf[i] = len(level)
		level = append(level, node)
		t.preRoot = pre
	}
	t.levels = append(t.levels, level)
	buf := make([]byte, 0, 2*maxHashLen)
	for len(level) > 1 {
		next := make([][]byte, 0, (len(level)+1)/2)
		for i := 0; i < len(level); i += 2 {
			buf = buf[:0]
			if i+1 < len(level) {
				a, b := level[i], level[i+1]
				if bytes.Compare(a, b) > 0 {
					a, b = b, a
				}
				buf = append(append(buf, a...), b...)
			} else {
				buf = append(buf, level[i]...)
			}
			next = append(next, hashOf(h, buf))
			if len(level) <= 2 {
				t.preRoot = slices.Clone(buf)
			}
		}
		level = next
		t.levels = append(t.levels, level)
	}
	return t
}

// path returns group g's reduced hash tree: its group, then the sibling (or none) at
// each level below the root.
func (t *tree) path(g int) [][][]byte {
	out := [][][]byte{t.first[g]}
	i := t.leaf[g]
	for _, level := range t.levels[:len(t.levels)-1] {
		sib := i ^ 1
		if sib < len(level) {
			out = append(out, [][]byte{level[sib]})
		} else {
			out = append(out, [][]byte{})
		}
		i /= 2
	}
	return out
}

// Seal time-stamps a hash tree over groups (each a document's data-object hashes, made
// with alg) with one time-stamp, and returns each group's ArchiveTimeStamp, in order.
func Seal(ctx context.Context, tsa cms.TimeStamper, alg asn1.ObjectIdentifier, groups [][][]byte) ([]ArchiveTimeStamp, error) {
	h, err := hasher(alg)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, nil
	}
	for _, g := range groups {
		if len(g) == 0 {
			return nil, fmt.Errorf("archive: an empty data-object group")
		}
	}
	t := buildTree(h, groups)
	tok, err := tsa.TimeStamp(ctx, alg, t.preRoot)
	if err != nil {
		return nil, fmt.Errorf("archive: time-stamp: %w", err)
	}
	out := make([]ArchiveTimeStamp, len(groups))
	for i := range groups {
		out[i] = ArchiveTimeStamp{DigestAlgorithm: alg, ReducedHashtree: t.path(i), TimeStamp: tok}
	}
	return out, nil
}

// rootOf follows a reduced hash tree from the hashes hs (which must all be in its
// first list) to the root. Without a reduced tree, hs must be one hash: the root.
func rootOf(h func() hash.Hash, rht [][][]byte, hs [][]byte) ([]byte, error) {
	if rht == nil {
		if len(hs) != 1 {
			return nil, fmt.Errorf("%w: several data objects and no reduced hash tree", ErrNotCovered)
		}
		return hs[0], nil
	}
	if len(rht) == 0 {
		return nil, fmt.Errorf("%w: empty reduced hash tree", ErrNotCovered)
	}
	for _, x := range hs {
		if !slices.ContainsFunc(rht[0], func(y []byte) bool { return bytes.Equal(x, y) }) {
			return nil, fmt.Errorf("%w: a data object's hash is not in the first list", ErrNotCovered)
		}
	}
	cur := hashOf(h, sortedConcat(rht[0]))
	for _, list := range rht[1:] {
		if !slices.ContainsFunc(list, func(y []byte) bool { return bytes.Equal(cur, y) }) {
			list = append(slices.Clip(list), cur)
		}
		cur = hashOf(h, sortedConcat(list))
	}
	return cur, nil
}

// RenewTokens renews the last time-stamps of several chains (tokens, hashed with alg)
// with one new time-stamp over a hash tree of them. Each token first gets certs and
// crls (see RenewRecords); the updated tokens replace the old ones in their chains, and
// atss[i] is appended to chain i.
func RenewTokens(ctx context.Context, tsa cms.TimeStamper, alg asn1.ObjectIdentifier, tokens [][]byte, certs []*x509.Certificate, crls [][]byte) (updated [][]byte, atss []ArchiveTimeStamp, err error) {
	h, err := hasher(alg)
	if err != nil {
		return nil, nil, err
	}
	updated = make([][]byte, len(tokens))
	groups := make([][][]byte, len(tokens))
	for i, tok := range tokens {
		if updated[i], err = withValidationData(tok, certs, crls); err != nil {
			return nil, nil, err
		}
		groups[i] = [][]byte{hashOf(h, updated[i])}
	}
	atss, err = Seal(ctx, tsa, alg, groups)
	return updated, atss, err
}

// RenewRecords renews the last archive time-stamp of each evidence record with one
// new time-stamp over a hash tree of the old tokens (time-stamp renewal, RFC 4998,
// section 5.2: the new time-stamp is over the hash of the previous one). certs and crls
// (the old TSA's chain and its CRLs, current now) are put into each old token first,
// so that the old time-stamp still verifies when its TSA certificate has expired.
// Records sharing a last token share a leaf. It returns the renewed records, in order.
func RenewRecords(ctx context.Context, tsa cms.TimeStamper, records [][]byte, certs []*x509.Certificate, crls [][]byte) ([][]byte, error) {
	ers := make([]*EvidenceRecord, len(records))
	leafOf := make([]int, len(records))
	byToken := map[string]int{}
	var groups [][][]byte
	var extended [][]byte
	var alg asn1.ObjectIdentifier
	var h func() hash.Hash
	for i, raw := range records {
		er, err := ParseEvidenceRecord(raw)
		if err != nil {
			return nil, err
		}
		chain := er.Chains[len(er.Chains)-1] // time-stamp renewal continues the last chain
		last := &chain[len(chain)-1]
		a := last.DigestAlgorithm
		if alg == nil {
			alg = a
			if h, err = hasher(alg); err != nil {
				return nil, err
			}
		} else if !alg.Equal(a) {
			return nil, fmt.Errorf("%w: records of one renewal must share a hash algorithm", ErrUnsupported)
		}
		ers[i] = er
		// Records of one batch share their last token: extend and hash it once.
		k := string(last.TimeStamp)
		j, ok := byToken[k]
		if !ok {
			ext, err := withValidationData(last.TimeStamp, certs, crls)
			if err != nil {
				return nil, err
			}
			j = len(groups)
			byToken[k] = j
			extended = append(extended, ext)
			groups = append(groups, [][]byte{hashOf(h, ext)})
		}
		last.TimeStamp = extended[j]
		leafOf[i] = j
	}
	if len(groups) == 0 {
		return nil, nil
	}
	atss, err := Seal(ctx, tsa, alg, groups)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(records))
	for i, er := range ers {
		er.Chains[len(er.Chains)-1] = append(er.Chains[len(er.Chains)-1], atss[leafOf[i]])
		if out[i], err = er.Marshal(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sequenceDER encodes chains as an ArchiveTimeStampSequence (SEQUENCE OF
// ArchiveTimeStampChain, DER): what a hash-tree renewal hashes (RFC 4998, section 5.2,
// step 3: "the ArchiveTimeStampChains used are DER encoded").
func sequenceDER(chains [][]ArchiveTimeStamp) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, chain := range chains {
			b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, ats := range chain {
					addATS(b, ats)
				}
			})
		}
	})
	return b.Bytes()
}

// MarshalChain encodes one ArchiveTimeStampChain in DER.
func MarshalChain(chain []ArchiveTimeStamp) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(casn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, ats := range chain {
			addATS(b, ats)
		}
	})
	return b.Bytes()
}

// ParseChain reads one DER ArchiveTimeStampChain.
func ParseChain(der []byte) ([]ArchiveTimeStamp, error) {
	s := cryptobyte.String(der)
	var cs cryptobyte.String
	if !s.ReadASN1(&cs, casn1.SEQUENCE) || !s.Empty() {
		return nil, fmt.Errorf("%w: bad ArchiveTimeStampChain", ErrMalformedRecord)
	}
	var chain []ArchiveTimeStamp
	for !cs.Empty() {
		if len(chain) == maxATSPerChain {
			return nil, fmt.Errorf("%w: more than %d time-stamps in a chain", ErrMalformedRecord, maxATSPerChain)
		}
		ats, err := parseATS(&cs)
		if err != nil {
			return nil, err
		}
		chain = append(chain, ats)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%w: empty ArchiveTimeStampChain", ErrMalformedRecord)
	}
	return chain, nil
}

// objectHashes returns the first-list hashes of a chain over objects. For the first
// chain (prior empty) they are H(o). For a chain made by hash-tree renewal (RFC 4998,
// section 5.2) they are h(i)' = H(h(i) + ha(i)): h(i) = H(o), ha(i) = H(the DER
// ArchiveTimeStampSequence of every earlier chain), "+" the concatenation in that
// order (h(i) first), as the RFC's step 4 writes it.
func objectHashes(h func() hash.Hash, objects [][]byte, prior [][]ArchiveTimeStamp) ([][]byte, error) {
	out := make([][]byte, len(objects))
	if len(prior) == 0 {
		for i, o := range objects {
			out[i] = hashOf(h, o)
		}
		return out, nil
	}
	seq, err := sequenceDER(prior)
	if err != nil {
		return nil, err
	}
	ha := hashOf(h, seq)
	buf := make([]byte, 0, 2*maxHashLen)
	for i, o := range objects {
		buf = append(append(buf[:0], hashOf(h, o)...), ha...)
		out[i] = hashOf(h, buf)
	}
	return out, nil
}

// HashTreeInput is one evidence record to renew by a new hash tree, with the data
// objects it covers (a document's content, then its signatures).
type HashTreeInput struct {
	Record  []byte
	Objects [][]byte
}

// RenewHashTrees renews evidence records whose hash algorithm weakens (hash-tree
// renewal, RFC 4998, section 5.2): the last time-stamp of each record's last chain
// first gets certs and crls (what verifies its TSA later); then each record's data
// objects are hashed again with alg, each hash concatenated with the hash (alg) of
// the record's ArchiveTimeStampSequence and hashed, and one new time-stamp is made
// over a tree of all of them (as Seal does). Each record gets a new
// ArchiveTimeStampChain holding that time-stamp, with its path. certs and crls also go
// into the new token. It returns the renewed records, in order.
func RenewHashTrees(ctx context.Context, tsa cms.TimeStamper, alg asn1.ObjectIdentifier, in []HashTreeInput, certs []*x509.Certificate, crls [][]byte) ([][]byte, error) {
	h, err := hasher(alg)
	if err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, nil
	}
	ers := make([]*EvidenceRecord, len(in))
	groups := make([][][]byte, len(in))
	extended := map[string][]byte{}
	for i, x := range in {
		er, err := ParseEvidenceRecord(x.Record)
		if err != nil {
			return nil, err
		}
		if len(x.Objects) == 0 {
			return nil, fmt.Errorf("archive: a record without data objects")
		}
		last := &er.Chains[len(er.Chains)-1]
		ats := &(*last)[len(*last)-1]
		ext, ok := extended[string(ats.TimeStamp)]
		if !ok {
			if ext, err = withValidationData(ats.TimeStamp, certs, crls); err != nil {
				return nil, err
			}
			extended[string(ats.TimeStamp)] = ext
		}
		ats.TimeStamp = ext
		if groups[i], err = objectHashes(h, x.Objects, er.Chains); err != nil {
			return nil, err
		}
		ers[i] = er
	}
	atss, err := Seal(ctx, tsa, alg, groups)
	if err != nil {
		return nil, err
	}
	tok, err := withValidationData(atss[0].TimeStamp, certs, crls)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(in))
	for i, er := range ers {
		atss[i].TimeStamp = tok
		er.Chains = append(er.Chains, []ArchiveTimeStamp{atss[i]})
		if !slices.ContainsFunc(er.DigestAlgorithms, alg.Equal) {
			er.DigestAlgorithms = append(er.DigestAlgorithms, alg)
		}
		if len(er.Chains) > maxChains {
			return nil, fmt.Errorf("%w: more than %d chains", ErrUnsupported, maxChains)
		}
		if out[i], err = er.Marshal(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
