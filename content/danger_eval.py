"""How well the danger signs are recognised in other people's words: ``python -m content.danger_eval``.

Each fold trains the learned reader on the rest of the corpus (content/danger_corpus/) and reads the part left
out: one author's part at a time (leave-one-author-out) and one register at a time (leave-one-register-out).
Three readers are compared: the rules alone, the model alone and the two together (what the bot uses).

- recall: of (message, sign) pairs, the share found;
- urgent alert recall: of messages with an urgent sign, the share that raise an urgent sign;
- false alarms: of harmless messages (no sign), the share that raise any sign.

Options: ``--write`` puts the tables into SAFETY.md section 2; ``--choose-threshold`` picks the model's threshold
by leave-one-author-out (and writes it to danger_model.yaml); ``--sealed DIR`` also reads the sealed part
(``a5_*.tsv`` in DIR: training on the whole repository corpus) and prints aggregate figures only, never a
message; ``--sync DIR`` copies the finished corpus parts from DIR first.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from content import get_content
from content.danger import match_signs, match_tokens
from content.danger_corpus import CORPUS_DIR, R0_NOTE, SEALED, Message, load, read_file, sync
from content.danger_model import DangerModel, read_settings, train
from content.loader import Content
from content.reading import is_hypothetical, normalizer

SAFETY = Path(__file__).resolve().parents[1] / "SAFETY.md"
BEGIN, END = "<!-- danger_eval:begin -->", "<!-- danger_eval:end -->"
READERS = ("rules", "model", "combined")


@dataclass
class Read:
    """One message as the rules and one fold's model read it."""

    message: Message
    rules: frozenset[str]  # before the hypothetical filter
    hypothetical: bool
    probs: dict[str, float]

    def signs(self, reader: str, threshold: float) -> frozenset[str]:
        model = frozenset(s for s, p in self.probs.items() if p >= threshold)
        found = {"rules": self.rules, "model": model, "combined": self.rules | model}[reader]
        return frozenset() if self.hypothetical else found


def rules_reading(content: Content, messages: Sequence[Message]) -> list[tuple[frozenset[str], bool]]:
    lang, kinds = content.danger_language, content.message_kinds
    out = []
    for m in messages:
        found = frozenset(s.id for s in match_signs(content.danger_signs, m.text, lang))
        still = lambda rest: bool(match_tokens(content.danger_signs, rest, lang))  # noqa: E731
        out.append((found, is_hypothetical(kinds, lang.tokens(m.text), still)))
    return out


def all_rules(content: Content, messages: Sequence[Message]) -> dict[int, tuple[frozenset[str], bool]]:
    return dict(zip(map(id, messages), rules_reading(content, messages), strict=True))


def fold_reads(content: Content, train_on: Sequence[Message], test: Sequence[Message],
               rules: Sequence[tuple[frozenset[str], bool]]) -> list[Read]:
    ids = [s.id for s in content.danger_signs]
    model: DangerModel = train(train_on, read_settings(), normalizer(content.danger_language), ids)
    probs = model.probabilities([m.text for m in test]) if test else np.zeros((0, len(ids)))
    return [Read(m, r, h, dict(zip(model.sign_ids, map(float, p), strict=True)))
            for m, (r, h), p in zip(test, rules, probs, strict=True)]


def folds(content: Content, messages: Sequence[Message], by: str,
          rules: dict[int, tuple[frozenset[str], bool]] | None = None) -> list[Read]:
    """Every message read by a model that never saw its author's (or register's) part."""
    if rules is None:
        rules = all_rules(content, messages)
    reads: list[Read] = []
    for key in sorted({getattr(m, by) for m in messages}):
        test = [m for m in messages if getattr(m, by) == key]
        rest = [m for m in messages if getattr(m, by) != key]
        reads.extend(fold_reads(content, rest, test, [rules[id(m)] for m in test]))
    return reads


# -- figures -------------------------------------------------------------------------------------------

@dataclass
class Figures:
    pairs: int = 0
    found: int = 0
    urgent: int = 0
    urgent_alerted: int = 0
    harmless: int = 0
    false_alarms: int = 0

    def add(self, expected: frozenset[str], got: frozenset[str], urgent_ids: frozenset[str]) -> None:
        self.pairs += len(expected)
        self.found += len(expected & got)
        if expected & urgent_ids:
            self.urgent += 1
            self.urgent_alerted += bool(got & urgent_ids)
        if not expected:
            self.harmless += 1
            self.false_alarms += bool(got)

    @property
    def recall(self) -> float:
        return self.found / self.pairs if self.pairs else float("nan")

    @property
    def urgent_recall(self) -> float:
        return self.urgent_alerted / self.urgent if self.urgent else float("nan")

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.harmless if self.harmless else float("nan")


def figures(reads: Iterable[Read], reader: str, threshold: float, urgent_ids: frozenset[str],
            key=lambda r: "all") -> dict[str, Figures]:
    out: dict[str, Figures] = defaultdict(Figures)
    for r in reads:
        out[key(r)].add(r.message.signs, r.signs(reader, threshold), urgent_ids)
    return dict(out)


def per_sign(reads: Sequence[Read], reader: str, threshold: float) -> dict[str, tuple[int, int, int, int]]:
    """sign -> (messages with it, found, messages without it, raised wrongly)."""
    pos, found, neg, wrong = Counter(), Counter(), Counter(), Counter()
    ids = sorted({s for r in reads for s in r.probs})
    for r in reads:
        got = r.signs(reader, threshold)
        for s in ids:
            if s in r.message.signs:
                pos[s] += 1
                found[s] += s in got
            else:
                neg[s] += 1
                wrong[s] += s in got
    return {s: (pos[s], found[s], neg[s], wrong[s]) for s in ids}


def choose_threshold(reads: Sequence[Read], target: float, urgent_ids: frozenset[str]) -> float:
    """The lowest threshold at which the model adds at most ``target`` false alarms to the rules'."""
    rules = figures(reads, "rules", 1.0, urgent_ids)["all"].false_alarm_rate
    for t in np.arange(0.10, 0.96, 0.025):
        f = figures(reads, "combined", float(t), urgent_ids)["all"]
        if f.false_alarm_rate <= rules + target:
            return round(float(t), 3)
    return 0.95


# -- tables --------------------------------------------------------------------------------------------

def _f(x: float) -> str:
    return "–" if x != x else f"{x:.3f}"


def summary_table(groups: dict[str, dict[str, Figures]], title: str) -> str:
    rows = [f"| {title} | reader | recall (pairs) | urgent alert recall | false alarms |",
            "| --- | --- | ---: | ---: | ---: |"]
    for name, by_reader in groups.items():
        for reader, f in by_reader.items():
            rows.append(f"| {name} | {reader} | {_f(f.recall)} ({f.found}/{f.pairs}) | "
                        f"{_f(f.urgent_recall)} ({f.urgent_alerted}/{f.urgent}) | "
                        f"{_f(f.false_alarm_rate)} ({f.false_alarms}/{f.harmless}) |")
    return "\n".join(rows)


def sign_table(reads: Sequence[Read], threshold: float) -> str:
    by = {reader: per_sign(reads, reader, threshold) for reader in READERS}
    rows = ["| sign | messages | rules | model | rules+model | false alarms (rules+model) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for s, (p, _, n, w) in by["combined"].items():
        cells = [f"{by[r][s][1] / p:.2f}" if p else "–" for r in READERS]
        rows.append(f"| {s} | {p} | {' | '.join(cells)} | {w} ({w / n:.3f}) |")
    return "\n".join(rows)


def breakdown(reads: Sequence[Read], threshold: float, urgent_ids: frozenset[str], key, label: str) -> str:
    per = {reader: figures(reads, reader, threshold, urgent_ids, key) for reader in READERS}
    groups = {name: {reader: per[reader][name] for reader in READERS} for name in sorted(per["combined"])}
    return summary_table(groups, label)


def report(content: Content, messages: Sequence[Message], threshold: float) -> tuple[str, dict]:
    urgent_ids = frozenset(s.id for s in content.danger_signs if s.urgent)
    t0 = time.perf_counter()
    rules = all_rules(content, messages)
    by_author = folds(content, messages, "author", rules)
    by_register = folds(content, messages, "register", rules)
    overall = {name: {reader: figures(reads, reader, threshold, urgent_ids)["all"] for reader in READERS}
               for name, reads in (("left-out author", by_author), ("left-out register", by_register))}
    parts = Counter((m.author, m.register) for m in messages)
    lines = [
        f"Corpus: {len(messages)} messages in {len(parts)} parts "
        f"({', '.join(f'{a}_{r} {n}' for (a, r), n in sorted(parts.items()))}); "
        f"{sum(1 for m in messages if m.signs)} with a sign, {sum(1 for m in messages if not m.signs)} harmless. "
        f"Model threshold {threshold}. Computed by `python -m content.danger_eval --write` "
        f"in {time.perf_counter() - t0:.0f} s.",
        "", "### Overall (each message read by a model that never saw its author's or its register's part)", "",
        summary_table(overall, "fold"),
        "", "### By left-out author", "",
        breakdown(by_author, threshold, urgent_ids, lambda r: r.message.author, "author"),
        "", "### By left-out register", "",
        breakdown(by_register, threshold, urgent_ids, lambda r: r.message.register, "register"),
        "", "### By sign (leave-one-author-out)", "",
        sign_table(by_author, threshold),
    ]
    return "\n".join(lines), {"author": by_author, "register": by_register, "overall": overall}


def misses(reads: Sequence[Read], threshold: float) -> list[str]:
    out = []
    for r in reads:
        got = r.signs("combined", threshold)
        if got != r.message.signs:
            out.append(f"{r.message.file}:{r.message.line} expected {sorted(r.message.signs)} got {sorted(got)}"
                       f"{' (hypothetical)' if r.hypothetical else ''}: {r.message.text}")
    return out


def sealed(content: Content, messages: Sequence[Message], folder: Path, threshold: float) -> str:
    """Aggregate figures on the sealed part: trained on the whole repository corpus; no message is shown."""
    part = [m for p in sorted(folder.glob(f"{SEALED}_*.tsv")) for m in read_file(p)]
    if not part:
        return "sealed part: no files"
    urgent_ids = frozenset(s.id for s in content.danger_signs if s.urgent)
    reads = fold_reads(content, messages, part, rules_reading(content, part))
    overall = {"sealed": {reader: figures(reads, reader, threshold, urgent_ids)["all"] for reader in READERS}}
    return "\n\n".join([summary_table(overall, "part"),
                        breakdown(reads, threshold, urgent_ids, lambda r: r.message.register, "register")])


def write_safety(text: str, path: Path = SAFETY) -> None:
    doc = path.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in doc:
        doc = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
    else:
        raise SystemExit(f"{path.name}: no {BEGIN} marker")
    path.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m content.danger_eval")
    ap.add_argument("--sync", type=Path)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--choose-threshold", action="store_true")
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("--sealed", type=Path)
    args = ap.parse_args(argv)
    content = get_content()
    if args.sync:
        fixes = sync(args.sync, known_signs=frozenset(s.id for s in content.danger_signs))
        head = "# Format fixes made when the parts were copied (python -m content.danger_eval --sync)\n\n"
        (CORPUS_DIR / "FIXES.md").write_text(head + ("".join(f"- {f}\n" for f in fixes) or "- none\n") + R0_NOTE,
                                             encoding="utf-8")
        print(f"synced: {len(fixes)} fixes")
    messages = load()
    settings = read_settings()
    threshold = settings.threshold
    if args.choose_threshold:
        urgent_ids = frozenset(s.id for s in content.danger_signs if s.urgent)
        threshold = choose_threshold(folds(content, messages, "author"), settings.target_false_alarms, urgent_ids)
        path = Path(__file__).resolve().parent / "danger_model.yaml"
        path.write_text(re.sub(r"(?m)^threshold: .*$", f"threshold: {threshold}", path.read_text(encoding="utf-8")),
                        encoding="utf-8")
        print(f"threshold {threshold}")
    if args.write or args.misses or args.choose_threshold or not args.sealed:
        text, data = report(content, messages, threshold)
        print(text)
        if args.misses:
            print("\n## misses (leave-one-author-out, rules+model)")
            print("\n".join(misses(data["author"], threshold)))
        if args.write:
            write_safety(text)
    if args.sealed:
        print("\n## sealed part (aggregate only)\n")
        print(sealed(content, messages, args.sealed, threshold))
    return 0


if __name__ == "__main__":
    sys.exit(main())
