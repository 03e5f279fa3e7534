#!/usr/bin/env python3
"""Compares helix-tokenize with the Hugging Face `tokenizers` library.

Trains small tokenizers on train.txt (beside this file) with the reference
library -- byte-level BPE with Llama 3's and DeepSeek V3's pre-tokenizer
regexes, GPT-2's ByteLevel split, and SentencePiece-style BPE both as
Metaspace and as Llama 2's Prepend/Replace normalizer, with byte fallback;
special and added tokens; merges written both as "a b" strings and as
pairs -- writes each tokenizer.json, then checks that helix-tokenize gives
the same ids (with and without the special template) for a corpus of
emoji, CJK, combining marks, invalid UTF-8 bytes, long runs of spaces and
digits and special-token strings, and the same text for id lists
(special tokens kept and skipped; streamed pieces joined). Any mismatch
fails the run; so does a missing `tokenizers` package.
"""
import argparse
import json
import os
import random
import subprocess
import sys

try:
    import tokenizers
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models
    from tokenizers import normalizers, pre_tokenizers, processors, trainers
except ImportError:
    sys.exit(f"error: the Python package 'tokenizers' is missing from {sys.executable}; "
             "scripts/test.sh installs it (scripts/requirements-test.txt)")

HERE = os.path.dirname(os.path.abspath(__file__))

LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
DEEPSEEK_SPLITS = [
    r"\p{N}{1,3}",
    "[一-龥\u3040-ゟ゠-ヿ]+",
    r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|"
    r" ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
]
DEEPSEEK_SPLITS_JSON = [  # as DeepSeek's tokenizer.json spells the CJK class
    r"\p{N}{1,3}",
    r"[一-龥\u3040-ゟ゠-ヿ]+",
    DEEPSEEK_SPLITS[2],
]


def train_text():
    with open(os.path.join(HERE, "train.txt"), encoding="utf-8") as f:
        return f.read().splitlines()


def byte_level_bpe(pre_tokenizer, specials, bos, vocab_size=700):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(train_text(), trainer)
    bos_id = tok.token_to_id(bos)
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{bos} $A", special_tokens=[(bos, bos_id)])])
    return tok


def llama3():
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
                "<|start_header_id|>", "<|end_header_id|>"]
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    return byte_level_bpe(pre, specials, "<|begin_of_text|>")


def deepseek():
    specials = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>",
                "<｜Assistant｜>"]
    pre = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(p), behavior="isolated", invert=False)
         for p in DEEPSEEK_SPLITS] +
        [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok = byte_level_bpe(pre, specials, "<｜begin▁of▁sentence｜>")
    return tok


def deepseek_json_patterns(doc):
    """DeepSeek's file writes \\u3040 as an escape inside the regex."""
    for split, pattern in zip(doc["pre_tokenizer"]["pretokenizers"], DEEPSEEK_SPLITS_JSON):
        split["pattern"]["Regex"] = pattern
    return doc


def gpt2():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(train_text(), trainer)
    tok.add_tokens([AddedToken("[ADDED]", normalized=True),
                    AddedToken("rare-word", normalized=False)])
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, special=True)])
    return tok


def sentencepiece_model():
    """A Metaspace BPE trained on train.txt, then given <0xNN> byte tokens."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first")
    trainer = trainers.BpeTrainer(vocab_size=500, special_tokens=["<unk>", "<s>", "</s>"],
                                  show_progress=False, limit_alphabet=120)
    tok.train_from_iterator(train_text(), trainer)
    doc = json.loads(tok.to_str())
    vocab = doc["model"]["vocab"]
    for b in range(256):
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    doc["model"]["byte_fallback"] = True
    return doc


def with_template(doc, bos):
    bos_id = doc["model"]["vocab"][bos]
    doc["post_processor"] = json.loads(processors.TemplateProcessing(
        single=f"{bos} $A", special_tokens=[(bos, bos_id)]).__getstate__())
    return doc


def metaspace():
    doc = sentencepiece_model()
    doc["decoder"] = json.loads(decoders.Metaspace(prepend_scheme="first").__getstate__())
    return with_template(doc, "<s>")


def llama2_legacy():
    """Llama 2's tokenizer.json: no pre-tokenizer, Prepend + Replace."""
    doc = sentencepiece_model()
    doc["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "▁"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    doc["pre_tokenizer"] = None
    doc["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    return with_template(doc, "<s>")


def string_merges(doc):
    """The older merges format: "a b" strings instead of pairs."""
    doc["model"]["merges"] = [m if isinstance(m, str) else " ".join(m)
                              for m in doc["model"]["merges"]]
    return doc


def pair_merges(doc):
    doc["model"]["merges"] = [m.split(" ") if isinstance(m, str) else m
                              for m in doc["model"]["merges"]]
    return doc


def corpus(specials):
    texts = [
        "", " ", "Hello world", " Hello world ", "hello\nworld\n\n", "I'm sure you'll see: DON'T, they've.",
        "The quick brown fox jumps over the lazy dog.",
        " " * 100 + "x" + " " * 37, "\t\t  \n \r\n\r\n   end", "a  b   c    d",
        "1234567890" * 5, "3.14159 2.71828 1,000,000 -17 +42", "x" + "9" * 31 + "y",
        "今天天气很好，我们去公园散步吧。", "ひらがなカタカナ漢字のテキスト", "한국어 문장", "مرحبا بالعالم",
        "Emoji 😀👍🏽🚀 🧑‍🤝‍🧑 ❤️ 🇫🇷!", "🤖🤖🤖", "e\u0301 n\u0303 a\u0308\u0301 Z̤͔ͧ̑̓ä͖̭̈̇",
        "\u0301\u0302 leading combining", "zero\u200bwidth\u200djoiner", "nbsp\u00a0here\u2028line\u2029para\u0085nel",
        "Größe Straße naïve café", "def f(x):\n    return x * 2  # comment\n",
        "<html><p class=\"x\">&amp;</p></html>", "https://example.com/a?b=1&c=two#d",
        "\U0001F600\U0010FFFF\uFFFD\uFEFF", "tab\tseparated\tvalues", "MiXeD CaSe 'S 'LL 'Ve",
    ]
    for s in specials:
        texts += [s, s + s, f"before {s} after", f"x{s}y", f"  {s}  ", s[:-2] + " partial"]
    texts += ["<mask> masked  <mask>end", "an [ADDED] token and rare-word here", "[ADDED][ADDED]"]
    # Random mixtures of everything above, character by character.
    pool = list("abcXYZ019 \n\t.,'!?-_()") + ["  ", "    ", "'s", "'ll"] + \
        list("é中文ひカ한ñü") + ["😀", "👍🏽", "🧑‍🤝‍🧑", "e\u0301", "\u00a0", "\r\n"] + specials
    rng = random.Random(14)
    for _ in range(300):
        texts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 40))))
    raw = [t.encode("utf-8") for t in texts]
    # Ill-formed UTF-8: lone continuation bytes, truncated and overlong
    # sequences, surrogates, bytes that never occur. The reference reads
    # them as Python's errors="replace" does.
    raw += [b"abc\xff\xfedef", b"\xe4\xbd", b"x\xe4\xbdy", b"\xc0\xaf", b"\xed\xa0\x80",
            b"\xf0\x9f\x98", b"\x80\x80 hi", b"\xf4\x90\x80\x80", b"ok\xc3"]
    return raw


def id_lists(tok, encodings, rng):
    size = tok.get_vocab_size(with_added_tokens=True)
    lists = [list(e) for e in encodings]
    for _ in range(200):
        lists.append([rng.randrange(size) for _ in range(rng.randint(1, 12))])
    # Byte tokens alone and in runs that cut characters apart.
    for text in ["中", "😀", "é", "👍🏽"]:
        ids = tok.encode(text, add_special_tokens=False).ids
        lists += [ids[:1], ids[:-1], ids[1:], ids + ids[:1]]
    return lists


def run_one(name, doc, helix_tokenize, work, specials):
    path = os.path.join(work, name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    ref = Tokenizer.from_file(path)
    raw = corpus(specials)
    texts = [r.decode("utf-8", errors="replace") for r in raw]
    encodings = [ref.encode(t, add_special_tokens=False).ids for t in texts]
    lists = id_lists(ref, encodings, random.Random(7))
    request = os.path.join(work, name + ".in.json")
    answer = os.path.join(work, name + ".out.json")
    with open(request, "w") as f:
        json.dump({"texts": [r.hex() for r in raw], "ids": lists}, f)
    subprocess.run([helix_tokenize, path, "--batch", request, "--output", answer], check=True)
    with open(answer, encoding="utf-8") as f:
        got = json.load(f)
    mismatches = []

    def check(kind, key, want, have):
        if want != have:
            mismatches.append(f"{name}: {kind} of {key!r}: reference {want!r}, helix {have!r}")

    for i, text in enumerate(texts):
        check("ids", text, encodings[i], got["encode"][i])
        check("ids+special", text, ref.encode(text).ids, got["encode_special"][i])
    for i, ids in enumerate(lists):
        want = ref.decode(ids, skip_special_tokens=False)
        check("text", ids, want, got["decode"][i])
        check("text-skip-special", ids, ref.decode(ids, skip_special_tokens=True),
              got["decode_skip"][i])
        check("streamed text", ids, want, "".join(got["stream"][i]))
    print(f"{name}: {len(texts)} texts, {len(lists)} id lists, {len(mismatches)} mismatches")
    return mismatches


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--helix-tokenize", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    print(f"reference: tokenizers {tokenizers.__version__}")
    llama = json.loads(llama3().to_str())
    ds = deepseek_json_patterns(json.loads(deepseek().to_str()))
    cases = [
        ("llama3", pair_merges(llama), ["<|begin_of_text|>", "<|eot_id|>"]),
        ("llama3-string-merges", string_merges(json.loads(json.dumps(llama))),
         ["<|begin_of_text|>", "<|eot_id|>"]),
        ("deepseek", string_merges(ds), ["<｜begin▁of▁sentence｜>", "<｜User｜>"]),
        ("gpt2", json.loads(gpt2().to_str()), ["<|endoftext|>", "<mask>", "[ADDED]"]),
        ("metaspace", pair_merges(metaspace()), ["<s>", "</s>", "<unk>"]),
        ("llama2-legacy", string_merges(llama2_legacy()), ["<s>", "</s>"]),
    ]
    mismatches = []
    for name, doc, specials in cases:
        mismatches += run_one(name, doc, args.helix_tokenize, args.work, specials)
    for line in mismatches[:20]:
        print(line)
    print(f"tokenizer reference: {len(mismatches)} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
