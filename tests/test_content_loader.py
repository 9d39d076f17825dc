"""The loader rejects broken content with a message naming the file, the key and the problem.

Each test copies the real content folder into tmp_path, breaks one thing, and loads it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from content import ContentError, load_content
from content.check import summary
from content.loader import CONTENT_DIR


@pytest.fixture
def root(tmp_path: Path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dest


def edit(root: Path, rel: str, change: Callable[[dict], object]) -> None:
    """Change a YAML file in place (``change`` mutates the parsed data; its result is ignored)."""
    path = root / rel
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def expect_error(root: Path, file: str, key: str, problem: str) -> ContentError:
    with pytest.raises(ContentError) as info:
        load_content(root)
    err = info.value
    assert err.file == file, str(err)
    assert key in err.key, str(err)
    assert problem in err.problem, str(err)
    assert file in str(err) and problem in str(err)
    return err


def step(data: dict, phase: int, n: int) -> dict:
    return data["phases"][phase]["steps"][n]


def test_the_untouched_copy_loads(root: Path) -> None:
    c = load_content(root)
    assert c.root == root
    assert c.instruments["bayi6"].item("bak_frekuensi").min == 0


def test_yaml_syntax_error(root: Path) -> None:
    (root / "danger_signs.yaml").write_text("signs:\n  - id: [unclosed\n", encoding="utf-8")
    expect_error(root, "danger_signs.yaml", "(file)", "not valid YAML")


def test_missing_file(root: Path) -> None:
    (root / "lexicon.yaml").unlink()
    expect_error(root, "lexicon.yaml", "(file)", "file is missing")


def test_missing_required_key(root: Path) -> None:
    edit(root, "sop.yaml", lambda d: step(d, 0, 0).pop("source"))
    expect_error(root, "sop.yaml", "phases[0].steps[0].source", "missing required key")


def test_unknown_key_is_a_typo(root: Path) -> None:
    edit(root, "sop.yaml", lambda d: step(d, 1, 0).update(capton="x"))
    expect_error(root, "sop.yaml", "phases[1].steps[0]", "unknown key 'capton'")


def test_wrong_type(root: Path) -> None:
    edit(root, "instruments/bayi6.yaml", lambda d: d.update(version="satu"))
    expect_error(root, "instruments/bayi6.yaml", "version", "expected a whole number")


def test_unknown_source(root: Path) -> None:
    edit(root, "sop.yaml", lambda d: step(d, 2, 0).update(source=["seed009"]))
    expect_error(root, "sop.yaml", "phases[2].steps[0].source", "unknown source 'seed009'")


def test_derived_needs_a_note(root: Path) -> None:
    edit(root, "sop.yaml", lambda d: step(d, 0, 4).pop("note"))
    expect_error(root, "sop.yaml", "phases[0].steps[4].note", "needs a 'note:'")


def test_duplicate_item_id(root: Path) -> None:
    def dup(d: dict) -> None:
        d["items"][1]["id"] = d["items"][0]["id"]
    edit(root, "instruments/oksitosin16.yaml", dup)
    expect_error(root, "instruments/oksitosin16.yaml", "items[1]", "duplicate item id 'ibu_payudara_tegang'")


def test_duplicate_step_id_across_phases(root: Path) -> None:
    edit(root, "sop.yaml", lambda d: step(d, 3, 0).update(id=step(d, 0, 0)["id"]))
    expect_error(root, "sop.yaml", "phases[3].steps[0]", "duplicate step id 'minta_izin'")


def test_missing_image(root: Path) -> None:
    (root / "images" / "posisi.png").unlink()
    expect_error(root, "sop.yaml", "phases[1].steps[3].image", "images/posisi.png is missing")


def test_image_too_big(root: Path) -> None:
    path = root / "images" / "kepalan.png"
    path.write_bytes(path.read_bytes() + b"\0" * 60 * 1024)
    expect_error(root, "sop.yaml", "image", "keep pictures under 60 KB")


def test_image_not_png(root: Path) -> None:
    (root / "images" / "kepalan.png").write_bytes(b"GIF89a not a png")
    expect_error(root, "sop.yaml", "image", "is not a PNG file")


def test_image_needs_caption(root: Path) -> None:
    edit(root, "sop.yaml", lambda d: step(d, 2, 2).pop("caption"))
    expect_error(root, "sop.yaml", "phases[2].steps[2].caption", "needs a caption")


def test_phases_in_the_papers_order(root: Path) -> None:
    edit(root, "sop.yaml", lambda d: d["phases"].reverse())
    expect_error(root, "sop.yaml", "phases", "pra_interaksi, orientasi, kerja, terminasi")


def test_text_positional_placeholder(root: Path) -> None:
    (root / "texts" / "common.yaml").write_text('hello: "Halo {}"\n', encoding="utf-8")
    expect_error(root, "texts/common.yaml", "common.hello", "placeholders must be named")


def test_text_broken_placeholder(root: Path) -> None:
    (root / "texts" / "help.yaml").write_text('a:\n  b: "Halo {nama"\n', encoding="utf-8")
    expect_error(root, "texts/help.yaml", "help.a.b", "bad placeholder syntax")


def test_text_not_a_sentence(root: Path) -> None:
    (root / "texts" / "help.yaml").write_text("a:\n  b: 12\n", encoding="utf-8")
    expect_error(root, "texts/help.yaml", "help.a.b", "expected text")


def test_text_empty(root: Path) -> None:
    (root / "texts" / "help.yaml").write_text('a: "  "\n', encoding="utf-8")
    expect_error(root, "texts/help.yaml", "help.a", "text is empty")


def test_classification_gap(root: Path) -> None:
    edit(root, "instruments/bayi6.yaml", lambda d: d["classification"][0].update(min=5))
    expect_error(root, "instruments/bayi6.yaml", "classification", "total score 4 falls in no band")


def test_classification_overlap(root: Path) -> None:
    edit(root, "instruments/oksitosin16.yaml", lambda d: d["classification"][1].update(max=13))
    expect_error(root, "instruments/oksitosin16.yaml", "classification", "total score 13 falls in several bands")


def test_choice_without_score(root: Path) -> None:
    edit(root, "instruments/skala3.yaml", lambda d: d["items"][0]["choices"][2].pop("score"))
    expect_error(root, "instruments/skala3.yaml", "items[0].choices[2].score", "missing required key")


def test_criterion_outside_the_answer_range(root: Path) -> None:
    edit(root, "instruments/bayi6.yaml", lambda d: d["items"][5]["criterion"].update(at_most=30))
    expect_error(root, "instruments/bayi6.yaml", "items[5].criterion.at_most", "must be at most 24")


def test_unknown_answer_type(root: Path) -> None:
    edit(root, "instruments/bayi6.yaml", lambda d: d["items"][0].update(answer_type="slider"))
    expect_error(root, "instruments/bayi6.yaml", "items[0].answer_type", "'slider' is not one of")


def test_instrument_id_matches_file(root: Path) -> None:
    edit(root, "instruments/skala3.yaml", lambda d: d.update(id="skala4"))
    expect_error(root, "instruments/skala3.yaml", "id", "must match the file name 'skala3'")


def test_unknown_danger_sign_in_item(root: Path) -> None:
    edit(root, "instruments/bayi6.yaml", lambda d: d["items"][0]["danger"][0].update(sign="bayi_hilang"))
    expect_error(root, "instruments/bayi6.yaml", "items[0]", "unknown danger sign 'bayi_hilang'")


def test_unknown_danger_sign_in_safety(root: Path) -> None:
    edit(root, "safety.yaml", lambda d: d["questions"][0].update(danger_sign="ibu_hilang"))
    expect_error(root, "safety.yaml", "questions[0].danger_sign", "unknown danger sign 'ibu_hilang'")


def test_protocol_unknown_instrument(root: Path) -> None:
    edit(root, "protocols/seed003.yaml", lambda d: d.update(instrument="bayi7"))
    expect_error(root, "protocols/seed003.yaml", "instrument", "unknown instrument 'bayi7'")


def test_protocol_unknown_education(root: Path) -> None:
    edit(root, "protocols/default.yaml", lambda d: d["education"][2].update(id="edu_tidak_ada"))
    expect_error(root, "protocols/default.yaml", "education[2].id", "unknown education message 'edu_tidak_ada'")


def test_protocol_times_must_match_sessions(root: Path) -> None:
    edit(root, "protocols/seed003.yaml", lambda d: d.update(times=["07:00", "17:00"]))
    expect_error(root, "protocols/seed003.yaml", "times", "2 times given but sessions_per_day is 3")


def test_protocol_bad_time(root: Path) -> None:
    edit(root, "protocols/seed001.yaml", lambda d: d.update(times=["8:00", "16:00"]))
    expect_error(root, "protocols/seed001.yaml", "times[0]", "is not a time like 07:30")


def test_protocol_measurement_needs_a_session_that_day(root: Path) -> None:
    edit(root, "protocols/default.yaml", lambda d: d["measurements"][1].update(slot="after_last_session"))
    expect_error(root, "protocols/default.yaml", "measurements[1].slot", "needs a massage on day 4")


def test_protocol_education_on_an_idle_day(root: Path) -> None:
    edit(root, "protocols/seed003.yaml", lambda d: d["education"].append({"day": 9, "session": 1, "id": "edu_kolostrum"}))
    expect_error(root, "protocols/seed003.yaml", "education[8].day", "day 9 has no massage or measurement")


def test_default_protocol_required(root: Path) -> None:
    (root / "protocols" / "default.yaml").unlink()
    expect_error(root, "protocols/", "default", "default.yaml is missing")


def test_danger_sign_who(root: Path) -> None:
    edit(root, "danger_signs.yaml", lambda d: d["signs"][3].update(who="father"))
    expect_error(root, "danger_signs.yaml", "signs[3].who", "'father' is not one of baby, mother")


def test_lexicon_word_both_yes_and_no(root: Path) -> None:
    edit(root, "lexicon.yaml", lambda d: d["no_words"].append("iya"))
    expect_error(root, "lexicon.yaml", "yes_words", "'iya' is both a yes word and a no word")


def test_reminder_twin_placeholders_checked(root: Path) -> None:
    (root / "texts" / "reminders_ui.yaml").write_text('massage:\n  mother: "Bu {nama}, hari ke-{hari}"\n',
                                                      encoding="utf-8")
    with pytest.raises(ContentError) as info:
        summary(root)
    assert info.value.file == "texts/reminders.yaml"
    assert info.value.key == "reminders.massage.mother"
    assert "differ from reminders_ui.massage.mother" in info.value.problem
