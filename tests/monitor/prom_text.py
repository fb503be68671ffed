"""A small parser of the Prometheus text exposition format, strict enough to catch mistakes."""

from __future__ import annotations

import math
import re

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse(text: str) -> tuple[dict[str, str], dict[tuple[str, frozenset], float]]:
    """(type per family, value per (sample name, labels)). Raises on malformed lines, on a
    sample without a TYPE, and on a repeated series."""
    types: dict[str, str] = {}
    samples: dict[tuple[str, frozenset], float] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"TYPE twice: {name}"
            types[name] = kind
            continue
        if line.startswith("# HELP ") or not line.strip():
            continue
        m = _SAMPLE.match(line)
        assert m, f"malformed line: {line!r}"
        name, labels_text, value = m.group(1), m.group(3) or "", m.group(4)
        labels: dict[str, str] = {}
        pos = 0
        while pos < len(labels_text):
            lm = _LABEL.match(labels_text, pos)
            assert lm, f"malformed labels: {line!r}"
            labels[lm.group(1)] = (
                lm.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
            )
            pos = lm.end()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        kind = types.get(name) or types.get(family)
        assert kind is not None, f"sample without TYPE: {name}"
        if name.endswith("_total"):
            assert kind == "counter", name
        number = {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}.get(value)
        key = (name, frozenset(labels.items()))
        assert key not in samples, f"series twice: {line}"
        samples[key] = float(value) if number is None else number
    return types, samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def series(samples: dict, name: str) -> dict[frozenset, float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


def check_histograms(types: dict[str, str], samples: dict) -> int:
    """Every histogram series: cumulative buckets that never decrease, ending in +Inf equal
    to _count. Returns how many series were checked."""
    checked = 0
    for family, kind in types.items():
        if kind != "histogram":
            continue
        groups: dict[frozenset, list[tuple[float, float]]] = {}
        for labels, v in series(samples, f"{family}_bucket").items():
            d = dict(labels)
            le = d.pop("le")
            groups.setdefault(frozenset(d.items()), []).append(
                (math.inf if le == "+Inf" else float(le), v)
            )
        for labels, buckets in groups.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), f"{family} buckets decrease: {buckets}"
            assert buckets[-1][0] == math.inf
            assert samples[(f"{family}_count", labels)] == counts[-1]
            assert (f"{family}_sum", labels) in samples
            checked += 1
    return checked
