"""``python -m bot analyze``: in a subprocess for the real command line, in-process (through the
same ``bot.cli.main``) for the many bad-input cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.analyze import labels as content_labels

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "analysis"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))

JSON_KEYS = {"n", "dropped", "pre", "post", "diff", "shapiro", "wilcoxon", "ttest", "effect", "recommended",
             "conclusion", "warnings"}


@pytest.fixture(scope="module")
def labels():
    return content_labels()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "bot", "analyze", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def write(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


class TestSubprocess:
    def test_json_parses_and_has_every_key(self):
        res = run_cli("--csv", str(DATA / "seed001_day1.csv"), "--json")
        assert res.returncode == 0, res.stderr
        data = json.loads(res.stdout)
        assert set(data) == JSON_KEYS
        assert data["n"] == 24 and data["dropped"] == 0
        assert data["wilcoxon"]["positive"] == {"n": 11, "mean_rank": 6.0, "sum_ranks": 66.0}
        assert data["wilcoxon"]["ties"] == 13
        assert data["wilcoxon"]["z"] == pytest.approx(-3.3166247903554)
        assert data["recommended"] == "wilcoxon"

    def test_human_output_with_chart_and_workbook(self, tmp_path, labels):
        chart, xlsx = tmp_path / "grafik.png", tmp_path / "tabel.xlsx"
        res = run_cli("--csv", str(DATA / "seed002.csv"), "--chart", str(chart), "--xlsx", str(xlsx))
        assert res.returncode == 0, res.stderr
        assert res.stdout.startswith(labels("title"))
        assert "-1,952" in res.stdout and "1,161" in res.stdout
        assert labels("cli.wrote_chart", path=str(chart)) in res.stdout
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert xlsx.read_bytes()[:2] == b"PK"

    def test_bad_file_gives_one_indonesian_line_and_exit_2(self, tmp_path, labels):
        missing = str(tmp_path / "tidak-ada.csv")
        res = run_cli("--csv", missing)
        assert res.returncode == 2
        assert res.stdout == ""
        assert res.stderr == labels("errors.file_missing", path=missing) + "\n"


class TestInProcess:
    def run(self, capsys, *args):
        code = main(["analyze", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    def assert_error(self, capsys, labels, csv_path, key, **params):
        code, out, err = self.run(capsys, "--csv", csv_path)
        assert code == 2
        assert out == ""
        assert err == labels(f"errors.{key}", **params) + "\n"
        assert len(err.strip().splitlines()) == 1

    def test_wrong_header(self, capsys, labels, tmp_path):
        path = write(tmp_path, "id,sebelum,sesudah\nP1,1,2\n")
        self.assert_error(capsys, labels, path, "wrong_header", found="id,sebelum,sesudah",
                          expected="participant,pre,post")

    def test_empty_file(self, capsys, labels, tmp_path):
        self.assert_error(capsys, labels, write(tmp_path, ""), "empty_file")
        self.assert_error(capsys, labels, write(tmp_path, "# only a comment\n\n"), "empty_file")

    def test_header_only(self, capsys, labels, tmp_path):
        self.assert_error(capsys, labels, write(tmp_path, "participant,pre,post\n"), "no_rows")

    def test_all_rows_non_numeric(self, capsys, labels, tmp_path):
        path = write(tmp_path, "participant,pre,post\nP1,satu,2\nP2,3,x\nP3,,4\n")
        self.assert_error(capsys, labels, path, "no_usable_rows", not_number=2, missing=1)

    def test_too_few_pairs(self, capsys, labels, tmp_path):
        path = write(tmp_path, "participant,pre,post\nP1,1,2\nP2,2,abc\nP3,3,4\n")
        self.assert_error(capsys, labels, path, "too_few_pairs", n=2, minimum=3, dropped=1)

    def test_duplicate_participant(self, capsys, labels, tmp_path):
        path = write(tmp_path, "participant,pre,post\nP1,1,2\nP2,2,3\nP1,3,4\n")
        self.assert_error(capsys, labels, path, "duplicate_participant", participant="P1", line=4, first_line=2)

    def test_directory_is_unreadable(self, capsys, labels, tmp_path):
        self.assert_error(capsys, labels, str(tmp_path), "file_unreadable", path=str(tmp_path))

    def test_class_columns_must_be_binary(self, capsys, labels, tmp_path):
        path = write(tmp_path, "participant,pre,post,pre_class,post_class\n"
                               "P1,1,2,kurang,cukup\nP2,2,3,cukup,lancar\nP3,3,4,lancar,lancar\n")
        self.assert_error(capsys, labels, path, "class_not_binary", values="cukup, kurang, lancar",
                          positive="lancar")

    def test_class_columns_must_come_in_pairs(self, capsys, labels, tmp_path):
        path = write(tmp_path, "participant,pre,post,pre_class\nP1,1,2,lancar\n")
        self.assert_error(capsys, labels, path, "class_columns_incomplete", columns="pre_class dan post_class")

    def test_positive_class_can_be_named(self, capsys, labels, tmp_path):
        path = write(tmp_path, "participant,pre,post,pre_class,post_class\n"
                               "P1,1,2,tidak,ya\nP2,2,3,tidak,ya\nP3,3,3,ya,ya\n")
        self.assert_error(capsys, labels, path, "class_positive_unknown", values="tidak, ya", positive="lancar")
        code, out, err = self.run(capsys, "--csv", path, "--json", "--positive-class", "ya")
        assert code == 0, err
        mc = json.loads(out)["mcnemar"]
        assert (mc["yes"], mc["no"], mc["table"]) == ("ya", "tidak", [[0, 2], [0, 1]])

    def test_unwritable_chart(self, capsys, labels, tmp_path):
        target = str(tmp_path / "no" / "such" / "dir" / "c.png")
        code, out, err = self.run(capsys, "--csv", str(DATA / "seed002.csv"), "--chart", target)
        assert code == 2
        assert err == labels("errors.output_unwritable", path=target) + "\n"

    def test_some_bad_rows_are_dropped_and_listed(self, capsys, labels, tmp_path):
        path = write(tmp_path, "participant,pre,post\nP1,1,2\nP2,2,x\nP3,3,5\nP4,,4\nP5,2,2\n,,\n")
        code, out, err = self.run(capsys, "--csv", path, "--json")
        assert code == 0, err
        data = json.loads(out)
        assert (data["n"], data["dropped"]) == (3, 2)
        code, out, _ = self.run(capsys, "--csv", path)
        assert labels("summary.dropped_item_line", line=3, participant="P2",
                      reason=labels("summary.reason.not_number")) in out
        assert labels("summary.dropped_item_line", line=5, participant="P4",
                      reason=labels("summary.reason.missing")) in out

    def test_all_zero_differences_give_nulls_and_reasons(self, capsys, labels, tmp_path):
        path = write(tmp_path, "participant,pre,post\nP1,1,1\nP2,2,2\nP3,3,3\n")
        code, out, _ = self.run(capsys, "--csv", path, "--json")
        data = json.loads(out)
        assert code == 0
        assert (data["wilcoxon"]["z"], data["wilcoxon"]["p"]) == (0.0, 1.0) and data["ttest"]["t"] is None
        assert data["shapiro"]["diff"] == {"w": None, "p": None}
        assert data["effect"] == {"r": 0.0, "r_ci95": None, "r_n": 3, "dz": None, "dz_ci95": None,
                                  "hodges_lehmann": {"estimate": 0.0, "ci95": None, "exact": False}}
        assert data["conclusion"]["direction"] == "unchanged" and data["conclusion"]["p"] == 1.0
        code, out, _ = self.run(capsys, "--csv", path)
        assert labels("wilcoxon.reason.all_ties") in out

    def test_semicolons_decimal_commas_and_comments(self, capsys, tmp_path):
        path = write(tmp_path, "# exported from a spreadsheet\nparticipant;pre;post\n"
                               "P1;7,5;9\nP2;6;8,5\n# a note\nP3;7;7\nP4;8;10\n")
        code, out, err = self.run(capsys, "--csv", path, "--json")
        assert code == 0, err
        data = json.loads(out)
        assert data["n"] == 4
        assert data["pre"]["mean"] == pytest.approx(7.125)
        assert data["wilcoxon"]["ties"] == 1

    def test_class_columns_add_mcnemar(self, capsys, labels):
        code, out, _ = self.run(capsys, "--csv", str(DATA / "seed000_lancar.csv"))
        assert code == 0
        assert labels("mcnemar.test_title") in out
        assert labels("mcnemar.before", cls="tidak_lancar") in out
        code, out, _ = self.run(capsys, "--csv", str(DATA / "seed000_lancar.csv"), "--json")
        assert json.loads(out)["mcnemar"]["table"] == [[2, 8], [0, 5]]
