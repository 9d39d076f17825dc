"""Typed loader for the data files in this folder.

Every file is validated when loaded; a broken file raises :class:`ContentError` naming the file,
the key and the problem (``instruments/bayi6.yaml: items[0].criterion: ...``).

API (all objects are frozen dataclasses; lists are tuples, dicts are read-only mappings)::

    from content import get_content, load_content, ContentError
    c = get_content()                      # loaded and validated once per process (cached)
    c.text("onboarding.welcome")           # sentence by dotted key; first part = file in texts/
    c.text("reminders.massage_ibu", nama="Siti", hari=1, jam="07:00")  # exactly the placeholders used
    c.has_text(key) -> bool

    c.sop.phases           # Phase(id, title, steps); ids: pra_interaksi, orientasi, kerja, terminasi
    c.sop.steps            # all Step(id, text, image: Path | None, caption, seconds, source, note,
                           #          session_timed) in order; the session-long step is timed for the
    c.sop_for(protocol)    # default protocol; sop_for() times it for another protocol (or its id)
    c.safety_questions     # SafetyQuestion(id, text, stop_text, source, note, danger_sign); "yes" stops

    c.instruments["bayi6"] # Instrument(id, version, title, description, items, classifications,
                           #            source, note, higher_is_better, min_total, max_total)
        .score(answers: {item_id: value}, day=None) -> int     # day= needed when .day_dependent
        .classify(total) -> Classification(key, label, good, min, max)
        .danger_signs(answers) -> [sign id]
        .item(item_id) -> Item(id, text, answer_type "yesno"|"number"|"choice", min, max, unit,
                              example, choices: (Choice(value, label, score),), group, source, note)
            .score(value, day=None) -> int     .danger_sign(value) -> sign id | None
            .is_valid(value) -> bool           # yesno: True/False; number: int; choice: choice value

    c.danger_signs         # DangerSign(id, who "baby"|"mother", text, urgent, advice, patterns, source,
                           #            on_the_way, private, crisis)
    c.danger_sign(id)      # one sign by id
    c.match_danger_signs(free_text) -> [DangerSign]   # urgent first; whose sign, negation, numbers
    c.read_message(free_text) -> MessageReading(signs, kind 'danger'|'health'|'social'|'other',
                                 hypothetical, scores, mentioned)   # content/reading.py
    c.warm_reader()        # load or train the learned reader now (call at start-up)

    c.education[id]        # EducationMessage(id, day, audience, title, text, source)
    c.protocols[id]        # Protocol(id, title, description, instrument, performer, days,
    c.default_protocol     #   sessions_per_day, times | None, session_minutes, measurements:
                           #   (Measurement(occasion, day, slot),), education: (EducationSlot(day,
                           #   session, education_id),), source, session_seconds, last_day)
    c.lexicon              # Lexicon(yes_words, no_words, negation_words, number_words, units, fillers)
        .parse_yesno(text) -> bool | None      .parse_number(text) -> int | None
    c.sources[id]          # Source(id, citation, file, url, authoritative)
    c.guide                # Guide(cards: (Card(id, title, text, image, animation, steps, source),),
                           #       reminder_text, reminder_image, caesarean_text, pacing.plan(seconds),
                           #       animation: Path, voice_for(minutes) -> Path | None)

Day numbering everywhere: the birth day is day 0, day 1 is the day after birth.
"""

from __future__ import annotations

import hashlib
import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from content import danger_model
from content.danger import DangerSign, Language, match_signs
from content.danger_load import known_words, parse_danger_signs, parse_language, read_lexicon
from content.day_norms import DayNorms, parse_day_norms
from content.education import EducationMessage, parse_education
from content.errors import ContentError
from content.guide import Guide, parse_guide
from content.instruments import Instrument, parse_instrument
from content.lexicon import Lexicon, parse_lexicon
from content.protocols import Protocol, parse_protocol
from content.reading import MessageKinds, MessageReading, normalizer, parse_message_kinds, read
from content.schema import Node, display_name, load_yaml
from content.sop import SafetyQuestion, Sop, parse_safety, parse_sop
from content.sources import Source, parse_sources

log = logging.getLogger(__name__)

CONTENT_DIR = Path(__file__).resolve().parent
DEFAULT_PROTOCOL = "default"

__all__ = ["CONTENT_DIR", "Content", "ContentError", "get_content", "load_content", "placeholders"]


def placeholders(template: str) -> set[str]:
    """Named placeholders used in a template, e.g. {"nama"} for "Halo {nama}"."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(name)
    return names


def _flatten(data: object, prefix: str, file: str, out: dict[str, str]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise ContentError(file, f"{prefix}{key}", "keys must be text")
            _flatten(value, f"{prefix}{key}.", file, out)
    elif isinstance(data, str):
        key = prefix[:-1]
        if not data.strip():
            raise ContentError(file, key, "text is empty")
        try:
            names = placeholders(data)
        except ValueError as exc:
            raise ContentError(file, key, f"bad placeholder syntax ({exc})") from None
        if "" in names:
            raise ContentError(file, key, "placeholders must be named, e.g. {nama}")
        for name in names:
            if not name.isidentifier():
                raise ContentError(file, key, f"placeholder {{{name}}} must be a plain name, e.g. {{nama}}")
        out[key] = data
    else:
        raise ContentError(file, prefix[:-1] or "(top)", f"expected text, found {type(data).__name__}")


def load_texts(texts_dir: Path, root: Path | None = None) -> dict[str, str]:
    """All sentences by dotted key; the file stem is the first part of the key."""
    texts: dict[str, str] = {}
    for path in sorted(texts_dir.glob("*.yaml")):
        name = display_name(path, root)
        data = load_yaml(path, root)
        if not isinstance(data, dict):
            raise ContentError(name, "(top)", "expected a mapping of keys to sentences")
        _flatten(data, f"{path.stem}.", name, texts)
    return texts


@dataclass(frozen=True, eq=False)
class Content:
    """The loaded content. Sentences are looked up by key with :meth:`text`."""

    texts: Mapping[str, str] = field(default_factory=dict)
    root: Path = CONTENT_DIR
    sources: Mapping[str, Source] = field(default_factory=dict)
    sop: Sop = Sop(())
    safety_questions: tuple[SafetyQuestion, ...] = ()
    instruments: Mapping[str, Instrument] = field(default_factory=dict)
    danger_signs: tuple[DangerSign, ...] = ()
    education: Mapping[str, EducationMessage] = field(default_factory=dict)
    protocols: Mapping[str, Protocol] = field(default_factory=dict)
    lexicon: Lexicon | None = None
    guide: Guide | None = None  # the cards, reminder and pacing of guide.yaml
    danger_language: Language | None = None
    day_norms: DayNorms | None = None
    message_kinds: MessageKinds | None = None
    rules_digest: str = ""  # the reading rules' files, part of the learned reader's cache key

    def text(self, key: str, /, **params: object) -> str:
        """The sentence for ``key`` with its named placeholders filled.

        The caller must give exactly the placeholders the sentence uses; anything else is a
        programming error and raises :class:`ContentError`.
        """
        try:
            template = self.texts[key]
        except KeyError:
            raise ContentError("texts", key, "no such text") from None
        wanted = placeholders(template)
        given = set(params)
        if wanted != given:
            raise ContentError(
                "texts",
                key,
                f"placeholders {sorted(wanted)} but caller gave {sorted(given)}",
            )
        return template.format(**params) if wanted else template

    def has_text(self, key: str) -> bool:
        return key in self.texts

    @property
    def default_protocol(self) -> Protocol:
        return self.protocols[DEFAULT_PROTOCOL]

    def sop_for(self, protocol: Protocol | str) -> Sop:
        """The guide with the session-long step timed for ``protocol`` (an object or an id)."""
        p = self.protocols[protocol] if isinstance(protocol, str) else protocol
        return self.sop.timed_for(p.session_seconds)

    @property
    def model_sign_ids(self) -> list[str]:
        """The signs the learned reader has a column for: every sign typed text may raise, never an
        answer-only one (the safety check's answer; its corpus labels teach the whole-message heads only)."""
        return [s.id for s in self.danger_signs if s.patterns]

    def danger_sign(self, sign_id: str) -> DangerSign:
        for s in self.danger_signs:
            if s.id == sign_id:
                return s
        raise KeyError(sign_id)

    def match_danger_signs(self, free_text: str) -> list[DangerSign]:
        """Danger signs named in a free-text message (rules: danger_language.yaml, danger_signs.yaml)."""
        if self.danger_language is None:
            return []
        return match_signs(self.danger_signs, free_text, self.danger_language)

    def _reader_model(self) -> danger_model.DangerModel:
        return danger_model.cached_model(normalizer(self.danger_language), self.rules_digest, self.model_sign_ids,
                                         {s.id for s in self.danger_signs if s.urgent})

    def warm_reader(self) -> None:
        """Load (or train, a few seconds) the learned reader now, so no family message waits for it."""
        if self.danger_language is not None and danger_model.enabled():
            self._reader_model()

    def read_message(self, free_text: str) -> MessageReading:
        """The danger signs a message reports now, its kind and whether it is hypothetical (content/reading.py)."""
        if self.danger_language is None or self.message_kinds is None:
            return MessageReading((), "other")
        model = None
        if danger_model.enabled():
            try:
                model = self._reader_model()
            except Exception:  # never lose a message to the model: the rules alone read it (exact hits stand)
                log.exception("the learned reader is unavailable; reading with the rules alone")
        return read(self.danger_signs, self.danger_language, self.message_kinds, free_text, model)


def _node(path: Path, root: Path) -> Node:
    return Node(load_yaml(path, root), display_name(path, root))


def _by_file(folder: Path, root: Path, parse, what: str) -> dict:
    out = {}
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise ContentError(display_name(folder, root), "(folder)", f"no {what} files found")
    for path in paths:
        Node(path.stem, display_name(path, root), "(file name)").ident()
        out[path.stem] = parse(_node(path, root), path.stem)
    return out


def load_content(root: Path = CONTENT_DIR) -> Content:
    """Load and validate every content file under ``root``."""
    root = Path(root)
    sources = parse_sources(_node(root / "sources.yaml", root))
    sop = parse_sop(_node(root / "sop.yaml", root), sources, root / "images")
    safety = parse_safety(_node(root / "safety.yaml", root), sources)
    language = parse_language(_node(root / "danger_language.yaml", root))
    signs = parse_danger_signs(_node(root / "danger_signs.yaml", root), sources, language)
    object.__setattr__(language, "vocabulary", known_words(language, signs))
    object.__setattr__(language, "spelling", {**read_lexicon(root / "danger_lexicon.tsv", language),
                                              **language.spelling})
    message_kinds = parse_message_kinds(_node(root / "message_kinds.yaml", root), language)
    day_norms = parse_day_norms(_node(root / "day_norms.yaml", root), sources)
    education = parse_education(_node(root / "education.yaml", root), sources)
    lexicon = parse_lexicon(_node(root / "lexicon.yaml", root))
    instruments = _by_file(root / "instruments", root,
                           lambda n, stem: parse_instrument(n, sources, stem), "instrument")
    protocols = _by_file(root / "protocols", root,
                         lambda n, stem: parse_protocol(n, sources, stem), "protocol")
    texts = load_texts(root / "texts", root)
    guide = parse_guide(_node(root / "guide.yaml", root), sop, sources, root / "images", root / "media")

    _cross_check(root, sop, safety, signs, education, instruments, protocols)
    for note in day_norms.notes:
        if note.text not in texts:
            raise ContentError("day_norms.yaml", note.item, f"no text {note.text!r} in texts/")
    for inst_id, norm in day_norms.instruments.items():
        inst = instruments.get(inst_id)
        if inst is None:
            raise ContentError("day_norms.yaml", inst_id, "no such instrument")
        by_id = {i.id: i for i in inst.items}
        if {n.item for n in norm.items} != set(by_id):
            raise ContentError("day_norms.yaml", inst_id, "give a day norm for every item of the instrument")
        for n in norm.items:
            choices = {str(c.value) for c in by_id[n.item].choices or ()}
            for values in n.values_by_day.values():
                if not set(values) <= choices:
                    raise ContentError("day_norms.yaml", n.item, f"{sorted(set(values) - choices)} are not its answers")
    if DEFAULT_PROTOCOL not in protocols:
        raise ContentError("protocols/", DEFAULT_PROTOCOL, "the default protocol file default.yaml is missing")
    default = protocols[DEFAULT_PROTOCOL]
    return Content(
        texts=MappingProxyType(texts),
        root=root,
        sources=MappingProxyType(sources),
        sop=sop.timed_for(default.session_seconds),
        safety_questions=safety,
        instruments=MappingProxyType(instruments),
        danger_signs=signs,
        education=MappingProxyType(education),
        protocols=MappingProxyType(protocols),
        lexicon=lexicon,
        guide=guide,
        danger_language=language,
        day_norms=day_norms,
        message_kinds=message_kinds,
        rules_digest=hashlib.sha256((root / "danger_language.yaml").read_bytes()
                                    + (root / "danger_lexicon.tsv").read_bytes()).hexdigest()[:16],
    )


def _cross_check(root, sop, safety, signs, education, instruments, protocols) -> None:
    """References between files: danger signs, instruments and education ids must exist."""
    sign_ids = {s.id for s in signs}
    for i, q in enumerate(safety):
        if q.danger_sign and q.danger_sign not in sign_ids:
            raise ContentError("safety.yaml", f"questions[{i}].danger_sign", f"unknown danger sign {q.danger_sign!r}")
    for inst in instruments.values():
        file = f"instruments/{inst.id}.yaml"
        for n, item in enumerate(inst.items):
            refs = [c.danger_sign for c in item.choices] + [r.sign for r in item.danger_rules]
            for ref in refs:
                if ref and ref not in sign_ids:
                    raise ContentError(file, f"items[{n}] ({item.id})", f"unknown danger sign {ref!r}")
    for p in protocols.values():
        file = f"protocols/{p.id}.yaml"
        if p.instrument not in instruments:
            raise ContentError(file, "instrument", f"unknown instrument {p.instrument!r}")
        inst = instruments[p.instrument]
        for n, slot in enumerate(p.education):
            if slot.education_id not in education:
                raise ContentError(file, f"education[{n}].id", f"unknown education message {slot.education_id!r}")
        if inst.day_dependent and any(m.day < 1 for m in p.measurements):
            raise ContentError(file, "measurements", f"{inst.id} is scored by postpartum day; measure on day 1 or later")


@lru_cache(maxsize=1)
def get_content() -> Content:
    """The project's content, loaded once per process."""
    return load_content()
