// tlogcheck reads an omega tile store with Go's own transparency-log code
// (golang.org/x/mod/sumdb/note and sumdb/tlog, the reference implementation
// of the checksum database that C2SP tlog-tiles grew from), so omega's
// tiles, checkpoints and proofs are checked by an implementation not
// written in this project. host/tests/tiles_go.rs runs it.
//
//	tlogcheck -dir DIR -vkey VKEY [-index I]... [-old M]...
//
// It opens DIR/checkpoint as a signed note under VKEY, reads the tree size
// and root from it, and then, reading tiles through tlog.TileHashReader
// (which checks every tile it loads against that root):
//   - for each -index I: the entry from its bundle, its record hash, a
//     record proof (tlog.ProveRecord) checked with tlog.CheckRecord;
//   - for each -old M: the tree hash at M (tlog.TreeHash) and a tree proof
//     (tlog.ProveTree) checked with tlog.CheckTree.
//
// It prints one line per result:
//
//	checkpoint <size> <root hex>
//	inclusion <I> <leaf hash hex> <proof hashes hex, comma-separated>
//	consistency <M> <old root hex> <proof hashes hex, comma-separated>
//
// and exits 1 with a message on the first failure. It builds offline in
// GOPATH mode against Debian's golang-golang-x-mod-dev:
// GO111MODULE=off GOPATH=/usr/share/gocode go run main.go ...
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type ints []int64

func (v *ints) String() string { return fmt.Sprint(*v) }
func (v *ints) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	*v = append(*v, n)
	return err
}

// store reads C2SP tiles: Go's paths carry the tile height
// (tile/8/L/N), C2SP's do not (tile/L/N).
type store struct{ dir string }

func (s store) Height() int { return 8 }

func (s store) path(t tlog.Tile) string {
	return filepath.Join(s.dir, "tile", strings.TrimPrefix(t.Path(), "tile/8/"))
}

func (s store) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(s.path(t))
		if err != nil && t.W != 256 {
			// a partial tile that its full tile replaced: its first W hashes
			full := t
			full.W = 256
			b, err = os.ReadFile(s.path(full))
			if err == nil && len(b) >= t.W*tlog.HashSize {
				b = b[:t.W*tlog.HashSize]
			}
		}
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (s store) SaveTiles([]tlog.Tile, [][]byte) {}

func hashes(p []tlog.Hash) string {
	var parts []string
	for _, h := range p {
		parts = append(parts, hex.EncodeToString(h[:]))
	}
	return strings.Join(parts, ",")
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

// entry returns entry i of the tree of size n from its bundle.
func entry(dir string, i, n int64) []byte {
	t := tlog.TileForIndex(8, tlog.StoredHashIndex(0, i))
	t.N = i / 256
	t.W = 256
	if (t.N+1)*256 > n {
		t.W = int(n - t.N*256)
	}
	rel := strings.Replace(strings.TrimPrefix(t.Path(), "tile/8/"), "0/", "entries/", 1)
	b, err := os.ReadFile(filepath.Join(dir, "tile", rel))
	if err != nil {
		fail("entry %d: %v", i, err)
	}
	for k := int64(0); ; k++ {
		if len(b) < 2 {
			fail("entry %d: bundle %s ends early", i, rel)
		}
		l := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+l {
			fail("entry %d: bundle %s is truncated", i, rel)
		}
		if k == i%256 {
			return b[2 : 2+l]
		}
		b = b[2+l:]
	}
}

func main() {
	dir := flag.String("dir", "", "the tile store")
	vkey := flag.String("vkey", "", "the verifier key that signed DIR/checkpoint")
	var idx, old ints
	flag.Var(&idx, "index", "an entry to prove included (repeatable)")
	flag.Var(&old, "old", "an older tree size to prove consistent (repeatable)")
	flag.Parse()

	v, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(*dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 3 {
		fail("checkpoint: fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		fail("checkpoint root: not base64 of 32 bytes")
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], raw)
	fmt.Printf("checkpoint %d %s\n", size, hex.EncodeToString(raw))

	r := tlog.TileHashReader(tree, store{*dir})
	for _, i := range idx {
		e := entry(*dir, i, size)
		leaf := tlog.RecordHash(e)
		p, err := tlog.ProveRecord(size, i, r)
		if err != nil {
			fail("record proof %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, size, tree.Hash, i, leaf); err != nil {
			fail("record %d: %v", i, err)
		}
		fmt.Printf("inclusion %d %s %s\n", i, hex.EncodeToString(leaf[:]), hashes(p))
	}
	for _, m := range old {
		h, err := tlog.TreeHash(m, r)
		if err != nil {
			fail("tree hash %d: %v", m, err)
		}
		p, err := tlog.ProveTree(size, m, r)
		if err != nil {
			fail("tree proof %d: %v", m, err)
		}
		if err := tlog.CheckTree(p, size, tree.Hash, m, h); err != nil {
			fail("tree %d: %v", m, err)
		}
		fmt.Printf("consistency %d %s %s\n", m, hex.EncodeToString(h[:]), hashes(p))
	}
}
