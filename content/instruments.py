"""Measurement instruments (``instruments/<id>.yaml``): versioned, so one piece of code runs any of them.

An instrument has items; each item has an answer type (``yesno``, ``number`` or ``choice``), a
valid range, and a score for every possible answer. The total is the sum of the item scores and
is mapped to a classification (e.g. ``lancar`` / ``tidak_lancar``) by bands that cover every
possible total exactly once.

Some criteria depend on the baby's postpartum day (normal wet-nappy counts rise from day to day);
such items need ``day=`` when scoring and raise :class:`ValueError` without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from content.schema import Node, unique_ids
from content.sources import Source, read_source

ANSWER_TYPES = ("yesno", "number", "choice")
YES_LABEL = "Ya"
NO_LABEL = "Tidak"

Answer = bool | int | str


@dataclass(frozen=True)
class Choice:
    value: str | bool  # a choice id, or True/False for yes/no items
    label: str
    score: int
    score_by_day: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    danger_sign: str | None = None

    def score_on(self, day: int | None) -> int:
        if self.score_by_day:
            if day is None:
                raise ValueError(f"choice {self.value!r} is scored by postpartum day; pass day=")
            return self.score_by_day.get(day, self.score)
        return self.score

    @property
    def possible_scores(self) -> set[int]:
        return {self.score, *self.score_by_day.values()}


@dataclass(frozen=True)
class Bounds:
    at_least: int | None = None
    at_most: int | None = None

    def holds(self, value: float) -> bool:
        return (self.at_least is None or value >= self.at_least) and (
            self.at_most is None or value <= self.at_most
        )

    def describe(self, unit: str | None = None) -> str:
        u = f" {unit}" if unit else ""
        if self.at_least is not None and self.at_most is not None:
            return f"{self.at_least}–{self.at_most}{u}"
        if self.at_least is not None:
            return f"≥ {self.at_least}{u}"
        return f"≤ {self.at_most}{u}"


@dataclass(frozen=True)
class Criterion:
    """When a number answer scores 1 (otherwise 0); ``by_day`` overrides ``default`` on listed days."""

    default: Bounds
    by_day: Mapping[int, Bounds] = field(default_factory=lambda: MappingProxyType({}))

    def bounds(self, day: int | None) -> Bounds:
        if self.by_day:
            if day is None:
                raise ValueError("this criterion depends on the postpartum day; pass day=")
            return self.by_day.get(day, self.default)
        return self.default


@dataclass(frozen=True)
class DangerRule:
    bounds: Bounds
    sign: str


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    answer_type: str  # "yesno" | "number" | "choice"
    source: tuple[str, ...]
    note: str | None = None
    group: str | None = None  # e.g. "ibu" / "bayi" in oksitosin16
    min: int | None = None  # number items: valid range
    max: int | None = None
    unit: str | None = None  # e.g. "kali", "jam"
    example: str | None = None  # e.g. "3"
    choices: tuple[Choice, ...] = ()  # yesno and choice items
    criterion: Criterion | None = None  # number items
    danger_rules: tuple[DangerRule, ...] = ()  # number items

    @property
    def day_dependent(self) -> bool:
        if self.criterion is not None:
            return bool(self.criterion.by_day)
        return any(c.score_by_day for c in self.choices)

    def labels_by_score(self, label: Callable[[Choice], str] | None = None) -> dict[int, list[str]]:
        """Each score a choice (or yes/no) answer can give, with the labels of the choices that give it, in the
        instrument's order (``label`` words a choice, its own label by default)."""
        out: dict[int, list[str]] = {}
        for c in self.choices:
            for score in sorted(c.possible_scores):
                out.setdefault(score, []).append(label(c) if label else c.label)
        return out

    def choice(self, value: Answer) -> Choice:
        for c in self.choices:
            if c.value == value and type(c.value) is type(value):
                return c
        raise ValueError(f"item {self.id}: {value!r} is not one of its answers")

    def is_valid(self, value: object) -> bool:
        if self.answer_type == "number":
            return (
                isinstance(value, int) and not isinstance(value, bool) and self.min <= value <= self.max  # type: ignore[operator]
            )
        return any(c.value == value and type(c.value) is type(value) for c in self.choices)

    def _check(self, value: object) -> None:
        if not self.is_valid(value):
            if self.answer_type == "number":
                raise ValueError(f"item {self.id}: expected a whole number {self.min}–{self.max}, got {value!r}")
            raise ValueError(f"item {self.id}: {value!r} is not one of its answers")

    def score(self, value: Answer, day: int | None = None) -> int:
        """The item score for an answer (number items: 1 if the criterion holds, else 0)."""
        self._check(value)
        if self.answer_type == "number":
            assert self.criterion is not None
            return 1 if self.criterion.bounds(day).holds(value) else 0  # type: ignore[arg-type]
        return self.choice(value).score_on(day)

    def danger_sign(self, value: Answer) -> str | None:
        """The danger sign id this answer points to, or None."""
        self._check(value)
        if self.answer_type == "number":
            for rule in self.danger_rules:
                if rule.bounds.holds(value):  # type: ignore[arg-type]
                    return rule.sign
            return None
        return self.choice(value).danger_sign

    def score_range(self) -> tuple[int, int]:
        if self.answer_type == "number":
            return 0, 1
        scores = set().union(*(c.possible_scores for c in self.choices))
        return min(scores), max(scores)


@dataclass(frozen=True)
class Classification:
    key: str  # e.g. "lancar", "tidak_lancar"
    label: str  # Indonesian label
    good: bool
    min: int  # total-score band, inclusive
    max: int


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    title: str
    description: str
    items: tuple[Item, ...]
    classifications: tuple[Classification, ...]
    source: tuple[str, ...]
    note: str | None = None
    higher_is_better: bool = True

    @property
    def min_total(self) -> int:
        return sum(i.score_range()[0] for i in self.items)

    @property
    def max_total(self) -> int:
        return sum(i.score_range()[1] for i in self.items)

    @property
    def day_dependent(self) -> bool:
        return any(i.day_dependent for i in self.items)

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def _check_answers(self, answers: Mapping[str, Answer]) -> None:
        ids = {i.id for i in self.items}
        unknown = sorted(set(answers) - ids)
        if unknown:
            raise ValueError(f"{self.id}: unknown items {unknown}")
        missing = [i.id for i in self.items if i.id not in answers]
        if missing:
            raise ValueError(f"{self.id}: unanswered items {missing}")

    def score(self, answers: Mapping[str, Answer], day: int | None = None) -> int:
        """Total score of a complete set of answers (item id -> value)."""
        self._check_answers(answers)
        return sum(i.score(answers[i.id], day) for i in self.items)

    def classify(self, total: int) -> Classification:
        for c in self.classifications:
            if c.min <= total <= c.max:
                return c
        raise ValueError(f"{self.id}: total {total} is outside {self.min_total}–{self.max_total}")

    def danger_signs(self, answers: Mapping[str, Answer]) -> list[str]:
        """Danger sign ids pointed to by the given (possibly partial) answers, in item order."""
        out: list[str] = []
        for i in self.items:
            if i.id in answers:
                sign = i.danger_sign(answers[i.id])
                if sign and sign not in out:
                    out.append(sign)
        return out


# --- parsing ----------------------------------------------------------------------------------------

def parse_instrument(root: Node, sources: dict[str, Source], expected_id: str) -> Instrument:
    root.mapping(
        allowed={"note", "higher_is_better", "scoring"},
        required={"id", "version", "title", "description", "items", "classification", "source"},
    )
    ident = root.get("id").ident()
    if ident != expected_id:
        raise root.get("id").error(f"id {ident!r} must match the file name {expected_id!r}")
    if root.has("scoring") and root.get("scoring").choice(("sum",)) != "sum":
        raise root.error("only 'sum' scoring is supported", "scoring")
    item_nodes = root.get("items").list(min_len=1)
    items = tuple(_parse_item(n, sources) for n in item_nodes)
    unique_ids([(i.id, n) for i, n in zip(items, item_nodes, strict=True)], "item")
    source, note = read_source(root, sources)
    inst = Instrument(
        id=ident,
        version=root.get("version").int(min_value=1),
        title=root.get("title").str(),
        description=root.get("description").str(),
        items=items,
        classifications=(),
        source=source,
        note=note,
        higher_is_better=root.get("higher_is_better").bool() if root.has("higher_is_better") else True,
    )
    classes = _parse_classes(root.get("classification"), inst.min_total, inst.max_total)
    return replace(inst, classifications=classes)


def _parse_bounds(node: Node, lo: int, hi: int) -> Bounds:
    node.mapping(allowed={"at_least", "at_most"})
    b = Bounds(
        at_least=node.get("at_least").int(lo, hi) if node.has("at_least") else None,
        at_most=node.get("at_most").int(lo, hi) if node.has("at_most") else None,
    )
    if b.at_least is None and b.at_most is None:
        raise node.error("give at_least and/or at_most")
    if b.at_least is not None and b.at_most is not None and b.at_least > b.at_most:
        raise node.error("at_least is greater than at_most")
    return b


def _day_map(node: Node) -> list[tuple[int, Node]]:
    if not isinstance(node.value, dict) or not node.value:
        raise node.error("expected a mapping of postpartum day -> value")
    out = []
    for day, value in node.value.items():
        if isinstance(day, bool) or not isinstance(day, int) or day < 0:
            raise node.error(f"day keys must be whole numbers ≥ 0, found {day!r}")
        out.append((day, Node(value, node.file, f"{node.key}.{day}")))
    return out


def _parse_item(node: Node, sources: dict[str, Source]) -> Item:
    node.mapping(
        allowed={"note", "group", "min", "max", "unit", "example", "choices", "criterion", "danger",
                 "danger_if", "danger_sign"},
        required={"id", "text", "answer_type", "source"},
    )
    ident = node.get("id").ident()
    answer_type = node.get("answer_type").choice(ANSWER_TYPES)
    source, note = read_source(node, sources)
    common = dict(
        id=ident, text=node.get("text").str(), answer_type=answer_type, source=source, note=note,
        group=node.get("group").ident() if node.has("group") else None,
        example=str(node.get("example").value) if node.has("example") else None,
        unit=node.get("unit").str() if node.has("unit") else None,
    )

    def forbid(*keys: str) -> None:
        for k in keys:
            if node.has(k):
                raise node.error(f"not used by {answer_type} items", f"{node.key}.{k}")

    if answer_type == "number":
        forbid("choices", "danger_if", "danger_sign")
        lo = node.get("min").int()
        hi = node.get("max").int(min_value=lo + 1)
        crit_node = node.get("criterion").mapping(allowed={"at_least", "at_most", "by_day"})
        default = _parse_bounds(Node({k: v for k, v in crit_node.value.items() if k != "by_day"},
                                     crit_node.file, crit_node.key), lo, hi)
        by_day = {}
        if crit_node.has("by_day"):
            by_day = {d: _parse_bounds(n, lo, hi) for d, n in _day_map(crit_node.get("by_day"))}
        rules = []
        if node.has("danger"):
            for rnode in node.get("danger").list(min_len=1):
                rnode.mapping(allowed={"at_least", "at_most"}, required={"sign"})
                bounds = _parse_bounds(Node({k: v for k, v in rnode.value.items() if k != "sign"},
                                            rnode.file, rnode.key), lo, hi)
                rules.append(DangerRule(bounds, rnode.get("sign").ident()))
        return Item(**common, min=lo, max=hi,
                    criterion=Criterion(default, MappingProxyType(by_day)), danger_rules=tuple(rules))

    forbid("min", "max", "criterion", "danger")
    if answer_type == "yesno":
        forbid("choices")
        danger_if = sign = None
        if node.has("danger_if") or node.has("danger_sign"):
            danger_if = node.get("danger_if").choice(("ya", "tidak"))
            sign = node.get("danger_sign").ident()
        choices = (
            Choice(True, YES_LABEL, 1, danger_sign=sign if danger_if == "ya" else None),
            Choice(False, NO_LABEL, 0, danger_sign=sign if danger_if == "tidak" else None),
        )
        return Item(**common, choices=choices)

    forbid("danger_if", "danger_sign")
    cnodes = node.get("choices").list(min_len=2)
    choices_list = []
    for cn in cnodes:
        cn.mapping(allowed={"score_by_day", "danger_sign"}, required={"value", "label", "score"})
        score = cn.get("score").int(min_value=0)
        by_day = {}
        if cn.has("score_by_day"):
            by_day = {d: n.int(min_value=0) for d, n in _day_map(cn.get("score_by_day"))}
        choices_list.append(Choice(
            value=cn.get("value").ident(),
            label=cn.get("label").str(),
            score=score,
            score_by_day=MappingProxyType(by_day),
            danger_sign=cn.get("danger_sign").ident() if cn.has("danger_sign") else None,
        ))
    unique_ids([(c.value, n) for c, n in zip(choices_list, cnodes, strict=True)], "choice")  # type: ignore[misc]
    return Item(**common, choices=tuple(choices_list))


def _parse_classes(node: Node, lo: int, hi: int) -> tuple[Classification, ...]:
    nodes = node.list(min_len=2)
    classes = []
    for n in nodes:
        n.mapping(required={"key", "label", "good", "min", "max"})
        c = Classification(
            key=n.get("key").ident(), label=n.get("label").str(), good=n.get("good").bool(),
            min=n.get("min").int(), max=n.get("max").int(),
        )
        if c.min > c.max:
            raise n.error(f"band {c.min}–{c.max} is empty")
        classes.append(c)
    unique_ids([(c.key, n) for c, n in zip(classes, nodes, strict=True)], "classification")
    for total in range(lo, hi + 1):
        hits = [c.key for c in classes if c.min <= total <= c.max]
        if not hits:
            raise node.error(f"total score {total} falls in no band (possible totals {lo}–{hi})")
        if len(hits) > 1:
            raise node.error(f"total score {total} falls in several bands: {', '.join(hits)}")
    for c, n in zip(classes, nodes, strict=True):
        if c.min < lo or c.max > hi:
            raise n.error(f"band {c.min}–{c.max} reaches outside the possible totals {lo}–{hi}")
    if not any(c.good for c in classes) or all(c.good for c in classes):
        raise node.error("at least one band must be good: true and one good: false")
    return tuple(classes)
