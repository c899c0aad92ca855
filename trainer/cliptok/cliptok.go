// Package cliptok is CLIP's text tokenizer (OpenAI CLIP's
// simple_tokenizer.py) in Go: it turns prompts into the [N,77] token ids a
// CLIP text encoder takes.
//
// It is written here rather than taken from a library: the Go BPE modules
// that exist implement tiktoken's encodings (cl100k, o200k) or Hugging
// Face's tokenizer.json, none reads CLIP's merges file with CLIP's
// vocabulary order, cleaning, pre-tokenising pattern and </w> word ends, and
// none is among the module versions this project may use. The algorithm is
// small (one regular expression, a byte-to-rune table and the classic BPE
// merge loop) and is tested against hand-computed ids.
//
// What it does, in the order of simple_tokenizer.py:
//
//   - The merges file (bpe_simple_vocab_16e6.txt or its .gz) has a header
//     line and then one merge "a b" per line; CLIP uses the first
//     49152-256-2 = 48894 of them.
//   - The vocabulary is the 256 byte runes (bytes_to_unicode order), the
//     same with "</w>" appended, one entry per merge (the pair joined), then
//     <|startoftext|> and <|endoftext|>: 49408 ids with the real file
//     (SOT 49406, EOT 49407).
//   - A prompt is cleaned (HTML entities unescaped twice, whitespace runs to
//     one space, trimmed), lowercased, split by the pattern
//     <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+,
//     and each piece's UTF-8 bytes are mapped to runes and merged by BPE,
//     the last symbol carrying "</w>".
//   - Tokenize wraps the ids in SOT ... EOT and pads with 0 to the context
//     length (77); a longer prompt is truncated and its last id set to EOT
//     (open_clip's truncate=True), so the EOT id, the largest in the
//     vocabulary, always marks the end: text encoders that pool at
//     argmax(input_ids) (OpenAI's encode_text, Hugging Face's CLIPTextModel)
//     pool at EOT.
//
// Lowercasing uses the full Unicode case mapping (golang.org/x/text/cases),
// as Python's str.lower does (U+0130 becomes "i" + U+0307, a final sigma
// becomes ς). Difference from the Python: ftfy.fix_text (mojibake repair)
// is not applied, which does not matter for well-formed prompts.
package cliptok

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Special tokens and sizes of CLIP's tokenizer.
const (
	StartOfText = "<|startoftext|>"
	EndOfText   = "<|endoftext|>"
	// ContextLength is the sequence length of CLIP's text encoders.
	ContextLength = 77
	// MaxMerges is how many merges of the file CLIP uses (49152-256-2).
	MaxMerges = 49152 - 256 - 2
	wordEnd   = "</w>"
)

// pattern is simple_tokenizer.py's pre-tokenising pattern (the text is
// lowercased before, so its IGNORECASE flag changes nothing).
var pattern = regexp.MustCompile(`<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`)

// Tokenizer encodes text with CLIP's byte-pair encoding. It is safe for
// concurrent use only through separate values (Encode caches words).
type Tokenizer struct {
	encoder  map[string]int32
	ranks    map[[2]string]int
	byteRune [256]rune
	cache    map[string][]string
	sot, eot int32
}

// ByteRunes returns CLIP's (and GPT-2's) reversible byte-to-rune table,
// bytes_to_unicode: printable Latin-1 bytes map to themselves, the others to
// 256, 257, ... in byte order. The second result lists the bytes in the
// order of the vocabulary's first 256 entries.
func ByteRunes() (table [256]rune, order []byte) {
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	for b := range 256 {
		if printable(b) {
			table[b] = rune(b)
			order = append(order, byte(b))
		}
	}
	n := 0
	for b := range 256 {
		if !printable(b) {
			table[b] = rune(256 + n)
			order = append(order, byte(b))
			n++
		}
	}
	return table, order
}

// Load reads a merges file (plain or gzip-compressed, as CLIP ships
// bpe_simple_vocab_16e6.txt.gz).
func Load(path string) (*Tokenizer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("clip tokenizer: %w", err)
	}
	var r io.Reader = bytes.NewReader(raw)
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("clip tokenizer %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	t, err := Read(r)
	if err != nil {
		return nil, fmt.Errorf("clip tokenizer %s: %w", path, err)
	}
	return t, nil
}

// Read parses a merges file: a header line (skipped), then merges "a b",
// of which at most MaxMerges are used. Blank lines are ignored.
func Read(r io.Reader) (*Tokenizer, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	t := &Tokenizer{encoder: map[string]int32{}, ranks: map[[2]string]int{}, cache: map[string][]string{}}
	var order []byte
	t.byteRune, order = ByteRunes()
	var vocab []string
	for _, b := range order {
		vocab = append(vocab, string(t.byteRune[b]))
	}
	for _, b := range order {
		vocab = append(vocab, string(t.byteRune[b])+wordEnd)
	}
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // "#version: 0.2"
		}
		s := strings.TrimRight(sc.Text(), "\r")
		if s == "" {
			continue
		}
		if len(t.ranks) == MaxMerges {
			break
		}
		f := strings.Split(s, " ")
		if len(f) != 2 || f[0] == "" || f[1] == "" {
			return nil, fmt.Errorf("line %d: %q is not a merge \"a b\"", line, s)
		}
		p := [2]string{f[0], f[1]}
		if _, dup := t.ranks[p]; dup {
			return nil, fmt.Errorf("line %d: merge %q given twice", line, s)
		}
		t.ranks[p] = len(t.ranks)
		vocab = append(vocab, f[0]+f[1])
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if line == 0 {
		return nil, errors.New("empty merges file")
	}
	vocab = append(vocab, StartOfText, EndOfText)
	for i, v := range vocab {
		// Python's dict(zip(vocab, range)) keeps the last id of a repeated
		// entry; the real file has none.
		t.encoder[v] = int32(i)
	}
	t.sot, t.eot = int32(len(vocab)-2), int32(len(vocab)-1)
	t.cache[StartOfText] = []string{StartOfText}
	t.cache[EndOfText] = []string{EndOfText}
	return t, nil
}

// VocabSize is the number of ids (49408 with CLIP's merges file).
func (t *Tokenizer) VocabSize() int { return int(t.eot) + 1 }

// SOT is the <|startoftext|> id.
func (t *Tokenizer) SOT() int32 { return t.sot }

// EOT is the <|endoftext|> id, the largest id.
func (t *Tokenizer) EOT() int32 { return t.eot }

// Clean is simple_tokenizer.py's basic_clean and whitespace_clean followed
// by lowercasing (without ftfy).
func Clean(text string) string {
	text = html.UnescapeString(html.UnescapeString(text))
	return cases.Lower(language.Und).String(strings.Join(strings.FieldsFunc(text, isSpace), " "))
}

// isSpace is Python's str.isspace (Unicode whitespace plus the ASCII
// separators 0x1c-0x1f).
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Encode returns the ids of text without SOT/EOT.
func (t *Tokenizer) Encode(text string) []int32 {
	var ids []int32
	for _, piece := range pattern.FindAllString(Clean(text), -1) {
		var sb strings.Builder
		for _, b := range []byte(piece) {
			sb.WriteRune(t.byteRune[b])
		}
		for _, sym := range t.bpe(sb.String()) {
			// Every symbol is a byte rune, a byte rune with </w> or a merge
			// result, all in the vocabulary.
			ids = append(ids, t.encoder[sym])
		}
	}
	return ids
}

// bpe merges a word's runes by rank, the last one carrying </w>.
func (t *Tokenizer) bpe(word string) []string {
	if w, ok := t.cache[word]; ok {
		return w
	}
	runes := []rune(word)
	syms := make([]string, len(runes))
	for i, r := range runes {
		syms[i] = string(r)
	}
	syms[len(syms)-1] += wordEnd
	for len(syms) > 1 {
		best, bestRank := [2]string{}, -1
		for i := 0; i+1 < len(syms); i++ {
			p := [2]string{syms[i], syms[i+1]}
			if r, ok := t.ranks[p]; ok && (bestRank < 0 || r < bestRank) {
				best, bestRank = p, r
			}
		}
		if bestRank < 0 {
			break
		}
		merged := make([]string, 0, len(syms))
		for i := 0; i < len(syms); {
			if i+1 < len(syms) && syms[i] == best[0] && syms[i+1] == best[1] {
				merged = append(merged, best[0]+best[1])
				i += 2
				continue
			}
			merged = append(merged, syms[i])
			i++
		}
		syms = merged
	}
	t.cache[word] = syms
	return syms
}

// Tokenize returns SOT + Encode(text) + EOT, truncated to contextLength
// (the last id then EOT) and padded with 0; contextLength 0 means 77.
func (t *Tokenizer) Tokenize(text string, contextLength int) []int32 {
	if contextLength <= 0 {
		contextLength = ContextLength
	}
	ids := append([]int32{t.sot}, t.Encode(text)...)
	ids = append(ids, t.eot)
	if len(ids) > contextLength {
		ids = ids[:contextLength]
		ids[contextLength-1] = t.eot
	}
	out := make([]int32, contextLength)
	copy(out, ids)
	return out
}

// EOTIndex returns the position of the first largest id of a tokenized row
// (argmax(input_ids), where CLIP's text encoders pool): the EOT position
// for rows made by Tokenize.
func EOTIndex(ids []int32) int {
	at := 0
	for i, v := range ids {
		if v > ids[at] {
			at = i
		}
	}
	return at
}
