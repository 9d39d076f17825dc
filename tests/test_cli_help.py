"""Every ``--help`` text of ``python -m bot`` is in one language: English, for operators."""

from __future__ import annotations

import argparse
import re

from bot.cli import build_parser

# Common Indonesian words that have no place in an English help text.
INDONESIAN = re.compile(r"(?i)\b(dan|yang|untuk|dari|atau|ini|berisi|simpan|cetak|hanya|bawaan|tanpa|semua|"
                        r"keluarga|fasilitas|membaca|seperti)\b")


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_help_text_is_english() -> None:
    found = []
    for parser in _parsers(build_parser()):
        texts = [parser.description or ""]
        for action in parser._actions:
            texts.append(action.help or "")
            if isinstance(action, argparse._SubParsersAction):
                texts.extend(choice.help or "" for choice in action._choices_actions)
        for text in texts:
            if INDONESIAN.search(text):
                found.append(f"{parser.prog}: {text}")
    assert not found, "\n".join(found)
