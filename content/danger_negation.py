"""Signs a message names only negated ("anak saya tidak lemas", "istri saya tidak demam").

The learned reader (content/danger_model.py) reads no negation: it never adds one of these signs, and its
urgent head adds nothing to a message whose only signs are negated ones (``Settings.combine``).
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from content.danger import DangerSign, Language, match_exact


def negated_signs(signs: Sequence[DangerSign], tokens: list[str], lang: Language,
                  found: Set[str] | None = None) -> set[str]:
    """Signs the message names only negated ("anak saya tidak lemas"): found once the negation words are
    taken out, not found as written (``found``, when the caller has it). The learned reader, which reads no
    negation, never adds one of them."""
    plain = [t for t in tokens if t not in lang.negations]
    if len(plain) == len(tokens):
        return set()
    if found is None:
        found = {s.id for s, _ in match_exact(signs, tokens, lang)}
    return {s.id for s, _ in match_exact([s for s in signs if s.id not in found], plain, lang)}
