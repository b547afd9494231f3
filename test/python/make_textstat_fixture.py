"""textstat 0.7.11's own readability numbers for the texts in test/fixtures/readability-texts.jsonl.

Writes test/fixtures/readability-textstat-0.7.11.jsonl (scores and the counts behind them, as MLflow calls
textstat) and ...-words.jsonl (every word textstat counted syllables for, its count and whether cmudict or
the Pyphen fallback gave it). With --check it writes nothing and exits 1 when the committed files differ
from what the installed textstat computes now. cmudict is found the way NLTK finds it (NLTK_DATA,
~/nltk_data, ...).
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import textstat
from textstat.backend.selections._list_words import list_words
from textstat.backend.utils._get_cmudict import get_cmudict
from textstat.backend.utils._get_pyphen import get_pyphen

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TEXTS = FIXTURES / "readability-texts.jsonl"
SCORES = FIXTURES / "readability-textstat-0.7.11.jsonl"
WORDS = FIXTURES / "readability-textstat-0.7.11-words.jsonl"


def scores(row: dict) -> dict:
    text = row["text"]
    return {
        "id": row["id"],
        "text": text,
        "flesch_kincaid_grade_level": textstat.flesch_kincaid_grade(text),
        "ari_grade_level": textstat.automated_readability_index(text),
        "words": textstat.lexicon_count(text),
        "sentences": textstat.sentence_count(text),
        "syllables": textstat.syllable_count(text),
        "characters": textstat.char_count(text, ignore_spaces=True),
        "words_incl_punct_tokens": textstat.lexicon_count(text, removepunct=False),
    }


def words(row: dict) -> dict:
    cmu, pyphen = get_cmudict("en_US"), get_pyphen("en_US")  # textstat's default language
    out = []
    for word in list_words(row["text"], lowercase=True):
        phones = cmu.get(word)
        if phones:
            out.append([word, sum(1 for p in phones[0] if p[-1].isdigit()), "cmudict"])
        else:
            out.append([word, len(pyphen.positions(word)) + 1, "pyphen"])
    return {"id": row["id"], "words": out}


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main() -> int:
    version = importlib.metadata.version("textstat")
    if version != "0.7.11":
        print(f"textstat {version} is installed; the fixture is textstat 0.7.11's", file=sys.stderr)
        return 2
    texts = [json.loads(line) for line in TEXTS.read_text("utf8").splitlines() if line]
    made = {SCORES: jsonl([scores(r) for r in texts]), WORDS: jsonl([words(r) for r in texts])}
    if "--check" in sys.argv:
        stale = [p.name for p, text in made.items() if not p.exists() or p.read_text("utf8") != text]
        if stale:
            print(f"{', '.join(stale)} differ from textstat's numbers: run python {sys.argv[0]}", file=sys.stderr)
            return 1
        return 0
    for path, text in made.items():
        path.write_text(text, "utf8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
