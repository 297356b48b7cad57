#!/usr/bin/python3
"""Independent reference for attnscope's SentencePiece-style tokenizers: seeded random strings (ASCII, accents, CJK,
emoji, whitespace runs) and the ids Debian's python3-sentencepiece gives them on a SentencePiece .model file.

usage: spm_reference.py MODEL OUT.json [--seed N] [--count N]
Writes {"model": MODEL, "seed": N, "cases": [{"text": ..., "ids": [...]}, ...]} (ids without BOS).
Run with /usr/bin/python3 (Debian's interpreter has the sentencepiece module)."""
import argparse
import json
import random
import sys

try:
    import sentencepiece
except ImportError:
    sys.exit("spm_reference.py: the sentencepiece module is missing: apt-get install python3-sentencepiece "
             "and run with /usr/bin/python3")

WORDS = ["the", "cat", "Hello", "world", "tokenizer", "x", "I'm", "don't", "42", "3.14", "e-mail", "CamelCase",
         "ALLCAPS", "a", "an", "é", "naïve", "café", "Führer", "über", "niño", "Ørsted", "señor", "mañana",
         "нещо", "Български", "Ελληνικά", "שלום", "مرحبا", "日本語", "中文", "한국어", "ไทย"]
PUNCT = list(".,;:!?'\"()[]{}<>-_=+*/\\|@#$%^&~`")
WHITESPACE = [" ", "  ", "   ", "\t", "\n", "\n\n", " \n ", "\t\t", "\r\n", "\u3000", "\u00a0"]


def random_char(rng):
    kind = rng.random()
    if kind < 0.35:
        return chr(rng.randint(0x21, 0x7E))  # printable ASCII
    if kind < 0.5:
        return chr(rng.choice([rng.randint(0xC0, 0x17F), rng.randint(0x300, 0x36F)]))  # accents, combining marks
    if kind < 0.7:
        return chr(rng.randint(0x4E00, 0x9FFF))  # CJK ideographs (many outside the vocabulary: byte fallback)
    if kind < 0.85:
        return chr(rng.choice([rng.randint(0x1F300, 0x1F64F), rng.randint(0x1F680, 0x1F6FF), 0x1F999]))  # emoji
    return chr(rng.randint(0x400, 0x4FF))  # Cyrillic


def random_text(rng):
    parts = []
    for _ in range(rng.randint(0, 24)):
        kind = rng.random()
        if kind < 0.4:
            parts.append(rng.choice(WORDS))
        elif kind < 0.6:
            parts.append("".join(random_char(rng) for _ in range(rng.randint(1, 6))))
        elif kind < 0.75:
            parts.append(rng.choice(PUNCT))
        else:
            parts.append(rng.choice(WHITESPACE))
        if rng.random() < 0.5:
            parts.append(" ")
    return "".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    processor = sentencepiece.SentencePieceProcessor(model_file=args.model)
    rng = random.Random(args.seed)
    fixed = ["", " ", "  ", "Hello world", " Hello world", "\n", "a\tb", "   leading", "trailing   "]
    texts = fixed + [random_text(rng) for _ in range(args.count)]
    # One long text (13,412 characters with the default seed): a SentencePiece-style prompt is a single word,
    # merged all at once.
    texts.append(" ".join(random_text(rng) for _ in range(300)))
    cases = [{"text": text, "ids": processor.encode(text)} for text in texts]
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump({"model": args.model, "seed": args.seed, "cases": cases}, out, ensure_ascii=True)
    print(f"spm_reference.py: {len(cases)} strings encoded by sentencepiece {sentencepiece.__version__} -> {args.out}")


if __name__ == "__main__":
    main()
