package auditlog

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

const (
	// TileHeight is the C2SP tlog-tiles tile height: 256 hashes per full tile.
	TileHeight = 8
	TileWidth  = 1 << TileHeight
	// EntriesLevel is the level under which entry bundles are stored.
	EntriesLevel = -1
	// MaxLeafSize is the largest leaf an entry bundle can hold (uint16 prefix).
	MaxLeafSize = 1<<16 - 1
)

// TileID names a tile: Level 0..63 for hash tiles, EntriesLevel for entry bundles;
// Width 1..255 for a partial tile, TileWidth for a full one.
type TileID struct {
	Level int
	Index int64
	Width int
}

// Path returns the tile's path under the log prefix, e.g. "tile/0/x001/x234/067.p/8".
func (t TileID) Path() string {
	var b strings.Builder
	b.WriteString("tile/")
	if t.Level == EntriesLevel {
		b.WriteString("entries")
	} else {
		b.WriteString(strconv.Itoa(t.Level))
	}
	n := strconv.FormatInt(t.Index, 10)
	for len(n)%3 != 0 {
		n = "0" + n
	}
	for i := 0; i < len(n); i += 3 {
		b.WriteByte('/')
		if i+3 < len(n) {
			b.WriteByte('x')
		}
		b.WriteString(n[i : i+3])
	}
	if t.Width < TileWidth {
		b.WriteString(".p/")
		b.WriteString(strconv.Itoa(t.Width))
	}
	return b.String()
}

// ParseTilePath parses a path such as "tile/0/x001/x234/067.p/8" or
// "tile/entries/000" strictly, refusing every non-canonical spelling. Errors wrap
// ErrTileMalformed.
func ParseTilePath(path string) (TileID, error) {
	bad := func(why string) (TileID, error) {
		return TileID{}, fmt.Errorf("%w: %s", ErrTileMalformed, why)
	}
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return bad("not under tile/")
	}
	elems := strings.Split(rest, "/")
	if len(elems) < 2 {
		return bad("too short")
	}
	t := TileID{Width: TileWidth}
	if elems[0] == "entries" {
		t.Level = EntriesLevel
	} else {
		l, err := canonicalInt(elems[0])
		if err != nil || l > 63 {
			return bad("level must be 0 to 63")
		}
		t.Level = int(l)
	}
	elems = elems[1:]
	// A partial tile ends in "NNN.p" "W".
	if n := len(elems); n >= 2 && strings.HasSuffix(elems[n-2], ".p") {
		w, err := canonicalInt(elems[n-1])
		if err != nil || w < 1 || w >= TileWidth {
			return bad("width must be 1 to 255")
		}
		t.Width = int(w)
		elems[n-2] = strings.TrimSuffix(elems[n-2], ".p")
		elems = elems[:n-1]
	}
	if len(elems) > 7 { // 7 groups of 3 digits exceed int64 anyway
		return bad("index too long")
	}
	var digits strings.Builder
	for i, e := range elems {
		if i < len(elems)-1 {
			var ok bool
			if e, ok = strings.CutPrefix(e, "x"); !ok {
				return bad("index element without x prefix")
			}
		}
		if len(e) != 3 || !allDigits(e) {
			return bad("index elements are three digits")
		}
		digits.WriteString(e)
	}
	d := digits.String()
	if len(elems) > 1 && d[:3] == "000" {
		return bad("index has a leading zero group")
	}
	n, err := strconv.ParseInt(d, 10, 64)
	if err != nil {
		return bad("index out of range")
	}
	t.Index = n
	return t, nil
}

// appendBundleEntry appends one length-prefixed leaf to an entry bundle.
func appendBundleEntry(bundle, leaf []byte) []byte {
	bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(leaf)))
	return append(bundle, leaf...)
}

// SplitBundle splits an entry bundle into its leaves. Errors wrap ErrTileMalformed.
func SplitBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("%w: truncated entry bundle", ErrTileMalformed)
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, fmt.Errorf("%w: truncated entry bundle", ErrTileMalformed)
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out, nil
}

// bundlePrefix returns the first w entries of a bundle, or false if it has fewer.
func bundlePrefix(data []byte, w int) ([]byte, bool) {
	off := 0
	for i := 0; i < w; i++ {
		if len(data)-off < 2 {
			return nil, false
		}
		n := int(binary.BigEndian.Uint16(data[off:]))
		off += 2 + n
		if off > len(data) {
			return nil, false
		}
	}
	return data[:off], true
}
