"""``python -m bot analyze --csv FILE | --instrument ID [--facility CODE] [--json] [--chart OUT.png]
[--xlsx OUT.xlsx]``: the midwife's pre/post statistics, printed the way SPSS prints them.

``--instrument`` never pools protocols: it is the report of the one protocol version measuring with the
instrument (as ``--protocol``), or a refusal naming the protocol versions to choose from.

Reading pairs from another source (e.g. the database) only needs a new branch in :func:`run` that
builds ``(participant, pre, post)`` tuples and calls :func:`report_pairs`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from content import get_content

if TYPE_CHECKING:  # SciPy and matplotlib load only when a command really analyses
    from analysis import ClassLabels, DroppedPair, PairedReport
    from analysis.conclusion import Scale

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def labels() -> Callable[..., str]:
    """The analysis texts from content, keyed relative to ``analysis.``."""
    content = get_content()

    def text(key: str, /, **params: object) -> str:
        return content.text(f"analysis.{key}", **params)

    return text


def fail(code: str, **params: object) -> int:
    """One Indonesian line on stderr; exit code 2."""
    message = labels()(f"errors.{code}", **params)
    print(" ".join(message.split()), file=sys.stderr)
    return EXIT_BAD_INPUT


def report_pairs(
    pairs: Iterable[tuple[object, object, object]],
    args: argparse.Namespace,
    *,
    dropped: Sequence[DroppedPair] = (),
    classes: Sequence[tuple[bool | None, bool | None]] | None = None,
    class_labels: ClassLabels | None = None,
    scale: Scale | None = None,
) -> int:
    """Analyse the pairs and print/write what ``args`` asks for; returns the exit code."""
    from analysis import AnalysisError, analyze_pairs

    try:
        report = analyze_pairs(pairs, dropped=dropped, classes=classes, class_labels=class_labels,
                               scale=scale or csv_scale(args))
    except AnalysisError as exc:
        return fail(exc.code, **exc.params)
    return output(report, args)


def csv_scale(args: argparse.Namespace) -> Scale:
    """A CSV says nothing about its score: ``--lower-is-better`` and ``--scale`` tell it."""
    from analysis.conclusion import Scale

    kind = getattr(args, "scale", None)
    return Scale(higher_is_better=not getattr(args, "lower_is_better", False),
                 ordinal=None if kind in (None, "auto") else kind == "ordinal",
                 minimum=getattr(args, "min", None), maximum=getattr(args, "max", None))


def output(report: PairedReport, args: argparse.Namespace) -> int:
    from analysis import draw_chart, dumps, render_text, write_xlsx

    words = labels()
    notices = []
    for option, writer, notice in (("chart", draw_chart, "cli.wrote_chart"), ("xlsx", write_xlsx, "cli.wrote_xlsx")):
        target = getattr(args, option, None)
        if not target:
            continue
        try:
            writer(report, target, words)
        except OSError:
            return fail("output_unwritable", path=target)
        notices.append(words(notice, path=target))
    if args.json:
        print(dumps(report, words))
        for line in notices:  # stdout stays one JSON object
            print(line, file=sys.stderr)
    else:
        sys.stdout.write(render_text(report, words))
        for line in notices:
            print(line)
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    if getattr(args, "protocol", None):
        return run_protocol(args)
    if args.instrument:
        return run_database(args)
    if args.facility:
        return _fail_line(get_content().text("export.cli.facility_needs_instrument"))
    from analysis import AnalysisError, read_pairs_csv
    from analysis.csvinput import DEFAULT_POSITIVE

    try:
        data = read_pairs_csv(args.csv, positive=args.positive_class or DEFAULT_POSITIVE)
    except AnalysisError as exc:
        return fail(exc.code, **exc.params)
    return report_pairs(data.pairs, args, dropped=data.dropped, classes=data.classes,
                        class_labels=data.class_labels)


def _fail_line(message: str) -> int:
    print(" ".join(message.split()), file=sys.stderr)
    return EXIT_BAD_INPUT


def run_database(args: argparse.Namespace) -> int:
    """``--instrument``: never pooled over protocols. With one protocol version measuring with it, that protocol's
    report (exactly ``--protocol P --version V``); with several, a refusal naming them."""
    from bot.flows.study_data import StudyDataError
    from bot.flows.study_instrument import database_instrument

    try:
        protocol_id, version = database_instrument(args.instrument, args.facility)
    except StudyDataError as exc:
        return _fail_line(str(exc))
    args.protocol, args.version = protocol_id, version
    return run_protocol(args)


def run_protocol(args: argparse.Namespace) -> int:
    """The per-protocol study from the database: flow, every protocol pair, frequencies, Table 1."""
    from bot.flows import study_report
    from bot.flows.protocol_study import analyse_study, database_study
    from bot.flows.study_data import StudyDataError

    try:
        found = database_study(args.protocol, args.facility, version=args.version)
    except StudyDataError as exc:
        return _fail_line(str(exc))
    reports = analyse_study(found)
    content = get_content()
    if args.json:
        print(study_report.dumps(found, reports, labels()))
    else:
        sys.stdout.write(study_report.render_text(content.text, found, reports,
                                                    args.facility or content.text("study.all_facilities")))
    primary = reports[0][1] if reports else None
    if primary is not None and (args.chart or args.xlsx):
        args.json = True  # the notices go to stderr; stdout already holds the report
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            code = output(primary, args)
        if code == EXIT_OK and args.xlsx:  # the study report and adherence sheets first, as in /analisis
            study_report.add_study_sheets(args.xlsx, content.text, found, reports,
                                          args.facility or content.text("study.all_facilities"))
        return code
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    # --help is for operators and researchers: English, like every CLI help text (the results stay Indonesian).
    parser = sub.add_parser(
        "analyze", help="pre/post statistics from a CSV file or the database, printed like SPSS",
        description="Reads a CSV with the columns participant,pre,post (optionally pre_class,post_class), "
                    "or the database's pairs for --instrument, and prints SPSS-like tables (in Indonesian).")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", metavar="FILE", help="a CSV file with one row per participant")
    source.add_argument("--instrument", metavar="ID",
                        help="read the pre/post pairs of this instrument from the database (e.g. bayi6)")
    source.add_argument("--protocol", metavar="P",
                        help="from the database: one protocol's own pairs (e.g. seed001: day 1, 2, 3), its flow, "
                             "frequencies and Table 1; research-consenting families, on-time measurements only")
    parser.add_argument("--version", type=int, default=None,
                        help="with --protocol: the protocol version (default: the newest with families)")
    parser.add_argument("--facility", metavar="CODE",
                        help="only the families of this facility (code or name); default: all facilities")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--chart", metavar="OUT.png", help="save the pre/post chart as a PNG file")
    parser.add_argument("--xlsx", metavar="OUT.xlsx", help="save the tables as an Excel (XLSX) file")
    parser.add_argument("--positive-class", default=None, metavar="CLASS",
                        help="the class value counted as positive in pre_class/post_class (default: lancar)")
    parser.add_argument("--lower-is-better", action="store_true",
                        help="for --csv: a lower score is better (e.g. skala3: 0 = lancar); sets the direction")
    parser.add_argument("--min", type=float, default=None, metavar="LOWEST",
                        help="for --csv: the lowest possible score (e.g. 0); scores below it are refused and every "
                             "95%% CI is kept inside --min/--max (the database routes use the instrument's range)")
    parser.add_argument("--max", type=float, default=None, metavar="HIGHEST",
                        help="for --csv: the highest possible score (e.g. 6 for bayi6); scores above it are refused")
    parser.add_argument("--scale", choices=("auto", "ordinal", "interval"), default="auto",
                        help="for --csv: ordinal scores use the Wilcoxon test and show the paired t as secondary; "
                             "auto = ordinal when every score is a whole number within 7 levels")
    parser.set_defaults(func=run)
