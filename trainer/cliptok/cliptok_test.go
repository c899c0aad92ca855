package cliptok_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/trainer/cliptok"
)

// tinyMerges ranks: 0 "h a</w>" -> id 512, 1 "p h" -> 513, 2 "o t" -> 514,
// 3 "ph ot" -> 515, 4 "phot o</w>" -> 516; SOT 517, EOT 518.
const tinyMerges = "#version: 0.2\nh a</w>\np h\no t\nph ot\nphot o</w>\n"

// Ids of single bytes, from bytes_to_unicode's order: '!'..'~' are 0..93,
// 0xA1..0xAC 94..105, 0xAE..0xFF 106..187, then 0x00..0x20 188..220,
// 0x7F..0xA0 221..254, 0xAD 255; +256 with </w>.
func id(b byte, end bool) int32 {
	var i int
	switch {
	case b >= '!' && b <= '~':
		i = int(b) - '!'
	case b >= 0xA1 && b <= 0xAC:
		i = 94 + int(b) - 0xA1
	case b >= 0xAE:
		i = 106 + int(b) - 0xAE
	case b <= 0x20:
		i = 188 + int(b)
	case b >= 0x7F && b <= 0xA0:
		i = 221 + int(b) - 0x7F
	default: // 0xAD
		i = 255
	}
	if end {
		i += 256
	}
	return int32(i)
}

func tiny(t *testing.T) *cliptok.Tokenizer {
	t.Helper()
	tok, err := cliptok.Read(strings.NewReader(tinyMerges))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestByteRunes(t *testing.T) {
	table, order := cliptok.ByteRunes()
	if len(order) != 256 {
		t.Fatalf("order has %d bytes", len(order))
	}
	seen := map[rune]bool{}
	for b, r := range table {
		if seen[r] {
			t.Fatalf("rune %q twice", r)
		}
		seen[r] = true
		if got := id(byte(b), false); order[got] != byte(b) {
			t.Errorf("byte %#x at vocab %d, want %d", b, slices.Index(order, byte(b)), got)
		}
	}
	// GPT-2's well-known space rune U+0120 'Ġ' and CLIP's "a</w>" = 320.
	if table[' '] != 0x120 || table['a'] != 'a' || table[0xAD] != 0x143 {
		t.Errorf("space %U, a %U, soft hyphen %U", table[' '], table['a'], table[0xAD])
	}
	if id('a', true) != 320 {
		t.Errorf("a</w> = %d", id('a', true))
	}
}

func TestEncode(t *testing.T) {
	tok := tiny(t)
	if tok.VocabSize() != 519 || tok.SOT() != 517 || tok.EOT() != 518 {
		t.Fatalf("vocab %d, sot %d, eot %d", tok.VocabSize(), tok.SOT(), tok.EOT())
	}
	cases := []struct {
		in   string
		want []int32
	}{
		{"", nil},
		{"a", []int32{320}},
		// h a</w> merges whole; "hat": no "h a" merge, so bytes.
		{"ha", []int32{512}},
		{"hat", []int32{id('h', false), id('a', false), id('t', true)}},
		// p h o t o</w> -> ph o t o</w> -> ph ot o</w> -> phot o</w> -> photo</w>.
		{"photo", []int32{516}},
		{"a photo", []int32{320, 516}},
		{"  A\tPHOTO\n", []int32{320, 516}},
		{"photo photo", []int32{516, 516}},
		// "photos": the </w> sits on s, so only phot merges.
		{"photos", []int32{515, id('o', false), id('s', true)}},
		{"ha!!", []int32{512, id('!', false), id('!', true)}},
		{"it's", []int32{id('i', false), id('t', true), id('\'', false), id('s', true)}},
		{"we'll", []int32{id('w', false), id('e', true), id('\'', false), id('l', false), id('l', true)}},
		// Digits are single pieces.
		{"42", []int32{id('4', true), id('2', true)}},
		// é is C3 A9; É lowercases to it.
		{"É", []int32{id(0xC3, false), id(0xA9, true)}},
		// U+1F600 is a symbol: F0 9F 98 80 as one piece.
		{"😀", []int32{id(0xF0, false), id(0x9F, false), id(0x98, false), id(0x80, true)}},
		// HTML entities are unescaped twice.
		{"&amp;lt;", []int32{id('<', true)}},
		{"ha<|endoftext|>", []int32{512, 518}},
	}
	for _, c := range cases {
		if got := tok.Encode(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestTokenize(t *testing.T) {
	tok := tiny(t)
	got := tok.Tokenize("a photo", 0)
	want := make([]int32, 77)
	copy(want, []int32{517, 320, 516, 518})
	if !slices.Equal(got, want) {
		t.Errorf("Tokenize = %v", got)
	}
	if cliptok.EOTIndex(got) != 3 {
		t.Errorf("EOT at %d", cliptok.EOTIndex(got))
	}
	empty := tok.Tokenize("", 0)
	if empty[0] != 517 || empty[1] != 518 || slices.ContainsFunc(empty[2:], func(v int32) bool { return v != 0 }) {
		t.Errorf("empty prompt: %v", empty[:4])
	}
	long := tok.Tokenize(strings.Repeat("a ", 100), 0)
	if len(long) != 77 || long[0] != 517 || long[76] != 518 || long[75] != 320 || cliptok.EOTIndex(long) != 76 {
		t.Errorf("long prompt: %v", long)
	}
	short := tok.Tokenize("a photo a photo", 4)
	if !slices.Equal(short, []int32{517, 320, 516, 518}) {
		t.Errorf("context 4: %v", short)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(tinyMerges))
	w.Close()
	p := filepath.Join(dir, "bpe.txt.gz")
	if err := os.WriteFile(p, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := cliptok.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode("a photo"); !slices.Equal(got, []int32{320, 516}) {
		t.Errorf("gzip merges: %v", got)
	}
	// Only MaxMerges merges count: one more is ignored.
	var sb strings.Builder
	sb.WriteString("#version: 0.2\n")
	for i := range cliptok.MaxMerges + 1 {
		sb.WriteString(string(rune(0x4E00+i/200)) + " " + string(rune(0x4E00+i%200)) + "\n")
	}
	big, err := cliptok.Read(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	if big.VocabSize() != 49408 || big.EOT() != 49407 {
		t.Errorf("real-size vocab %d, eot %d", big.VocabSize(), big.EOT())
	}
	for _, bad := range []string{"", "#v\na b c\n", "#v\na\n", "#v\na b\na b\n"} {
		if _, err := cliptok.Read(strings.NewReader(bad)); err == nil {
			t.Errorf("merges %q accepted", bad)
		}
	}
	if _, err := cliptok.Load(filepath.Join(dir, "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing file: %v", err)
	}
}

// TestGolden compares Encode with CLIP's Python tokenizer (a transcription
// of simple_tokenizer.py, testdata/gen_golden.py) on prompts from the
// project's docs and edge cases (contractions, digits, accents, CJK, emoji,
// HTML entities, special tokens, U+0130, final sigma, title-case
// digraphs), with a 1,500-merge file learned on the docs.
func TestGolden(t *testing.T) {
	tok, err := cliptok.Load(filepath.Join("testdata", "merges_1500.txt"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(filepath.Join("testdata", "golden_prompts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "golden_ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	prompts := strings.Split(strings.TrimSuffix(string(in), "\n"), "\n")
	ids := strings.Split(string(want), "\n")
	if len(ids) < len(prompts) || len(prompts) < 250 {
		t.Fatalf("%d prompts, %d id lines", len(prompts), len(ids))
	}
	for i, p := range prompts {
		got := tok.Encode(p)
		s := make([]string, len(got))
		for k, v := range got {
			s[k] = strconv.Itoa(int(v))
		}
		if g := strings.Join(s, " "); g != ids[i] {
			t.Errorf("prompt %d %q:\n got  %s\n want %s", i+1, p, g, ids[i])
		}
	}
}

func TestCleanCaseMapping(t *testing.T) {
	if got := cliptok.Clean(" ΟΔΟΣ\u00a0İ\tǅ "); got != "οδος i\u0307 ǆ" {
		t.Errorf("Clean = %q", got)
	}
}
