"""content/STYLE.md as far as a program can check it, over every text in content/ (texts added by anyone
are checked here after every merge), and the ``content check`` command failing on a violation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from content import load_content
from content.loader import CONTENT_DIR
from content.style import MAX_CHARS, check_text, measured_length, style_problems, user_texts

REPO = Path(__file__).resolve().parents[1]


def test_every_text_in_content_follows_the_style_guide() -> None:
    problems = style_problems(load_content())
    assert not problems, "\n".join(str(p) for p in problems)


def test_every_kind_of_content_is_checked() -> None:
    files = {file.split("/")[0] for file, *_ in user_texts(load_content())}
    assert {"texts", "sop.yaml", "safety.yaml", "danger_signs.yaml", "education.yaml", "instruments",
            "protocols", "guide.yaml"} <= files


@pytest.mark.parametrize("text", [
    "Tanda bahaya: bengkak, sakit kepala berat (pre-eklamsia).",  # a hyphenated word is one word
    "Pandangan kabur? Segera ke puskesmas.", "Presiden", "Kandang", "postur tubuh", "Andalan keluarga",
    "Hari ke-1 adalah sehari setelah hari bayi lahir.", "Pijat hari ke-10", "Ceklis {pre} dan {post}",
])
def test_ordinary_indonesian_is_not_flagged(text: str) -> None:
    assert check_text("texts/x.yaml", "x.k", text, templates=True) == []


@pytest.mark.parametrize(("text", "word"), [
    ("Terima kasih, Anda hebat.", "Anda"), ("anda", "Anda"), ("ceklis pre ✅ post —", "pre"),
    ("Ceklis post", "post"), ("refleks let-down", "let-down"), ("refleks letdown", "let-down"),
    ("hari ke-0 setelah lahir", "hari ke-0"), ("Hari ke 0", "hari ke-0"),
])
def test_forbidden_words_are_found(text: str, word: str) -> None:
    problems = check_text("texts/x.yaml", "x.k", text, templates=True)
    assert [p.problem for p in problems if word in p.problem], problems


def test_column_names_are_allowed_only_in_the_researchers_texts() -> None:
    text = "Kolom participant,pre,post"
    assert check_text("texts/export.yaml", "export.k", text, templates=True, column_names=True) == []
    assert check_text("texts/menu.yaml", "menu.k", text, templates=True)
    assert check_text("texts/export.yaml", "export.k", "Anda", templates=True, column_names=True)


def test_length_lines_and_placeholders() -> None:
    assert measured_length("Halo {nama}") == 5 + 10
    [long] = check_text("texts/x.yaml", "x.k", "a" * (MAX_CHARS + 1), templates=True)
    assert "characters" in long.problem
    [lines] = check_text("texts/x.yaml", "x.k", "\n".join(["baris"] * 11), templates=True)
    assert "11 lines" in lines.problem
    assert check_text("texts/x.yaml", "x.k", "\n\n".join(["baris"] * 10), templates=True) == []  # empty lines
    [bad] = check_text("texts/x.yaml", "x.k", "Halo {Nama}", templates=True)
    assert "plain lowercase" in bad.problem
    [unfilled] = check_text("sop.yaml", "s.text", "Pijat {menit} menit", templates=False)
    assert "not filled" in unfilled.problem
    assert check_text("guide.yaml", "c.text", "Pijat {menit} menit", templates=False, allowed={"menit"}) == []


def test_the_command_fails_on_anda_and_on_700_characters(tmp_path: Path) -> None:
    pytest.importorskip("bot.cli")
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (root / "texts" / "baru.yaml").write_text(
        'sapa: "Terima kasih, Anda sudah memijat."\npanjang: "' + "kata " * 140 + 'akhir"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot", "content", "check", "--root", str(root)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "texts/baru.yaml: baru.sapa: forbidden word “Anda”" in result.stderr
    assert "texts/baru.yaml: baru.panjang: 705 characters" in result.stderr
