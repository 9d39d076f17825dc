"""How well the danger signs are recognised in other people's words: ``python -m content.danger_eval``.

Each fold trains the learned reader on the rest of the corpus (content/danger_corpus/) and reads the part left
out: one author's part at a time (leave-one-author-out) and one register at a time (leave-one-register-out).
Three readers are compared: the rules alone, the model alone and the two together (what the bot uses).

- recall: of (message, sign) pairs, the share found;
- urgent alert recall: of messages with an urgent sign, the share that raise an urgent sign;
- false alarms: of harmless messages (no sign), the share that raise any sign.

Options: ``--write`` puts the tables into SAFETY.md section 2; ``--choose`` picks how rules and model are combined
(veto and add thresholds) by leave-one-author-out and writes them to danger_model.yaml; ``--sealed DIR`` also reads the sealed parts
(every ``*.tsv`` in DIR: training on the whole repository corpus) and prints aggregate figures only, never a
message, with the routes the bot takes; ``--sync DIR`` copies the finished corpus parts from DIR first.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from content import get_content, route_eval
from content.danger import match_exact, match_tokens
from content.danger_corpus import CORPUS_DIR, KINDS, NAME, R0_NOTE, Message, load, sync
from content.danger_model import HEADS, DangerModel, Settings, read_settings
from content.danger_negation import negated_signs
from content.loader import Content
from content.reading import is_hypothetical, told_as_now

SAFETY = Path(__file__).resolve().parents[1] / "SAFETY.md"
BEGIN, END = "<!-- danger_eval:begin -->", "<!-- danger_eval:end -->"
READERS = ("rules", "model", "combined")


@dataclass
class Read:
    """One message as the rules and one fold's model read it."""

    message: Message
    rules: dict[str, bool]  # sign id -> exact (a number against a threshold); before the hypothetical filter
    hypothetical: bool
    probs: dict[str, float]
    urgent: frozenset[str]
    kept: frozenset[str]  # the urgent signs of the mother's mind: never vetoed, added at crisis_threshold

    negated: frozenset[str] = frozenset()  # signs the rules read as negated ("tidak lemas")

    def signs(self, reader: str, settings: Settings) -> frozenset[str]:
        if reader == "rules":
            return frozenset() if self.hypothetical else frozenset(self.rules)
        if reader == "model":
            got = frozenset(settings.combine({}, self.probs, self.urgent, negated=self.negated, crisis=self.kept))
        else:
            got = frozenset(settings.combine(self.rules, self.probs, self.urgent, self.kept, self.negated,
                                             self.kept))
        if self.hypothetical and not (got and settings.overrides_hypothetical(self.probs)):
            return frozenset()
        return got


def rules_reading(content: Content, messages: Sequence[Message]) -> list[tuple[dict[str, bool], bool, frozenset[str]]]:
    """Per message: the rules' hits (sign id -> exact; a hit told as happening now counts as exact, it is
    never vetoed), whether the message is hypothetical, and the signs it names only negated."""
    lang, kinds = content.danger_language, content.message_kinds
    out = []
    for m in messages:
        tokens = lang.tokens(m.text)
        found = {s.id: exact for s, exact in match_exact(content.danger_signs, tokens, lang)}
        still = lambda rest: bool(match_tokens(content.danger_signs, rest, lang))  # noqa: E731
        if found and told_as_now(kinds, tokens, still):
            found = dict.fromkeys(found, True)
        out.append((found, is_hypothetical(kinds, tokens, still),
                    frozenset(negated_signs(content.danger_signs, tokens, lang, set(found)))))
    return out


def all_rules(content: Content, messages: Sequence[Message]) -> dict[int, tuple[dict[str, bool], bool, frozenset[str]]]:
    return dict(zip(map(id, messages), rules_reading(content, messages), strict=True))


def fold_reads(content: Content, train_on: Sequence[Message], test: Sequence[Message],
               rules: Sequence[tuple[dict[str, bool], bool, frozenset[str]]]) -> list[Read]:
    urgent = frozenset(s.id for s in content.danger_signs if s.urgent)
    crisis = frozenset(s.id for s in content.danger_signs if s.urgent and s.crisis)  # never vetoed, added lower
    model: DangerModel = route_eval.trained(content, train_on)
    probs = model.probabilities([m.text for m in test]) if test else np.zeros((0, len(model.columns)))
    return [Read(m, r, h, dict(zip(model.columns, map(float, p), strict=True)), urgent, crisis, neg)
            for m, (r, h, neg), p in zip(test, rules, probs, strict=True)]


def folds(content: Content, messages: Sequence[Message], by: str | Callable[[Message], str],
          rules: dict[int, tuple[dict[str, bool], bool, frozenset[str]]] | None = None) -> list[Read]:
    """Every message read by a model that never saw its author's (or register's) part; ``by`` a Message field
    or a function giving each message its fold (a group of authors)."""
    if rules is None:
        rules = all_rules(content, messages)
    key_of = by if callable(by) else (lambda m: getattr(m, by))

    def one(key: str) -> list[Read]:
        test = [m for m in messages if key_of(m) == key]
        rest = [m for m in messages if key_of(m) != key]
        return fold_reads(content, rest, test, [rules[id(m)] for m in test])

    # folds in threads: liblinear fits without the GIL (1.5x on 2 cores), the reads keep the folds' order
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return [r for part in pool.map(one, sorted({key_of(m) for m in messages})) for r in part]


def author_groups(messages: Sequence[Message], k: int) -> Callable[[Message], str]:
    """``k`` folds of whole authors (every k-th author by name): each author still read by a model that never
    saw any of their words, with k fits instead of one per author (the floor test's folds)."""
    authors = sorted({m.author for m in messages})
    group = {a: f"g{i % k}" for i, a in enumerate(authors)}
    return lambda m: group[m.author]


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


def figures(reads: Iterable[Read], reader: str, settings: Settings, urgent_ids: frozenset[str],
            key=lambda r: "all") -> dict[str, Figures]:
    out: dict[str, Figures] = defaultdict(Figures)
    for r in reads:
        out[key(r)].add(r.message.signs, r.signs(reader, settings), urgent_ids)
    return dict(out)


def per_sign(reads: Sequence[Read], reader: str, settings: Settings) -> dict[str, tuple[int, int, int, int]]:
    """sign -> (messages with it, found, messages without it, raised wrongly)."""
    pos, found, neg, wrong = Counter(), Counter(), Counter(), Counter()
    ids = sorted({s for r in reads for s in r.probs if s not in HEADS})
    for r in reads:
        got = r.signs(reader, settings)
        for s in ids:
            if s in r.message.signs:
                pos[s] += 1
                found[s] += s in got
            else:
                neg[s] += 1
                wrong[s] += s in got
    return {s: (pos[s], found[s], neg[s], wrong[s]) for s in ids}


VETOS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
URGENT_THRESHOLDS = (0.4, 0.6, 0.8, 1.01)  # 1.01: never by one urgent sign's own probability
THRESHOLDS = (0.6, 0.7, 0.8)
URGENT_MESSAGE = (0.5, 0.6, 0.7, 0.8, 1.01)  # 1.01: the urgent head never adds a sign
HYPOTHETICAL_HEAD = (0.8, 0.9, 1.01)  # 1.01: the rules' "hypothetical" always stands


def frontier(reads: Sequence[Read], settings: Settings, urgent_ids: frozenset[str]) -> list[tuple[Settings, Figures]]:
    """The combination settings tried (veto x urgent add threshold x add threshold x urgent head x the urgent
    head's override of "hypothetical") and their figures."""
    out = []
    for veto in VETOS:
        for urgent in URGENT_THRESHOLDS:
            for add in THRESHOLDS:
                for head in URGENT_MESSAGE:
                    for hyp in HYPOTHETICAL_HEAD:
                        s = replace(settings, veto=veto, urgent_threshold=urgent, threshold=add, urgent_message=head,
                                    hypothetical_head=hyp)
                        out.append((s, figures(reads, "combined", s, urgent_ids)["all"]))
    return out


TIE = 0.005  # urgent alert recalls this close count as equal: then the setting that vetoes fewest rule hits


def choose(tried: Sequence[tuple[Settings, Figures]], target: float) -> Settings:
    """The settings with the highest urgent alert recall whose false alarms stay at or under ``target``; among
    those within ``TIE`` of it, the lowest veto (a rule's hit dropped is the riskier error), then the best
    recall."""
    ok = [(s, f) for s, f in tried if f.false_alarm_rate <= target] or [min(tried, key=lambda sf: sf[1].false_alarm_rate)]
    best = max(f.urgent_recall for _, f in ok)
    near = [(s, f) for s, f in ok if f.urgent_recall >= best - TIE]
    return min(near, key=lambda sf: (sf[0].veto, -sf[1].urgent_recall, -sf[1].recall))[0]


def frontier_table(tried: Sequence[tuple[Settings, Figures]], target: float) -> str:
    """Per veto, the best urgent add threshold under the false-alarm target (else the fewest false alarms)."""
    rows = ["| veto | add (urgent) | add (other) | urgent head | overrides hypothetical | recall | urgent alert recall | false alarms |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for veto in VETOS:
        group = [(s, f) for s, f in tried if s.veto == veto]
        ok = [(s, f) for s, f in group if f.false_alarm_rate <= target]
        s, f = (max(ok, key=lambda sf: (sf[1].urgent_recall, sf[1].recall)) if ok
                else min(group, key=lambda sf: (sf[1].false_alarm_rate, -sf[1].urgent_recall)))
        rows.append(f"| {veto} | {s.urgent_threshold} | {s.threshold} | {s.urgent_message} | {s.hypothetical_head} | "
                    f"{_f(f.recall)} | "
                    f"{_f(f.urgent_recall)} | "
                    f"{_f(f.false_alarm_rate)} ({f.false_alarms}/{f.harmless}) |")
    return "\n".join(rows)


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


def sign_table(reads: Sequence[Read], settings: Settings) -> str:
    by = {reader: per_sign(reads, reader, settings) for reader in READERS}
    rows = ["| sign | messages | rules | model | rules+model | false alarms (rules+model) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for s, (p, _, n, w) in by["combined"].items():
        cells = [f"{by[r][s][1] / p:.2f}" if p else "–" for r in READERS]
        rows.append(f"| {s} | {p} | {' | '.join(cells)} | {w} ({w / n:.3f}) |")
    return "\n".join(rows)


def breakdown(reads: Sequence[Read], settings: Settings, urgent_ids: frozenset[str], key, label: str) -> str:
    per = {reader: figures(reads, reader, settings, urgent_ids, key) for reader in READERS}
    groups = {name: {reader: per[reader][name] for reader in READERS} for name in sorted(per["combined"])}
    return summary_table(groups, label)


def report(content: Content, messages: Sequence[Message], settings: Settings) -> tuple[str, dict]:
    urgent_ids = frozenset(s.id for s in content.danger_signs if s.urgent)
    t0 = time.perf_counter()
    rules = all_rules(content, messages)
    by_author = folds(content, messages, "author", rules)
    by_register = folds(content, messages, "register", rules)
    overall = {name: {reader: figures(reads, reader, settings, urgent_ids)["all"] for reader in READERS}
               for name, reads in (("left-out author", by_author), ("left-out register", by_register))}
    parts = Counter((m.author, m.register) for m in messages)
    lines = [
        f"Corpus: {len(messages)} messages in {len(parts)} parts "
        f"({', '.join(f'{a}_{r} {n}' for (a, r), n in sorted(parts.items()))}); "
        f"{sum(1 for m in messages if m.signs)} with a sign, {sum(1 for m in messages if not m.signs)} harmless. "
        f"Combination: a rule's phrase hit (not a number, not an urgent sign of the mother's mind, not told as now) kept when the "
        f"model gives some sign ≥ {settings.veto}; the model adds "
        f"an urgent sign at ≥ {settings.urgent_threshold}, another at ≥ {settings.threshold}, and (nothing urgent "
        f"raised) its likeliest urgent sign when the urgent head reaches ≥ {settings.urgent_message}; never a sign "
        f"the rules read as negated; the rules' 'hypothetical' stands unless the urgent head reaches "
        f"≥ {settings.hypothetical_head}. "
        f"Computed by `python -m content.danger_eval --write` "
        f"in {time.perf_counter() - t0:.0f} s.",
        "", "### Overall (each message read by a model that never saw its author's or its register's part)", "",
        summary_table(overall, "fold"),
        "", "### How rules and model are combined (leave-one-author-out; chosen: highest urgent alert recall (within 0.005: the lowest veto) with "
        f"false alarms ≤ {settings.target_false_alarms:.0%})", "",
        frontier_table(frontier(by_author, settings, urgent_ids), settings.target_false_alarms),
        "", "### By left-out author", "",
        breakdown(by_author, settings, urgent_ids, lambda r: r.message.author, "author"),
        "", "### By left-out register", "",
        breakdown(by_register, settings, urgent_ids, lambda r: r.message.register, "register"),
        "", "### By sign (leave-one-author-out)", "",
        sign_table(by_author, settings),
    ]
    return "\n".join(lines), {"author": by_author, "register": by_register, "overall": overall}


def misses(reads: Sequence[Read], settings: Settings) -> list[str]:
    out = []
    for r in reads:
        got = r.signs("combined", settings)
        if got != r.message.signs:
            out.append(f"{r.message.file}:{r.message.line} expected {sorted(r.message.signs)} got {sorted(got)}"
                       f"{' (hypothetical)' if r.hypothetical else ''}: {r.message.text}")
    return out


def read_sealed(folder: Path, known: frozenset[str]) -> tuple[list[Message], Counter]:
    """Every message of every ``*.tsv`` in the sealed folder, read leniently (a line the strict reader would
    refuse is counted, never shown): the part is read once, and one bad line must not lose the reading."""
    part: list[Message] = []
    issues: Counter = Counter()
    for path in sorted(folder.glob("*.tsv")):
        name = NAME.match(path.name)
        author = name["author"] if name else path.stem
        for n, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
            if not raw.strip() or raw.startswith("#"):
                continue
            cols = raw.rstrip("\r").split("\t")
            if len(cols) > 4:
                cols = [*cols[:3], " ".join(cols[3:])]
                issues["tab inside a message"] += 1
            if len(cols) != 4:
                issues["line without 4 columns (skipped)"] += 1
                continue
            register, signs, kind, text = (c.strip() for c in cols)
            if kind.lower() == "kind" and signs.lower() in ("signs", "sign"):
                issues["header line (skipped)"] += 1
                continue
            labels = frozenset() if signs in ("-", "") else frozenset(x.strip() for x in signs.split(",") if x.strip())
            if labels - known:
                issues["unknown sign id (kept: counts as missed)"] += 1
            if kind not in KINDS:
                issues["unknown kind (read as ?)"] += 1
                kind = "?"
            if text:
                part.append(Message(author, register or "?", labels, kind, text, path.name, n))
    return part, issues


def sealed(content: Content, messages: Sequence[Message], folder: Path, settings: Settings) -> str:
    """Aggregate figures on the sealed parts (every ``*.tsv`` in ``folder``): the reader trained on the whole
    repository corpus, and the route the bot takes for each message; no message is ever shown."""
    part, issues = read_sealed(folder, frozenset(s.id for s in content.danger_signs))
    if not part:
        return "sealed part: no files"
    urgent_ids = frozenset(s.id for s in content.danger_signs if s.urgent)
    reads = fold_reads(content, messages, part, rules_reading(content, part))
    overall = {"sealed": {reader: figures(reads, reader, settings, urgent_ids)["all"] for reader in READERS}}
    files = Counter(m.file for m in part)
    head = (f"{len(part)} messages in {len(files)} files ({', '.join(f'{k} {v}' for k, v in sorted(files.items()))}); "
            f"{sum(1 for m in part if m.signs)} with a sign ({sum(len(m.signs) for m in part)} pairs, "
            f"{sum(1 for m in part if m.signs & urgent_ids)} urgent), {sum(1 for m in part if not m.signs)} harmless. "
            f"Format issues: {dict(issues) or 'none'}.")
    return "\n\n".join([head, summary_table(overall, "part"),
                        breakdown(reads, settings, urgent_ids, lambda r: r.message.register, "register"),
                        "Routes (the bot's real reader, content/route_eval.py):",
                        route_eval.report(route_eval.evaluate(part), examples=False)])


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
    ap.add_argument("--choose", action="store_true")
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
    if args.choose:
        urgent_ids = frozenset(s.id for s in content.danger_signs if s.urgent)
        tried = frontier(folds(content, messages, "author"), settings, urgent_ids)
        settings = choose(tried, settings.target_false_alarms)
        print(frontier_table(tried, settings.target_false_alarms))
        path = Path(__file__).resolve().parent / "danger_model.yaml"
        doc = path.read_text(encoding="utf-8")
        for key in ("threshold", "urgent_threshold", "veto", "urgent_message", "hypothetical_head"):
            doc = re.sub(rf"(?m)^{key}: .*$", f"{key}: {getattr(settings, key)}", doc)
        path.write_text(doc, encoding="utf-8")
        print(f"chosen: veto {settings.veto}, urgent {settings.urgent_threshold}, other {settings.threshold}, "
              f"urgent head {settings.urgent_message}, hypothetical overridden at {settings.hypothetical_head}")
    if args.write or args.misses or args.choose or not args.sealed:
        text, data = report(content, messages, settings)
        print(text)
        if args.misses:
            print("\n## misses (leave-one-author-out, rules+model)")
            print("\n".join(misses(data["author"], settings)))
        if args.write:
            write_safety(text)
    if args.sealed:
        print("\n## sealed part (aggregate only)\n")
        print(sealed(content, messages, args.sealed, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
