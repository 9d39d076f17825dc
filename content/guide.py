"""The guide as the performer meets it (``guide.yaml``): six cards folding the SOP steps, a one-screen
reminder for later sessions, the caesarean position note, and the rhythm of the hands-free timing.

Checked against the SOP: every step is on exactly one card or listed in ``not_on_cards`` with a reason;
a card's sources are the union of its steps' sources. ``{menit}`` is the only placeholder allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from content.schema import Node, unique_ids
from content.sop import Sop, check_image
from content.sources import Source, read_source

ANIMATION_FILE = "gerakan.mp4"
MAX_ANIMATION_BYTES = 300 * 1024
ALLOWED_PLACEHOLDERS = {"menit"}
CUE_IDS = ("atas", "turun", "turun_lagi")


@dataclass(frozen=True)
class Card:
    id: str
    title: str
    text: str  # may contain {menit}
    image: Path | None
    animation: bool
    steps: tuple[str, ...]
    source: tuple[str, ...]
    # The pictures of the card's SOP steps other than its own picture, with the step's caption, sent before
    # it (the "titik mulai" card shows the fist, kepalan.png, then where the thumbs go).
    lead_images: tuple[tuple[Path, str], ...] = ()


@dataclass(frozen=True)
class Pacing:
    pass_seconds: int
    cues: tuple[str, ...]

    def plan(self, session_seconds: int) -> list[tuple[int, str, int]]:
        """(offset seconds, cue id, pass number from 1) of every cue, then ``(session_seconds, "end", n)``.

        One pass down and back up per ``pass_seconds``; the cues of a pass are spread evenly over it.
        The first cue (offset 0) is the start message itself.
        """
        passes = max(1, round(session_seconds / self.pass_seconds))
        length = session_seconds / passes
        out = []
        for p in range(passes):
            for i, cue in enumerate(self.cues):
                out.append((int(round(p * length + i * length / len(self.cues))), cue, p + 1))
        out.append((session_seconds, "end", passes))
        return out


@dataclass(frozen=True)
class Guide:
    cards: tuple[Card, ...]
    reminder_text: str
    reminder_image: Path | None
    caesarean_text: str
    caesarean_source: tuple[str, ...]
    pacing: Pacing
    animation: Path | None
    media_dir: Path

    def voice_for(self, minutes: int) -> Path | None:
        path = self.media_dir / f"irama_{minutes}menit.ogg"
        return path if path.is_file() else None


def _text(node: Node) -> str:
    import string

    text = node.str()
    names = {n for _, n, _, _ in string.Formatter().parse(text) if n is not None}
    if not names <= ALLOWED_PLACEHOLDERS:
        raise node.error(f"only {{menit}} may be used here, found {sorted(names - ALLOWED_PLACEHOLDERS)}")
    return text


def parse_guide(root: Node, sop: Sop, sources: dict[str, Source], images_dir: Path, media_dir: Path) -> Guide:
    root.mapping(required={"cards", "not_on_cards", "reminder", "caesarean", "pacing"})
    steps = {s.id: s for s in sop.steps}
    seen: dict[str, str] = {}
    cards = []
    nodes = root.get("cards").list(min_len=1)
    for node in nodes:
        node.mapping(allowed={"image", "animation"}, required={"id", "title", "text", "steps"})
        card_id = node.get("id").ident()
        step_ids = node.get("steps").str_list(min_len=1)
        for sid in step_ids:
            if sid not in steps:
                raise node.error(f"unknown SOP step {sid!r}", f"{node.key}.steps")
            if sid in seen:
                raise node.error(f"step {sid!r} is already on card {seen[sid]!r}", f"{node.key}.steps")
            seen[sid] = card_id
        source = tuple(dict.fromkeys(src for sid in step_ids for src in steps[sid].source))
        image = check_image(node.get("image"), images_dir) if node.has("image") else None
        lead = tuple(dict.fromkeys(
            (steps[sid].image, steps[sid].caption or "") for sid in step_ids
            if steps[sid].image is not None and steps[sid].image != image))
        cards.append(Card(card_id, node.get("title").str(), _text(node.get("text")), image,
                          node.get("animation").bool() if node.has("animation") else False, step_ids, source,
                          lead))
    unique_ids([(c.id, n) for c, n in zip(cards, nodes, strict=True)], "card")
    skipped = root.get("not_on_cards").mapping()
    for sid, reason in skipped.items():
        if sid not in steps:
            raise skipped.error(f"unknown SOP step {sid!r}", f"not_on_cards.{sid}")
        if sid in seen:
            raise skipped.error(f"step {sid!r} is on card {seen[sid]!r}", f"not_on_cards.{sid}")
        reason.str()
    missing = [sid for sid in steps if sid not in seen and not skipped.has(sid)]
    if missing:
        raise root.error(f"SOP steps on no card: {', '.join(missing)}", "cards")
    rem = root.get("reminder").mapping(allowed={"image"}, required={"text", "source"})
    read_source(rem, sources)
    cae = root.get("caesarean").mapping(allowed={"note"}, required={"text", "source"})
    cae_source, _ = read_source(cae, sources)
    pac = root.get("pacing").mapping(allowed={"note"}, required={"pass_seconds", "cues", "source"})
    read_source(pac, sources)
    cues = pac.get("cues").str_list(min_len=1)
    for cue in cues:
        if cue not in CUE_IDS:
            raise pac.error(f"unknown cue {cue!r} (known: {', '.join(CUE_IDS)})", "pacing.cues")
    animation = media_dir / ANIMATION_FILE
    if any(c.animation for c in cards):
        if not animation.is_file():
            raise root.error(f"media/{ANIMATION_FILE} is missing (python -m content.draw_media)", "cards")
        if animation.stat().st_size >= MAX_ANIMATION_BYTES:
            raise root.error(f"media/{ANIMATION_FILE} is {animation.stat().st_size // 1024} KB; keep it under "
                             f"{MAX_ANIMATION_BYTES // 1024} KB", "cards")
    return Guide(
        cards=tuple(cards),
        reminder_text=_text(rem.get("text")),
        reminder_image=check_image(rem.get("image"), images_dir) if rem.has("image") else None,
        caesarean_text=cae.get("text").str(),
        caesarean_source=cae_source,
        pacing=Pacing(pac.get("pass_seconds").int(min_value=10, max_value=600), cues),
        animation=animation if animation.is_file() else None,
        media_dir=media_dir,
    )
