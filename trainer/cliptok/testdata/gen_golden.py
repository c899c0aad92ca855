"""Generates the golden files of trainer/cliptok's TestGolden (not run by the tests).

The tokenizer part (bytes_to_unicode, get_pairs, the cleaning, the pattern, bpe, encode) is a
transcription of OpenAI CLIP's clip/simple_tokenizer.py (MIT License, Copyright (c) 2021 OpenAI)
without ftfy; `train` learns a small merges file with plain BPE on some text.

  python3 gen_golden.py train CORPUS.txt 1500 merges_1500.txt
  python3 gen_golden.py enc merges_1500.txt golden_prompts.txt > golden_ids.txt

Needs Python 3 with the `regex` module. merges_1500.txt was learned on the project's docs
(docs/*.md and README.md, first 200,000 bytes).
"""
import html, regex as re, sys, collections
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~")+1))+list(range(ord("¡"), ord("¬")+1))+list(range(ord("®"), ord("ÿ")+1))
    cs = bs[:]; n = 0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256+n); n += 1
    return dict(zip(bs, [chr(c) for c in cs]))
def get_pairs(word):
    return set(zip(word[:-1], word[1:]))
def basic_clean(t): return html.unescape(html.unescape(t)).strip()
def whitespace_clean(t): return re.sub(r'\s+', ' ', t).strip()
pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)
be = bytes_to_unicode()

def train(corpus, nmerges):
    words = collections.Counter()
    for line in corpus:
        for tok in re.findall(pat, whitespace_clean(basic_clean(line)).lower()):
            w = ''.join(be[b] for b in tok.encode('utf-8'))
            words[tuple(w[:-1]) + (w[-1]+'</w>',)] += 1
    merges = []
    for _ in range(nmerges):
        cnt = collections.Counter()
        for w, c in words.items():
            for p in zip(w[:-1], w[1:]): cnt[p] += c
        if not cnt: break
        best = max(cnt.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        nw = collections.Counter()
        for w, c in words.items():
            out = []; i = 0
            while i < len(w):
                if i+1 < len(w) and (w[i], w[i+1]) == best: out.append(w[i]+w[i+1]); i += 2
                else: out.append(w[i]); i += 1
            nw[tuple(out)] += c
        words = nw
    return merges

class Tok:
    def __init__(self, path):
        merges = open(path, encoding='utf-8').read().split('\n')
        merges = merges[1:49152-256-2+1]
        merges = [tuple(m.split()) for m in merges if m]
        vocab = list(be.values()); vocab = vocab + [v+'</w>' for v in vocab]
        for m in merges: vocab.append(''.join(m))
        vocab.extend(['<|startoftext|>', '<|endoftext|>'])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {'<|startoftext|>': '<|startoftext|>', '<|endoftext|>': '<|endoftext|>'}
    def bpe(self, token):
        if token in self.cache: return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + '</w>',)
        pairs = get_pairs(word)
        if not pairs: return token+'</w>'
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float('inf')))
            if bigram not in self.bpe_ranks: break
            first, second = bigram; new_word = []; i = 0
            while i < len(word):
                try:
                    j = word.index(first, i); new_word.extend(word[i:j]); i = j
                except: new_word.extend(word[i:]); break
                if word[i] == first and i < len(word)-1 and word[i+1] == second: new_word.append(first+second); i += 2
                else: new_word.append(word[i]); i += 1
            word = tuple(new_word)
            if len(word) == 1: break
            pairs = get_pairs(word)
        word = ' '.join(word); self.cache[token] = word; return word
    def encode(self, text):
        out = []
        text = whitespace_clean(basic_clean(text)).lower()
        for token in re.findall(pat, text):
            token = ''.join(be[b] for b in token.encode('utf-8'))
            out.extend(self.encoder[t] for t in self.bpe(token).split(' '))
        return out

if sys.argv[1] == 'train':
    corpus = open(sys.argv[2], encoding='utf-8').read().split('\n')
    ms = train(corpus, int(sys.argv[3]))
    with open(sys.argv[4], 'w', encoding='utf-8') as f:
        f.write('#version: 0.2\n')
        for a, b in ms: f.write(a+' '+b+'\n')
else:
    t = Tok(sys.argv[2])
    for line in open(sys.argv[3], encoding='utf-8').read().split('\n'):
        print(' '.join(map(str, t.encode(line))))
