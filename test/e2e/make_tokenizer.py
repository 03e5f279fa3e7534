#!/usr/bin/env python3
"""Writes a Llama 3-style tokenizer.json (byte-level BPE) into a model dir.

usage: make_tokenizer.py -o DIR --vocab N [--stop-ids]

Trains byte-level BPE on test/tokenizer/train.txt in plain Python (no
PyPI package: the demo and the e2e tests run on Debian's interpreter) up
to N ids: the 256 byte symbols, then merges, then three special tokens at
the top, <|begin_of_text|> (prepended by the post-processor),
<|end_of_text|> and <|eot_id|>. The file declares Llama 3's split regex
and ByteLevel, so helix's tokenizer runs the same code as on Llama 3;
the training split below only approximates that regex (which merges were
learned does not matter for a valid tokenizer). --stop-ids also writes
<|end_of_text|> as config.json's eos_token_id and both specials as
generation_config.json's.
"""
import argparse
import collections
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]


def byte_symbols():
    """GPT-2's bytes_to_unicode: every byte as one printable character."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + \
        list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def train(text, merges_wanted):
    table = byte_symbols()
    pieces = re.findall(r"'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+|\d{1,3}| ?[^\s\w]+|\s+", text)
    words = collections.Counter(tuple(table[b] for b in p.encode("utf-8")) for p in pieces)
    merges = []
    while len(merges) < merges_wanted:
        pairs = collections.Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = collections.Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    return [table[b] for b in range(256)], merges


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--stop-ids", action="store_true")
    a = ap.parse_args()
    if a.vocab < 256 + len(SPECIALS):
        raise SystemExit(f"--vocab must be at least {256 + len(SPECIALS)}")
    with open(os.path.join(HERE, "..", "tokenizer", "train.txt"), encoding="utf-8") as f:
        text = f.read()
    symbols, merges = train(text, a.vocab - 256 - len(SPECIALS))
    vocab = {s: i for i, s in enumerate(symbols)}
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    # Merges that repeat a token already learned leave ids free: fill them
    # so that the specials sit at the top of the vocabulary.
    while len(vocab) < a.vocab - len(SPECIALS):
        vocab[f"<|reserved_{len(vocab)}|>"] = len(vocab)
    special_ids = {s: len(vocab) + i for i, s in enumerate(SPECIALS)}
    bos = SPECIALS[0]
    doc = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": s, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for s, i in special_ids.items()],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_SPLIT}, "behavior": "Isolated",
             "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": False}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": bos, "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}],
                           "special_tokens": {bos: {"id": bos, "ids": [special_ids[bos]],
                                                    "tokens": [bos]}}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab, "merges": [f"{l} {r}" for l, r in merges]},
    }
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    if a.stop_ids:
        config_path = os.path.join(a.out, "config.json")
        with open(config_path) as f:
            config = json.load(f)
        config["bos_token_id"] = special_ids[bos]
        config["eos_token_id"] = special_ids["<|end_of_text|>"]
        with open(config_path, "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
        with open(os.path.join(a.out, "generation_config.json"), "w") as f:
            json.dump({"bos_token_id": special_ids[bos],
                       "eos_token_id": [special_ids["<|end_of_text|>"],
                                        special_ids["<|eot_id|>"]]}, f, indent=2)


if __name__ == "__main__":
    main()
