"""WhatsApp templates in content/: the shipped file passes, every broken limit is reported, parameters are
sanitized, and ``python -m bot content check`` lists them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from content.check import summary
from content.errors import ContentError
from content.whatsapp import (
    get_whatsapp_templates,
    load_whatsapp_templates,
    param_problem,
    parse_whatsapp_templates,
    sanitize_param,
)

CONTENT = Path(__file__).resolve().parents[1] / "content"
GOOD = {
    "category": "UTILITY", "purpose": "test",
    "body": "Bu {{1}}, sudah waktunya pijat hari ke-{{2}}.",
    "params": [{"name": "nama", "example": "Siti"}, {"name": "hari", "example": "3"}],
    "buttons": [{"id": "wa_go", "title": "Mulai panduan pijat"}],
}


def _parse(**change):
    return parse_whatsapp_templates({"language": "id", "list_button": "Pilih",
                                     "templates": {"pengingat": {**GOOD, **change}}}, "whatsapp_templates.yaml")


def test_the_shipped_templates_are_within_whatsapps_limits():
    loaded = load_whatsapp_templates(CONTENT)
    assert get_whatsapp_templates() == loaded
    assert {"pengingat_pijat_ibu", "pengingat_pijat_pendamping", "pengingat_ceklis", "balasan_bidan"} <= set(loaded.templates)
    for t in loaded.templates.values():
        assert t.language == "id" and t.category == "UTILITY"
        assert len(t.body) <= 1024 and 1 <= len(t.buttons) <= 3
        assert all(len(b.title) <= 20 for b in t.buttons)
        assert "{{" not in t.preview()
    assert _parse().templates["pengingat"].preview(("Ani", "2")) == "Bu Ani, sudah waktunya pijat hari ke-2."


@pytest.mark.parametrize(("change", "problem"), [
    ({"body": "x" * 1020 + " {{1}} {{2}} ."}, "1024"),
    ({"buttons": [{"id": "a", "title": "Ingatkan 30 menit lagi"}]}, "at most 20"),
    ({"buttons": [{"id": "a", "title": "Ya"}, {"id": "b", "title": "ya"}]}, "titles are not unique"),
    ({"buttons": [{"id": "a", "title": "Ya"}, {"id": "a", "title": "Tidak"}]}, "ids are not unique"),
    ({"buttons": [{"id": f"b{i}", "title": f"T{i}"} for i in range(4)]}, "at most 3"),
    ({"body": "Bu {{2}}, hari ke-{{1}} ya."}, "in order"),
    ({"body": "Bu {{1}}, hari ke-{{3}} ya."}, "each once"),
    ({"body": "Bu {{1}}, hari ke-{{1}} ya."}, "each once"),
    ({"body": "{{1}}, hari ke-{{2}} ya."}, "begin or end"),
    ({"body": "Bu, hari ke-{{1}} {{2}}"}, "begin or end"),
    ({"body": "Bu {{1}} hari ke-{2} ya."}, "brace"),
    ({"body": "Anda {{1}}, hari ke-{{2}} ya."}, "Anda"),
    ({"params": [{"name": "nama", "example": "Siti"}]}, "1 declared"),
    ({"params": [{"name": "nama", "example": "Siti\nA"}, {"name": "hari", "example": "3"}]}, "newline"),
])
def test_each_broken_limit_is_reported_with_the_template_name(change, problem):
    with pytest.raises(ContentError) as raised:
        _parse(**change)
    assert problem in str(raised.value) and "templates.pengingat" in str(raised.value)


def test_a_bad_name_language_or_category_is_refused():
    with pytest.raises(ContentError):
        parse_whatsapp_templates({"language": "id", "list_button": "Pilih", "templates": {"Pengingat-1": GOOD}}, "f")
    with pytest.raises(ContentError):
        parse_whatsapp_templates({"language": "en", "list_button": "Pilih", "templates": {"p": GOOD}}, "f")
    with pytest.raises(ContentError):
        _parse(category="PROMO")


def test_parameters_are_sanitized_for_whatsapp():
    assert sanitize_param("Siti\nAminah\t binti   Ahmad     ") == "Siti Aminah binti Ahmad"
    assert sanitize_param("   \n") == "-"
    assert param_problem(sanitize_param("a\n\n\tb" + " " * 9 + "c")) is None
    assert param_problem("a     b") and param_problem("a\nb") and param_problem("")
    t = _parse().templates["pengingat"]
    assert t.render({"nama": "Siti\n\nAminah", "hari": 2}) == ("Siti Aminah", "2")
    with pytest.raises(ValueError):
        t.render({"nama": "Siti"})


def test_content_check_lists_the_templates_and_fails_on_a_broken_one(tmp_path):
    assert any(line.startswith("WhatsApp templates: 6 (") for line in summary(CONTENT))
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = yaml.safe_load((root / "whatsapp_templates.yaml").read_text(encoding="utf-8"))
    data["templates"]["pengingat_ceklis"]["buttons"][0]["title"] = "Isi ceklis sekarang juga ya"
    (root / "whatsapp_templates.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match="pengingat_ceklis.*27 characters"):
        summary(root)
