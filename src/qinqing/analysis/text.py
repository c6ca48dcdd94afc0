"""Chinese text analysis of demand titles and descriptions.

Segmentation uses jieba (a maintained library) with a private tokenizer loaded with the domain
dictionary ``data/dict.txt`` (用地指标, 拖欠账款, 融资难 …) so that obstacle terms stay whole, and the stop
words of ``data/stopwords.txt``. ``terms(text)`` is what every other piece uses: the distinct,
meaningful terms of a text in first-seen order.

The similarity measure (``similarity``) combines a TF-IDF-weighted cosine over those terms with the
Dice coefficient of the character bigrams of the text (robust to segmentation differences and typos);
both are pure Python and take microseconds per pair.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jieba

DATA = Path(__file__).resolve().parent / "data"
DICT_FILE = DATA / "dict.txt"
STOPWORDS_FILE = DATA / "stopwords.txt"

# A term is at least two characters of CJK or a Latin/digit word with a letter (5G基站, PM2.5 …).
_CJK = re.compile(r"[\u4e00-\u9fff]")
_HAS_LETTER_OR_CJK = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_PUNCT_OR_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)
_NON_TEXT = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff]+")
MAX_TERM_LENGTH = 20

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

logging.getLogger("jieba").setLevel(logging.WARNING)


def tokenizer() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer with the domain dictionary (built once, thread-safe)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tk = jieba.Tokenizer()
                tk.initialize()
                tk.load_userdict(str(DICT_FILE))
                _tokenizer = tk
    return _tokenizer


@cache
def stop_words() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@cache
def domain_terms() -> frozenset[str]:
    lines = DICT_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split()[0] for line in lines if line.strip() and not line.startswith("#"))


def _keep(token: str, stops: frozenset[str]) -> bool:
    if len(token) < 2 or len(token) > MAX_TERM_LENGTH or token in stops:
        return False
    if _PUNCT_OR_SPACE.fullmatch(token):
        return False
    return bool(_HAS_LETTER_OR_CJK.search(token))


def segment(text: str) -> list[str]:
    """Every kept token of TEXT in order (repeats included)."""
    if not text:
        return []
    stops = stop_words()
    return [t for t in (w.strip() for w in tokenizer().lcut(text)) if _keep(t, stops)]


def terms(text: str) -> list[str]:
    """The distinct kept terms of TEXT, in first-seen order."""
    return list(dict.fromkeys(segment(text)))


def demand_text(title: str, description: str) -> str:
    return f"{title}。{description}"


def top_terms(texts: Iterable[str], n: int = 20) -> list[tuple[str, int]]:
    """The N terms found in the most texts (document frequency), ties by term."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(terms(text)))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass(frozen=True)
class Trend:
    term: str
    count: int
    previous: int

    @property
    def change(self) -> float | None:
        """Relative change from the previous period (None when the term is new)."""
        if self.previous == 0:
            return None
        return (self.count - self.previous) / self.previous

    @property
    def arrow(self) -> str:
        if self.count > self.previous:
            return "↑"
        if self.count < self.previous:
            return "↓"
        return "→"


def with_trend(current: list[tuple[str, int]], previous: Mapping[str, int]) -> list[Trend]:
    return [Trend(term, count, int(previous.get(term, 0))) for term, count in current]


# --- similarity ----------------------------------------------------------------------------------------
def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the letters, digits and CJK characters of TEXT (punctuation dropped)."""
    clean = _NON_TEXT.sub("", text or "")
    return frozenset(clean[i : i + 2] for i in range(len(clean) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def idf(df: int, total: int) -> float:
    """Smoothed inverse document frequency."""
    return math.log((1 + total) / (1 + df)) + 1.0


def cosine(a: Iterable[str], b: Iterable[str], weights: Mapping[str, float]) -> float:
    """Cosine of the binary term vectors of A and B, each term weighted by WEIGHTS (default 1)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    dot = sum(weights.get(t, 1.0) ** 2 for t in sa & sb)
    na = math.sqrt(sum(weights.get(t, 1.0) ** 2 for t in sa))
    nb = math.sqrt(sum(weights.get(t, 1.0) ** 2 for t in sb))
    return dot / (na * nb)


@dataclass(frozen=True)
class Doc:
    """What the similarity measure needs of a demand (all precomputed and stored by the index)."""

    terms: tuple[str, ...]
    bigrams: frozenset[str]
    enterprise_id: int | None = None
    category_id: int | None = None

    @classmethod
    def of(
        cls, title: str, description: str, enterprise_id: int | None = None, category_id: int | None = None
    ) -> Doc:
        return cls(
            tuple(terms(demand_text(title, description))),
            bigrams(demand_text(title, description[:BIGRAM_CHARS])),
            enterprise_id,
            category_id,
        )


# Bigrams are taken from the title and the start of the description (bounded cost per candidate).
BIGRAM_CHARS = 300
# Weights measured on tests/analysis/labelled_pairs.py (docs/analysis.md gives the figures).
TERM_WEIGHT = 0.6
BIGRAM_WEIGHT = 0.4
SAME_ENTERPRISE_BOOST = 0.10
SAME_CATEGORY_BOOST = 0.05
THRESHOLD = 0.35


def combine(term_cosine: float, bigram_dice: float, same_enterprise: bool, same_category: bool) -> float:
    """The score in [0, 1]: 0.6 × weighted term cosine + 0.4 × bigram Dice, plus small boosts for the
    same enterprise and the same category (capped at 1)."""
    score = TERM_WEIGHT * term_cosine + BIGRAM_WEIGHT * bigram_dice
    if same_enterprise:
        score += SAME_ENTERPRISE_BOOST
    if same_category:
        score += SAME_CATEGORY_BOOST
    return round(min(score, 1.0), 4)


def similarity(a: Doc, b: Doc, weights: Mapping[str, float] | None = None) -> float:
    return combine(
        cosine(a.terms, b.terms, weights or {}),
        dice(a.bigrams, b.bigrams),
        a.enterprise_id is not None and a.enterprise_id == b.enterprise_id,
        a.category_id is not None and a.category_id == b.category_id,
    )


def norm(terms: Iterable[str], weights: Mapping[str, float]) -> float:
    return math.sqrt(sum(weights.get(t, 1.0) ** 2 for t in set(terms)))


def corpus_weights(docs: Iterable[Doc]) -> dict[str, float]:
    """IDF weights computed from DOCS (for tests and small batches; the index keeps them in TermStat)."""
    docs = list(docs)
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc.terms))
    return {term: idf(count, len(docs)) for term, count in df.items()}


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
