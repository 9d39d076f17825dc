"""``python -m bot content check [--root DIR]``: validate the content files and print a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from content import ContentError
from content.check import summary
from content.loader import CONTENT_DIR

EXIT_OK = 0
EXIT_INVALID = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("content", help="check the content files (texts, SOP, instruments, protocols) and the style rules of content/STYLE.md")
    sub = parser.add_subparsers(dest="content_command", required=True)
    check = sub.add_parser("check", help="validate every content file and every text's style "
                                         "(length, lines, forbidden words, placeholders); print a summary")
    check.add_argument("--root", type=Path, default=CONTENT_DIR, help="content folder (default: the project's)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        lines = summary(args.root)
    except ContentError as exc:
        for problem in getattr(exc, "problems", None) or [exc]:
            print(f"Content check FAILED: {problem}", file=sys.stderr)
        return EXIT_INVALID
    print("\n".join(lines))
    return EXIT_OK
