"""The key facts of a query: what must be equal for two queries to share an answer.

Numbers, names (capitalised words, acronyms, product names such as iPhone 15 or GPT-4),
quoted phrases, negation, actions and the content words. Pure and dependency-free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from raafperf.cache.semantic.lexicon import (
    ACTIONS,
    COMMON,
    IMPERATIVES,
    NEGATIONS,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    SYNONYMS,
)

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-.,'][A-Za-z0-9]+)*")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”")
_NUMERIC = re.compile(r"^\d+(?:[.,]\d+)*$")
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")
_PHRASAL = re.compile(
    r"\b(turn|switch|power|shut|log|sign)(?:s|ed|ing|ged|ging)?\s+(?:[a-z]+\s+){0,3}?"
    r"(on|off|down|in|out|up)\b"
)
_PHRASAL_ACTIONS = {
    ("turn", "on"): "power_on",
    ("switch", "on"): "power_on",
    ("power", "on"): "power_on",
    ("power", "up"): "power_on",
    ("turn", "off"): "power_off",
    ("switch", "off"): "power_off",
    ("power", "off"): "power_off",
    ("power", "down"): "power_off",
    ("shut", "down"): "power_off",
    ("shut", "off"): "power_off",
    ("log", "in"): "log_in",
    ("sign", "in"): "log_in",
    ("log", "on"): "log_in",
    ("log", "out"): "log_out",
    ("sign", "out"): "log_out",
    ("log", "off"): "log_out",
    ("sign", "up"): "sign_up",
}


_SUFFIXES = (
    ("ies", "y"),
    ("ied", "y"),
    ("ences", ""),
    ("ence", ""),
    ("ances", ""),
    ("ance", ""),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)


def stem(word: str) -> str:
    """A crude stem, the same on both sides of a comparison: spiders→spider, boiling→boil."""
    w = word.lower()
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    for suffix, repl in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: -len(suffix)] + repl
            break
    if len(w) > 4 and w.endswith(("ize", "ise")):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("y"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


_ACTION_BY_STEM = {stem(v): name for name, verbs in ACTIONS.items() for v in verbs}
_SYNONYM_BY_STEM = {stem(w): stem(group[0]) for group in SYNONYMS for w in group}
_COMMON_STEMS = frozenset(stem(w) for w in COMMON) | COMMON


@dataclass(frozen=True, slots=True)
class Facts:
    text: str
    numbers: frozenset[str]
    names: tuple[str, ...]
    """Lower-cased names in order of appearance, each once."""
    quoted: frozenset[str]
    negated: bool
    actions: frozenset[str]
    words: frozenset[str]
    """Every token, lower-cased, and its stem: where a name of the other query is looked for."""
    content: frozenset[str]
    """Stems of the content words (framing words, numbers and names' case aside)."""
    content_order: tuple[str, ...]
    """The same stems in the order they appear."""


def _is_name(token: str, sentence_start: bool) -> bool:
    letters = any(c.isalpha() for c in token)
    digits = any(c.isdigit() for c in token)
    if letters and digits:
        return True  # S23, GPT-4, PS5, 4-bedroom
    if not letters or (not token[0].isupper() and not any(c.isupper() for c in token[1:])):
        return False
    if token in ("I", "I'm", "I've", "I'd", "I'll"):
        return False
    if any(c.isupper() for c in token[1:]):
        return True  # iPhone, MacBook, CPU, USA, II
    if sentence_start:
        low = token.lower()
        return not (low in COMMON or low in IMPERATIVES or stem(low) in _ACTION_BY_STEM)
    return True


def _number(token: str) -> str | None:
    low = token.lower()
    if _NUMERIC.match(low):
        return low.replace(",", "")
    match = _ORDINAL.match(low)
    if match:
        return f"#{match.group(1)}"
    return NUMBER_WORDS.get(low) or ORDINAL_WORDS.get(low)


@lru_cache(maxsize=4096)
def extract(text: str) -> Facts:
    """The facts of one query (memoised: stored queries are compared again and again)."""
    text = text.replace("’", "'")
    numbers: set[str] = set()
    names: list[str] = []
    words: set[str] = set()
    content: list[str] = []
    actions: set[str] = set()
    negated = False
    quoted = frozenset(" ".join((a or b).lower().split()) for a, b in _QUOTED.findall(text))
    for match in _TOKEN.finditer(text):
        token = match.group(0).rstrip(".,")
        if token.endswith("'s"):
            token = token[:-2]
        if not token:
            continue
        before = text[: match.start()].rstrip(" \"'“(")
        sentence_start = not before or before[-1] in ".!?:;\n"
        low = token.lower()
        low_stem = stem(low)
        words.add(low)
        words.add(low_stem)
        if low in NEGATIONS or low.endswith("n't"):
            negated = True
            continue
        number = _number(token)
        if number is not None:
            numbers.add(number)
            continue
        if _is_name(token, sentence_start) and low not in names:
            names.append(low)
        action = _ACTION_BY_STEM.get(low_stem) or _ACTION_BY_STEM.get(low)
        if action is not None:
            actions.add(action)
        if low not in COMMON and low_stem not in _COMMON_STEMS:
            content.append(action or _SYNONYM_BY_STEM.get(low_stem, low_stem))
    for verb, particle in _PHRASAL.findall(text.lower()):
        phrasal = _PHRASAL_ACTIONS.get((verb, particle))
        if phrasal is not None:
            actions.add(phrasal)
    return Facts(
        text=text,
        numbers=frozenset(numbers),
        names=tuple(names),
        quoted=quoted,
        negated=negated,
        actions=frozenset(actions),
        words=frozenset(words),
        content=frozenset(content),
        content_order=tuple(content),
    )
