"""`python -m komae_kpi`: the command line. Messages are Japanese; expected problems exit 1 without a traceback."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import difflib
import errno
import io
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

# Only what every command needs, or what is light, is imported here: the modules that load
# pandas, plotly, kaleido, python-pptx, openpyxl or python-calamine are imported by the commands
# that use them. Loaded here, they would cost every call, even --help or a refused file, about a
# second and 150 MB (tests/test_cli_imports.py keeps them out; bench/cli_refusal.py times it).
from komae_kpi.common import clock, fiscal_year, formatting
from komae_kpi.common.errors import KomaeKpiError, StoreBusyError, StoreFaultError
from komae_kpi.common.paths import DB_ENV_VAR, DEFAULT_DB_PATH, PROJECT_ROOT, resolve_db_path
from komae_kpi.common.user_text import visible
from komae_kpi.imports.read_limits import listed_problems
from komae_kpi.judgement.approvals import approve, return_to_submitter
from komae_kpi.judgement.indicator_status import PROVISIONAL_MARK
from komae_kpi.judgement.meeting_changes import changes_record, load_changes, record_meeting
from komae_kpi.judgement.outlook import Outlook, load_outlooks, outlooks_of
from komae_kpi.judgement.progress import assess_all, load_snapshot, status_records
from komae_kpi.outputs.export import export_open_data
from komae_kpi.plan import facts
from komae_kpi.plan.peer_group import load_peer_group
from komae_kpi.store.backups import (
    DEFAULT_KEEP,
    REASON_LABELS,
    backup_dir,
    backup_store,
    list_backups,
    restore_store,
)
from komae_kpi.store.connection import LOCK_WAIT_SECONDS, InitReport, init_store
from komae_kpi.store.demo import DEMO_YEARS, write_demo_store
from komae_kpi.store.meetings import list_meetings, meeting_log, remove_meeting
from komae_kpi.store.record_changes import (
    FIELD_LABELS,
    PUBLISHED_RESTORE_REASON,
    STAGE_FIELD,
    RecordChange,
    RecordKind,
)
from komae_kpi.store.record_changes import load_history as load_change_history
from komae_kpi.store.review import PENDING_MARK
from komae_kpi.store.scenarios import list_scenarios, remove_scenario, unknown_problem
from komae_kpi.store.user_admin import remove_user, save_user
from komae_kpi.store.users import (
    ACTION_LABELS,
    User,
    list_users,
    normalize_email,
    role_choices,
)
from komae_kpi.views.outlook_views import (
    flow_table,
    indicator_heading,
    path_table,
    scenario_record,
    scenario_title,
)

if TYPE_CHECKING:
    from komae_kpi.plan.model import Plan

EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command ended by Ctrl-C
INTERRUPTED = "中断しました"
# The console script installed by `pip install -r requirements.txt` (pyproject.toml), or the module.
PROG = "komae-kpi" if Path(sys.argv[0]).name == "komae-kpi" else "python -m komae_kpi"

_ARGPARSE_PHRASES = (
    ("the following arguments are required:", "次の引数が必要です:"),
    ("unrecognized arguments:", "認識できない引数があります:"),
    ("invalid choice:", "選べない値です:"),
    ("expected one argument", "値を1つ指定してください"),
    ("expected at least one argument", "値を1つ以上指定してください"),
    ("not allowed with argument", "と同時には指定できません:"),
    ("argument ", "引数 "),
)


class _JapaneseHelp(argparse.HelpFormatter):
    def add_usage(
        self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None
    ) -> None:
        # argparse passes prefix="" when it builds a sub-command's prog; keep that one bare.
        super().add_usage(usage, actions, groups, prefix="使い方: " if prefix is None else prefix)


class _JapaneseParser(argparse.ArgumentParser):
    """argparse with Japanese headings and messages (its own are English).

    Every argument goes into one of two groups with Japanese titles, コマンド (positionals) and
    オプション; argparse's own groups, titled in English, stay empty and so are never shown.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["formatter_class"] = _JapaneseHelp
        kwargs["add_help"] = False  # replaced by the Japanese -h (_add_common_options)
        super().__init__(*args, **kwargs)
        self._add_to: tuple[Callable[..., argparse.Action], Callable[..., argparse.Action]] | None
        self._add_to = None

    def add_argument(self, *names: Any, **kwargs: Any) -> argparse.Action:
        if self._add_to is None:
            # Made at the first argument, not in __init__: the main parser's list of commands
            # (add_subparsers(title=...), a group of its own) is added before, and shown first.
            positionals = self.add_argument_group("コマンド")
            optionals = self.add_argument_group("オプション")
            self._add_to = (positionals.add_argument, optionals.add_argument)
        to_positionals, to_optionals = self._add_to
        is_optional = bool(names) and str(names[0])[:1] in self.prefix_chars
        return (to_optionals if is_optional else to_positionals)(*names, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(
            EXIT_USAGE,
            f"エラー: {_japanese_usage_error(message)}\n（`{PROG} --help` で使い方を表示します）\n",
        )


# argparse's own messages (Python 3.11), whole, with the parts that vary; each said in Japanese.
_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<value>.*)' \(choose from (?P<choices>.*)\)")
_INVALID_VALUE = re.compile(r"invalid \S+ value: '(?P<value>.*)'")
_AMBIGUOUS = re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)")


def _japanese_usage_error(message: str) -> str:
    """argparse's English error message in Japanese, suggesting the nearest choice for a typo.

    >>> _japanese_usage_error("argument コマンド: invalid choice: 'reprot' (choose from 'report', 'restore')")
    '引数 コマンド: 「reprot」は選べない値です（選べるのは report、restore）。もしかして report ですか？'
    """
    if choice := _INVALID_CHOICE.search(message):
        value = choice["value"]
        choices = [c.strip().strip("'") for c in choice["choices"].split(",")]
        nearest = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
        japanese = f"「{value}」は選べない値です（選べるのは {'、'.join(choices)}）。"
        if nearest:
            japanese += f"もしかして {nearest[0]} ですか？"
        message = message[: choice.start()] + japanese
    elif invalid := _INVALID_VALUE.search(message):
        message = message[: invalid.start()] + f"「{invalid['value']}」は値として読めません。"
    elif ambiguous := _AMBIGUOUS.search(message):
        message = (
            message[: ambiguous.start()]
            + f"{ambiguous['option']} は {ambiguous['matches']} のどれか決められません。"
        )
    for english, japanese in _ARGPARSE_PHRASES:
        message = message.replace(english, japanese)
    return message


Handler = Callable[[argparse.Namespace], int]


def _fiscal_year_arg(text: str) -> int:
    try:
        return fiscal_year.parse(text)
    except KomaeKpiError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"「{text}」は日付として読めません（例: 2025-02-01）。"
        ) from exc


def _moment_arg(text: str) -> dt.datetime:
    """2026-07-15T10:00 (or with a space, or seconds); a date alone is that day's 0:00."""
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"「{text}」は日時として読めません（例: 2026-07-15T10:00）。"
        ) from exc


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"「{text}」は1以上の整数で指定してください。")
    return number


# One argument of a command: the names and keywords of ArgumentParser.add_argument.
_Argument = tuple[tuple[str, ...], dict[str, Any]]


def _arg(*names: str, **options: Any) -> _Argument:
    return names, options


def _fiscal_year_option(help: str, *, required: bool = False) -> _Argument:
    return _arg(
        "--fiscal-year", required=required, type=_fiscal_year_arg, metavar="年度", help=help
    )


def _out_option(metavar: str, help: str) -> _Argument:
    return _arg("--out", required=True, metavar=metavar, help=help)


_USER_OPTION = _arg(
    "--user",
    metavar="EMAIL",
    help="操作する人（ユーザー登録後は登録済みのメールアドレス。変更履歴に記録します。既定: OSのユーザー名）",
)


@dataclass(frozen=True, kw_only=True)
class _Command:
    name: str
    handler: Handler
    help: str  # the line in the list of commands
    description: str  # the paragraph of the command's own --help
    arguments: tuple[_Argument, ...] = ()
    # A command made of commands (`users add`, `users list`): each with its own handler.
    subcommands: tuple[_Command, ...] = ()


def _db(args: argparse.Namespace) -> Path:
    return resolve_db_path(args.db)


def _destination(text: str, *, makes_folders: bool = False, is_folder: bool = False) -> Path:
    """--out, checked before anything is read or drawn: a report takes seconds to render, and
    finding only then that it cannot be saved wastes them (and says it in the OS's English).

    makes_folders: the writer creates missing folders on the way (report, deck, export);
    is_folder: the output is a folder of files (export), not one file.
    """
    out = Path(text).expanduser()
    if out.is_dir() and not is_folder:
        raise KomaeKpiError(f"保存先 {out} はフォルダです。ファイル名まで指定してください。")
    if out.exists() and is_folder and not out.is_dir():
        raise KomaeKpiError(f"保存先 {out} はファイルです。フォルダを指定してください。")
    folder = out if is_folder else out.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise KomaeKpiError(
            f"保存先のフォルダ {folder} を作れません（{existing} はフォルダではなくファイルです）。"
        )
    if existing != folder and not makes_folders:
        raise KomaeKpiError(f"保存先のフォルダ {folder} がありません。先に作成してください。")
    if not os.access(existing, os.W_OK | os.X_OK) or (
        out.exists() and not is_folder and not os.access(out, os.W_OK)
    ):
        raise KomaeKpiError(
            f"保存先 {out} に書き込む権限がありません。別の保存先を指定するか、"
            "フォルダの権限をシステム担当者に確かめてもらってください。"
        )
    return out


def _cmd_deck(args: argparse.Namespace) -> int:
    from komae_kpi.outputs.chart_images import chart_renderer
    from komae_kpi.outputs.deck import write_meeting_deck

    out = _destination(args.out, makes_folders=True)
    db = _db(args)
    if out.suffix.lower() != ".pptx":
        raise KomaeKpiError(f"会議資料の保存先は .pptx にしてください（指定: {out.name}）。")
    # Before the renderer starts: an unknown meeting is refused with nothing written.
    since = load_changes(db, args.since, args.fiscal_year) if args.since is not None else None
    with chart_renderer() as renderer:
        summary = write_meeting_deck(
            load_snapshot(db), args.fiscal_year, out, renderer, changes=since, full=args.full
        )
    print(
        f"{out} を作成しました（{fiscal_year.label(args.fiscal_year)}、スライド {summary.slide_count}枚、"
        f"グラフ {summary.charts}点）。"
    )
    return 0


def _cmd_opendata(args: argparse.Namespace) -> int:
    from komae_kpi.outputs.publication_files import write_finance_workbook, write_open_data_zip

    out = _destination(args.out)
    db = _db(args)
    snapshot = load_snapshot(db)
    if out.suffix.lower() == ".zip":
        write_open_data_zip(snapshot, out)
    elif out.suffix.lower() == ".xlsx":
        write_finance_workbook(snapshot, out)
    else:
        raise KomaeKpiError(f"保存先は .zip か .xlsx にしてください（指定: {out.name}）。")
    print(f"{out} を作成しました。")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from komae_kpi.outputs.report import write_report

    out = _destination(args.out, makes_folders=True)
    db = _db(args)
    since = load_changes(db, args.since, args.fiscal_year) if args.since is not None else None
    document = write_report(load_snapshot(db), args.fiscal_year, out, changes=since)
    print(
        f"{out} を作成しました（{fiscal_year.label(document.fiscal_year)}、グラフ {document.chart_count}点）。"
    )
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from komae_kpi.imports.importer import ImportSource, apply_import, preview_import
    from komae_kpi.views.change_views import file_lines, preview_summary

    db = _db(args)
    sources = [ImportSource(name=Path(f).name, data=Path(f).read_bytes()) for f in args.files]
    preview = preview_import(db, sources, sheet=args.sheet, user=args.user, wait_seconds=args.wait)
    for line in file_lines(preview):
        print(line)
    if not preview.ok:
        print(
            f"問題が{len(preview.problems)}件あるため、取り込みませんでした（ストアは変更していません）:",
            file=sys.stderr,
        )
        for problem in listed_problems(preview.problems):
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_PROBLEM
    print(preview_summary(preview))
    _print_changes(load_snapshot(db).plan, preview.changes)
    for left_out in preview.not_applied:
        print(f"  [取り込まない] {left_out.text}")
    if args.dry_run:
        print("確認のみ（--dry-run）のため、書き込んでいません。")
        return 0
    if not preview.to_write:
        print(
            "取り込む変更はありません。"
            if preview.not_applied
            else "ストアの内容と同じため、変更はありません。"
        )
        return 0
    result = apply_import(
        db,
        sources,
        user=args.user,
        sheet=args.sheet,
        expected=preview,
        approve=args.approve,
        keep_backups=args.keep_backups,
        wait_seconds=args.wait,
    )
    if not result.submitted:
        print(f"{result.written}件を取り込みました。取り込む前のバックアップ: {result.backup}")
        return 0
    print(
        f"{result.submitted}件を取り込み、提出しました（{PENDING_MARK}）。"
        f"取り込む前のバックアップ: {result.backup}"
    )
    if args.approve:
        print(f"そのうち{result.approved}件を承認しました。")
    for line in result.left_waiting:
        print(f"  {PENDING_MARK}のまま: {line}")
    return 0


def _print_changes(plan: Plan, changes: Sequence[RecordChange]) -> None:
    from komae_kpi.views.change_views import change_rows

    for row in change_rows(plan, list(changes)):
        if not row.field:  # an unchanged record
            print(f"  [{row.action}] {row.subject} {row.fiscal_year}（{row.where}）")
            continue
        print(
            f"  [{row.action}] {row.subject} {row.fiscal_year} {row.field}: "
            f"{row.before or '－'} → {row.after or '－'}（{row.where}）"
        )


def _cmd_history(args: argparse.Namespace) -> int:
    from komae_kpi.views.change_views import history_rows

    db = _db(args)
    if args.indicator is not None and args.item is not None:
        raise KomaeKpiError("--indicator と --item は同時に指定できません。")
    kind: RecordKind | None = None
    subject = None
    plan = load_snapshot(db).plan
    if args.indicator is not None:
        kind, subject = "indicator_value", args.indicator
        _require_number("指標", subject, [i.indicator_no for i in plan.indicators])
    elif args.item is not None:
        kind, subject = "item_status", args.item
        _require_number("取組項目", subject, [i.item_no for i in plan.items])
    entries = load_change_history(
        db, kind=kind, subject_no=subject, fiscal_year=args.fiscal_year, limit=args.limit
    )
    if not entries:
        print("変更履歴はありません。")
        return 0
    for row in history_rows(plan, entries):
        stage = (
            f"（区分: {row.stage}）" if row.stage and row.field != FIELD_LABELS[STAGE_FIELD] else ""
        )
        print(
            f"{row.changed_at} {row.changed_by}［{row.method}］{row.subject} {row.fiscal_year} "
            f"{row.field} {row.action}: {row.before or '－'} → {row.after or '－'}{stage}"
        )
    return 0


def _require_number(what: str, number: int, numbers: Sequence[int]) -> None:
    """A number the plan does not have is an error (not an empty list), naming the valid range.

    >>> _require_number("指標", 99, [1, 2, 3])
    Traceback (most recent call last):
    ...
    komae_kpi.common.errors.KomaeKpiError: 指標 99 は計画にありません（指標の番号は 1～3）。
    """
    if number not in numbers:
        raise KomaeKpiError(
            f"{what} {number} は計画にありません（{what}の番号は {min(numbers)}～{max(numbers)}）。"
        )


def _cmd_backup(args: argparse.Namespace) -> int:
    db = _db(args)
    if args.list:
        found = list_backups(db)
        if not found:
            print(f"{backup_dir(db)} にバックアップはありません。")
        for b in found:
            print(
                f"{b.taken_at:%Y-%m-%d %H:%M:%S}  {REASON_LABELS.get(b.reason, b.reason)}  {b.path}"
            )
        return 0
    out = backup_store(db, Path(args.out).absolute() if args.out else None)
    print(f"バックアップを作成しました: {out}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    db = _db(args)
    result = restore_store(db, Path(args.backup), user=args.user, dry_run=args.dry_run)
    plan = load_snapshot(db).plan
    changes = result.plan.changes
    for kept in result.plan.kept:
        print(f"  [戻さない] {kept}")
    if not changes:
        print(
            "戻す記録はありません。"
            if result.plan.kept
            else "バックアップと現在の内容は同じです。変更はありません。"
        )
        return 0
    print(f"バックアップ {args.backup} に戻すと、{len(changes)}件の記録が変わります:")
    _print_changes(plan, changes)
    if args.dry_run:
        print("確認のみ（--dry-run）のため、書き込んでいません。")
        return 0
    print(f"{result.written}件を戻しました。戻す前の状態のバックアップ: {result.backup}")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from komae_kpi.outputs.inquiry_workbook import write_inquiry_workbook

    out = _destination(args.out, makes_folders=True)
    db = _db(args)
    if out.suffix.lower() != ".xlsx":
        raise KomaeKpiError(f"保存先は .xlsx にしてください（指定: {out.name}）。")
    workbook = write_inquiry_workbook(load_snapshot(db), args.department, args.fiscal_year, out)
    print(
        f"{out} を作成しました（{workbook.department}、{fiscal_year.label(workbook.fiscal_year)}、"
        f"取組項目 {len(workbook.items)}件）。"
    )
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    db = _db(args)
    report = init_store(db)
    action = "作成しました" if report.created else "更新しました"
    print(f"ストア {report.path} を{action}。")
    if report.migrations_applied:
        print(f"  スキーマ: 版 {', '.join(map(str, report.migrations_applied))} を適用")
    print(
        f"  取組項目 {report.items}件、指標 {report.indicators}件、収録済みの実績値 {report.shipped_values}件"
    )
    print(
        f"  入力済みのデータ（変更なし）: 実績値 {report.user_values}件、進捗状況 {report.user_statuses}件"
    )
    _print_restored(report)
    return 0


def _print_restored(report: InitReport) -> None:
    """The published figures init put back (a previous version let users change them)."""
    if not report.restored:
        return
    print(
        f"  公表値に戻した実績値: {len(report.restored)}件"
        f"（変更履歴に「{PUBLISHED_RESTORE_REASON}」として記録しました）"
    )
    for before, after in report.restored:
        print(
            f"    指標{after.indicator_no} {fiscal_year.wareki(after.fiscal_year)}: "
            f"{formatting.number(before.value)} → {formatting.number(after.value)}"
            f"（出典: {after.source}）"
        )


def _cmd_status(args: argparse.Namespace) -> int:
    from komae_kpi.views import finance_outlook
    from komae_kpi.views.review_views import pending_note

    snapshot = load_snapshot(_db(args), include_pending=args.include_pending)
    baseline_year = facts.baseline_fiscal_year(snapshot.plan)
    target = (
        args.fiscal_year
        if args.fiscal_year is not None
        else facts.due_fiscal_year(snapshot.plan, clock.today())
    )
    last_year = facts.target_fiscal_year(snapshot.plan)
    if not baseline_year <= target <= last_year:
        raise KomaeKpiError(
            f"指標の判定は現状値の年度から目標年度まで（{fiscal_year.label(baseline_year)}〜"
            f"{fiscal_year.label(last_year)}）について行います（指定: {fiscal_year.label(target)}）。"
        )
    records = status_records(snapshot, target)
    for r in records:  # each 財政見通し's verdict on the indicator (none: [])
        r["outlook"] = finance_outlook.status_outlook(snapshot, r["indicator_no"], target)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    demo = "【デモデータ】" if snapshot.is_demo else ""
    pending = f"（{PENDING_MARK}の実績値を含む）" if snapshot.shown_pending else ""
    print(f"{demo}{fiscal_year.label(target)} の指標の状況{pending}")
    waiting = len(snapshot.waiting)
    if waiting and not args.include_pending:
        print(
            f"{pending_note(waiting)}承認済みの内容で判定しています（--include-pending で含めます）。"
        )
    assessments = {a.indicator_no: a for a in assess_all(snapshot, target)}
    for r in records:
        unit = r["unit"]
        indicator = snapshot.plan.indicator(r["indicator_no"])
        mark = f"［{PENDING_MARK}］" if r["pending"] else ""
        provisional = PROVISIONAL_MARK if r["provisional"] else ""
        print(f"\n{r['indicator_no']}. {r['name']}  [{r['status_label']}{provisional}]{mark}")
        # The text from the unrounded assessment, rounded once as every other output does (the
        # records' 4-decimal numbers would be rounded a second time: 0.9500 -> '0.9' in binary).
        a = assessments[r["indicator_no"]]
        print(
            f"   最新の実績値 {a.latest_text}"
            f"（{formatting.fiscal_year_label(a.latest_fiscal_year)}）"
            f"／計画線 {formatting.with_unit(a.path_value, unit)}"
            f"／差 {formatting.signed_difference(a.gap, unit)}"
        )
        print(
            f"   {fiscal_year.wareki(indicator.target_fiscal_year)}の見込み "
            f"{formatting.with_unit(a.projected_value, unit)}"
            f"／目標値 {indicator.target_text()}"
            f"／{indicator.required_change_label} {formatting.signed_difference(a.required_annual_change, unit)}"
            f"／実績の年変化 {formatting.signed_difference(a.observed_annual_change, unit)}"
        )
        print(f"   {r['reason']}")
        if r["finding"]:
            print(f"   所見: {r['finding']}")
        for line in finance_outlook.warning_verdicts(snapshot, assessments[r["indicator_no"]]):
            print(f"   {line}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    out = _destination(args.out, makes_folders=True, is_folder=True)
    files = export_open_data(load_snapshot(_db(args)), out)
    print(f"{out} に {len(files)} ファイルを書き出しました。")
    for f in files:
        print(f"  {f.name}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.db is None:
        raise KomaeKpiError(
            "デモ用ストアの場所を --db で指定してください（例: --db data/demo.duckdb）。"
        )
    report = write_demo_store(_db(args))
    print(
        f"デモ用ストア {report.path} を作成しました（架空の実績値 {report.values}件、進捗状況 {report.statuses}件、"
        f"財政見通し {report.scenarios}件）。"
    )
    print(f"表示するには: KOMAE_KPI_DB={report.path} streamlit run dashboard.py")
    return 0


def _cmd_users_add(args: argparse.Namespace) -> int:
    entry = save_user(
        _db(args),
        email=args.email,
        role=args.role,
        departments=args.department or (),
        name=args.name,
        user=args.user,
    )
    if entry is None:
        print(
            f"ユーザー {normalize_email(args.email)} は既にこの内容で登録されています（変更なし）。"
        )
        return 0
    assert entry.after is not None
    print(f"ユーザーを{ACTION_LABELS[entry.action]}しました: {_user_line(entry.after)}")
    return 0


def _cmd_users_list(args: argparse.Namespace) -> int:
    users = list_users(_db(args))
    if args.json:
        records = [
            {
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "role_label": u.role_label,
                "departments": list(u.departments),
            }
            for u in users
        ]
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    if not users:
        print("登録されたユーザーはいません（全員が閲覧・入力できる、1人で使う状態です）。")
    for u in users:
        print(_user_line(u))
    return 0


def _cmd_users_remove(args: argparse.Namespace) -> int:
    entry = remove_user(_db(args), args.email, user=args.user)
    print(f"ユーザー {entry.email} を削除しました。")
    return 0


def _cmd_review_list(args: argparse.Namespace) -> int:
    from komae_kpi.views.review_views import change_line, review_rows, submission_line

    rows = review_rows(load_snapshot(_db(args)))
    if args.json:
        print(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"{PENDING_MARK}・差戻しの記録はありません。")
        return 0
    for row in rows:
        print(submission_line(row))
        for change in row.changes:
            print(f"    {change_line(change)}")
        if row.submission.review_comment:
            print(
                f"    差戻しの理由: {row.submission.review_comment}（{row.submission.reviewed_by}）"
            )
        if row.stage_refusal:
            print(f"    承認できません: {row.stage_refusal}（review return で差し戻してください）")
        if row.needs_finding:
            print(f"    注: {row.needs_finding}（--comment で記入）")
    return 0


def _cmd_review_approve(args: argparse.Namespace) -> int:
    db = _db(args)
    if bool(args.ids) == bool(args.all):
        raise KomaeKpiError("承認する提出番号か --all のどちらか一方を指定してください。")
    if args.all and args.comment:
        # A finding is about one record: one comment for every waiting record would be none.
        raise KomaeKpiError("所見（--comment）は、提出番号を指定して承認するときに付けてください。")
    ids = args.ids or None
    comments = {sid: args.comment for sid in args.ids} if args.comment else None
    result = approve(
        db,
        ids,
        department=args.department,
        comments=comments,
        user=args.user,
        wait_seconds=args.wait,
    )
    print(f"{len(result.approved)}件を承認しました。")
    for s in result.approved:
        print(f"  #{s.submission_id}")
    for reason in result.skipped:
        print(f"  承認していません: {reason}")
    return 0


def _cmd_review_return(args: argparse.Namespace) -> int:
    submission = return_to_submitter(
        _db(args), args.id, comment=args.comment, user=args.user, wait_seconds=args.wait
    )
    print(f"#{submission.submission_id} を差し戻しました（提出者: {submission.submitted_by}）。")
    return 0


def _cmd_peers_import(args: argparse.Namespace) -> int:
    from komae_kpi.imports.importer import ImportSource
    from komae_kpi.imports.peer_import import apply_peer_import, preview_peer_import

    db = _db(args)
    sources = [ImportSource(name=Path(f).name, data=Path(f).read_bytes()) for f in args.files]
    preview = preview_peer_import(db, sources, fiscal_year=args.fiscal_year, wait_seconds=args.wait)
    if not preview.ok:
        print(
            f"問題が{len(preview.problems)}件あるため、取り込みませんでした（ストアは変更していません）:",
            file=sys.stderr,
        )
        for problem in listed_problems(preview.problems):
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_PROBLEM
    for summary in preview.files:
        print(summary.line)
    print(preview.summary)
    if args.dry_run:
        print("確認のみ（--dry-run）のため、書き込んでいません。")
        return 0
    if not preview.values and not preview.added and not preview.coded:
        print("ストアの内容と同じため、変更はありません。")
        return 0
    done = apply_peer_import(
        db, sources, fiscal_year=args.fiscal_year, user=args.user, wait_seconds=args.wait
    )
    print(f"{len(done.values)}件の値を取り込みました。")
    return 0


def _cmd_peers_show(args: argparse.Namespace) -> int:
    from komae_kpi.judgement.peer_context import SOURCE, peer_records
    from komae_kpi.store.peers import AVERAGE_NAME, NATIONAL, PEER_INDICATORS
    from komae_kpi.views import peer_views

    db = _db(args)
    records = peer_records(db, args.fiscal_year)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    if not records:
        print(f"{fiscal_year.label(args.fiscal_year)}の主要財政指標は取り込まれていません。")
        return 0
    group = load_peer_group()
    shown = [
        r
        for r in records
        if r["団体コード"] in group.codes
        or (r["団体名"] == AVERAGE_NAME and r["都道府県名"] in ("東京都", NATIONAL))
    ]
    indicators = [i for i in PEER_INDICATORS if any(r[i] is not None for r in shown)]
    print(f"{fiscal_year.label(args.fiscal_year)}の主要財政指標（{group.name}と平均）")
    print("\t".join(["団体コード", "団体名", *indicators]))
    for r in shown:
        mark = "◆" if r["団体コード"] == facts.MUNICIPALITY_CODE else ""
        name = (
            f"{r['都道府県名']}{r['団体名']}" if r["団体名"] == AVERAGE_NAME else str(r["団体名"])
        )
        cells = [peer_views.value_text(cast(float | None, r[i]), i) for i in indicators]
        print("\t".join([str(r["団体コード"] or ""), mark + name, *cells]))
    print(SOURCE)
    return 0


def _print_outlook(outlook: Outlook, *, paths: bool) -> None:
    """A scenario's flows (and, with paths, both paths by year) per indicator, then its verdicts."""
    for x in outlook.indicators:
        print(f"\n{indicator_heading(x)}")
        tables = [path_table(x)] if paths else []
        tables += [t for t in [flow_table(outlook, x)] if t is not None]
        for table in tables:
            for line in table.lines():
                print(f"  {line}")
        print(f"  {x.verdict.sentence}")
        print(f"  {x.verdict.requirement}")


def _cmd_scenario_import(args: argparse.Namespace) -> int:
    from komae_kpi.imports.importer import ImportSource
    from komae_kpi.imports.scenario_import import (
        ScenarioRequest,
        apply_scenario_import,
        preview_scenario_import,
    )

    db = _db(args)
    request = ScenarioRequest(
        source=ImportSource(name=Path(args.file).name, data=Path(args.file).read_bytes()),
        name=args.name,
        scenario_date=args.date,
        note=args.note,
        sheet=args.sheet,
        replace_existing=args.replace,
    )
    preview = preview_scenario_import(db, request, user=args.user, wait_seconds=args.wait)
    print(preview.reading.line)
    if preview.reading.ignored_line:
        print(f"  {preview.reading.ignored_line}")
    if preview.scenario is None:
        print(
            f"問題が{len(preview.problems)}件あるため、取り込みませんでした（ストアは変更していません）:",
            file=sys.stderr,
        )
        for problem in listed_problems(preview.problems):
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_PROBLEM
    snapshot = load_snapshot(db)
    (outlook,) = outlooks_of(snapshot, [preview.scenario])
    replacing = "（同じ名前の財政見通しを置き換えます）" if preview.replaces else ""
    print(f"{scenario_title(preview.scenario)}{replacing}")
    print(f"  {preview.scenario.summary(snapshot.plan)}")
    _print_outlook(outlook, paths=False)
    if args.dry_run:
        print("確認のみ（--dry-run）のため、書き込んでいません。")
        return 0
    entry = apply_scenario_import(db, request, user=args.user, wait_seconds=args.wait)
    done = "置き換えました" if entry.action == "replace" else "取り込みました"
    print(f"財政見通し「{entry.name}」を{done}。")
    return 0


def _cmd_scenario_list(args: argparse.Namespace) -> int:
    db = _db(args)
    plan = load_snapshot(db).plan
    scenarios = list_scenarios(db)
    if args.json:
        records = [scenario_record(s, plan) for s in scenarios]
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    if not scenarios:
        print("財政見通しはありません（`scenario import` で取り込みます）。")
        return 0
    for s in scenarios:
        print(scenario_title(s))
        source = f"、{s.file_name}" if s.file_name else ""
        imported = f"{s.created_at:%Y-%m-%d %H:%M}" if s.created_at else "－"
        print(f"  {s.summary(plan)}（取込: {imported} {s.created_by or ''}{source}）")
    return 0


def _cmd_scenario_show(args: argparse.Namespace) -> int:
    db = _db(args)
    found = load_outlooks(db, [args.name])
    if not found:
        raise KomaeKpiError(unknown_problem(args.name, [s.name for s in list_scenarios(db)]))
    (outlook,) = found
    if args.json:
        print(json.dumps(outlook.records(), ensure_ascii=False, indent=2))
        return 0
    print(scenario_title(outlook.scenario))
    _print_outlook(outlook, paths=True)
    return 0


def _cmd_scenario_remove(args: argparse.Namespace) -> int:
    entry = remove_scenario(_db(args), args.name, user=args.user, wait_seconds=args.wait)
    print(f"財政見通し「{entry.name}」を削除しました（{entry.summary}）。")
    return 0


def _cmd_meeting_add(args: argparse.Namespace) -> int:
    meeting, _ = record_meeting(
        _db(args),
        name=args.name,
        held_on=args.date,
        as_of=args.as_of,
        fiscal_year=args.fiscal_year,
        user=args.user,
        wait_seconds=args.wait,
    )
    print(f"会議「{meeting.name}」を記録しました（{meeting.summary()}）。")
    return 0


def _cmd_meeting_list(args: argparse.Namespace) -> int:
    from komae_kpi.views.meeting_views import meeting_record, meeting_title

    meetings = list_meetings(_db(args))
    if args.json:
        print(json.dumps([meeting_record(m) for m in meetings], ensure_ascii=False, indent=2))
        return 0
    if not meetings:
        print("記録された会議はありません（`meeting add` で記録します）。")
        return 0
    for m in meetings:
        print(meeting_title(m))
        recorded = f"{m.recorded_at:%Y-%m-%d %H:%M}" if m.recorded_at else "－"
        print(f"  {m.summary()}（記録: {recorded} {m.recorded_by or ''}）")
    return 0


def _cmd_meeting_remove(args: argparse.Namespace) -> int:
    entry = remove_meeting(_db(args), args.name, user=args.user, wait_seconds=args.wait)
    print(f"会議「{entry.name}」の記録を削除しました（{entry.summary}）。")
    return 0


def _cmd_meeting_log(args: argparse.Namespace) -> int:
    for entry in meeting_log(_db(args)):
        print(
            f"{entry.logged_at:%Y-%m-%d %H:%M} {entry.action_label} 「{entry.name}」"
            f" {entry.logged_by}（{entry.summary}）"
        )
    return 0


def _cmd_changes(args: argparse.Namespace) -> int:
    from komae_kpi.views.meeting_views import change_lines

    db = _db(args)
    changes = load_changes(db, args.since, args.fiscal_year)
    if changes is None:
        raise KomaeKpiError("記録された会議がありません（`meeting add` で記録します）。")
    if args.json:
        print(json.dumps(changes_record(changes), ensure_ascii=False, indent=2))
        return 0
    for line in change_lines(load_snapshot(db).plan, changes):
        print(line)
    return 0


def _user_line(user: User) -> str:
    """'yamada@city.komae.lg.jp（山田 太郎）部署担当: 財政課・納税課'."""
    name = f"（{user.name}）" if user.name else ""
    departments = f": {'・'.join(user.departments)}" if user.departments else ""
    return f"{user.email}{name} {user.role_label}{departments}"


_SHEET_OPTION = _arg(
    "--sheet", metavar="シート名", help="Excelの読み込むシート（既定: 先頭のシート）"
)

_WAIT_OPTION = _arg(
    "--wait",
    type=float,
    default=LOCK_WAIT_SECONDS,
    metavar="秒",
    help=f"ストアが使用中のとき待つ秒数（既定: {LOCK_WAIT_SECONDS:g}）",
)

_EMAIL_ARGUMENT = _arg(
    "email", metavar="EMAIL", help="メールアドレス（大文字・小文字は区別しない）"
)

# The commands in the order `--help` lists them.
_COMMANDS: tuple[_Command, ...] = (
    _Command(
        name="init",
        handler=_cmd_init,
        help="ストアを作成・更新する（入力済みのデータは変更しません）",
        description="ストアを作成または更新し、data/plan/ の計画データを取り込みます。何度実行しても安全です。",
    ),
    _Command(
        name="status",
        handler=_cmd_status,
        help="指標ごとの進捗状況を表示する",
        description="年度を指定して、各指標の状況（達成・順調・注意・遅れ・未入力。現状値の年度は現状値）を表示します。",
        arguments=(
            _fiscal_year_option(
                "判定する年度（例: 2025、令和7年度、R7）。既定は実績の入力時期を迎えた最新の年度"
            ),
            _arg("--json", action="store_true", help="JSON で出力する"),
            _arg(
                "--include-pending",
                action="store_true",
                help=f"承認前の実績値（{PENDING_MARK}）を含めて判定する（既定: 承認済みのみ）",
            ),
        ),
    ),
    _Command(
        name="export",
        handler=_cmd_export,
        help="オープンデータ（CSV・JSON・データ項目定義）を書き出す",
        description="指標・実績値・取組項目・進捗状況を CSV（UTF-8 BOM付き）と JSON で書き出します。",
        arguments=(_out_option("DIR", "書き出し先のフォルダ"),),
    ),
    _Command(
        name="demo",
        handler=_cmd_demo,
        help="デモ用のストアを作成する（市の実データ用ストアには書き込みません）",
        description=f"架空の実績値（{fiscal_year.wareki_years(DEMO_YEARS)}）・進捗状況・財政見通しを持つ"
        "デモ用ストアを --db の場所に作成します。"
        "画面には「デモデータ」と表示されます。",
    ),
    _Command(
        name="import",
        handler=_cmd_import,
        help="実績値・進捗状況をCSV・Excelファイルから取り込む",
        description="指標の実績値または取組項目の進捗状況を、CSV（UTF-8・Shift_JIS）または Excel（.xlsx）"
        "から取り込みます。内容を確認して1件でも問題があれば、何も書き込みません。"
        "取り込む前にストアのバックアップを作成します。",
        arguments=(
            _arg("files", nargs="+", metavar="FILE", help="取り込むファイル（複数可）"),
            _arg(
                "--dry-run",
                action="store_true",
                help="確認だけして書き込まない（変更点を表示する）",
            ),
            _SHEET_OPTION,
            _USER_OPTION,
            _arg(
                "--approve",
                action="store_true",
                help="取り込んだ記録を承認もする（承認者・管理者のみ。所見が必要な実績値は承認待ちに残す）",
            ),
            _arg(
                "--keep-backups",
                type=_positive_int,
                default=DEFAULT_KEEP,
                metavar="N",
                help=f"自動バックアップを新しい順に何件残すか（既定: {DEFAULT_KEEP}）",
            ),
            _WAIT_OPTION,
        ),
    ),
    _Command(
        name="history",
        handler=_cmd_history,
        help="実績値・進捗状況の変更履歴を表示する",
        description="いつ・誰が・どの方法で（画面入力・ファイル取込・復元・承認）何を変更・提出・承認・差戻ししたかを、新しい順に表示します。",
        arguments=(
            _arg("--indicator", type=int, metavar="番号", help="指標番号で絞り込む"),
            _arg("--item", type=int, metavar="番号", help="取組項目番号で絞り込む"),
            _fiscal_year_option("年度で絞り込む"),
            _arg(
                "--limit",
                type=_positive_int,
                default=200,
                metavar="N",
                help="表示する件数（既定: 200）",
            ),
        ),
    ),
    _Command(
        name="backup",
        handler=_cmd_backup,
        help="ストアのバックアップを作成する（--list で一覧）",
        description="ストアのファイルを複製します。既定の保存先はストアと同じフォルダの <名前>.backups/ です。",
        arguments=(
            _arg("--out", metavar="FILE", help="保存先のファイル"),
            _arg("--list", action="store_true", help="バックアップの一覧を表示する"),
        ),
    ),
    _Command(
        name="restore",
        handler=_cmd_restore,
        help="バックアップの内容に戻す（戻す前の状態もバックアップします）",
        description="バックアップ時点の実績値・進捗状況に戻します。変更は1つの処理で行い、変更履歴に「復元」と"
        "記録します。戻す前の状態は自動でバックアップするため、復元も取り消せます。",
        arguments=(
            _arg("backup", metavar="BACKUP", help="バックアップのファイル"),
            _arg("--dry-run", action="store_true", help="変更点を表示するだけで書き込まない"),
            _USER_OPTION,
        ),
    ),
    _Command(
        name="template",
        handler=_cmd_template,
        help="部署ごとの照会様式（Excel）を作成する",
        description="推進部署の取組項目を記載した照会用のExcelファイルを作成します。記入後のファイルは"
        "`import` でそのまま取り込めます。",
        arguments=(
            _arg("--department", required=True, metavar="部署名", help="推進部署（例: 財政課）"),
            _fiscal_year_option("照会する年度", required=True),
            _out_option("FILE", "保存先（.xlsx）"),
        ),
    ),
    _Command(
        name="report",
        handler=_cmd_report,
        help="進捗状況報告（HTML・PDF）を作成する",
        description="年度の進捗状況報告（表紙・目次・概要・指標のグラフ・取組項目ごとの進捗状況・判定方法）を"
        "HTML（1ファイル）またはPDF（A4縦、ページ番号付き）で作成します。",
        arguments=(
            _fiscal_year_option("報告する年度", required=True),
            _out_option("FILE", "保存先（.html または .pdf）"),
            _arg(
                "--since",
                metavar="会議名",
                help="「前回会議からの変化」の節を加える（`meeting add` で記録した会議の名前）",
            ),
        ),
    ),
    _Command(
        name="deck",
        handler=_cmd_deck,
        help="推進本部会議資料（PowerPoint）を作成する",
        description="年度の推進本部会議資料（16:9）を作成します: 表紙、指標の一覧、遅れ・注意の指標ごとの"
        "グラフと差、施策ごとの取組項目の状況、遅れている取組項目、部署ごとの未報告の項目数。",
        arguments=(
            _fiscal_year_option("会議で扱う年度", required=True),
            _out_option("FILE", "保存先（.pptx）"),
            _arg(
                "--full",
                action="store_true",
                help="見直し・未報告の取組項目を1項目ずつ載せた一覧も末尾に付ける",
            ),
            _arg(
                "--since",
                metavar="会議名",
                help="表紙の次に「前回会議からの変化」を載せる（`meeting add` で記録した会議の名前）",
            ),
        ),
    ),
    _Command(
        name="opendata",
        handler=_cmd_opendata,
        help="オープンデータ一式をZIPで、またはデータ一式をExcelで書き出す",
        description="`export` と同じオープンデータ（CSV・JSON・データ項目定義）を1つのZIPに（.zip）、"
        "または表ごとに1シートのExcelに（.xlsx）書き出します。",
        arguments=(_out_option("FILE", "保存先（.zip または .xlsx）"),),
    ),
    _Command(
        name="users",
        handler=_cmd_users_list,
        help="ユーザーと役割を登録・一覧・削除する",
        description="サインインして使う人の役割（閲覧・部署担当・承認者・管理者）と部署を管理します。"
        "変更はすべて記録します。",
        subcommands=(
            _Command(
                name="add",
                handler=_cmd_users_add,
                help="ユーザーを追加する（登録済みなら内容を変更する）",
                description="ユーザーを追加します。登録済みのメールアドレスなら役割・部署・氏名を変更します。"
                f"役割: {role_choices()}。部署担当には部署が1つ以上必要です。",
                arguments=(
                    _EMAIL_ARGUMENT,
                    _arg("--role", required=True, metavar="役割", help=f"役割（{role_choices()}）"),
                    _arg(
                        "--department",
                        action="append",
                        metavar="部署名",
                        help="担当する部署（複数回指定可。例: --department 財政課）",
                    ),
                    _arg("--name", metavar="氏名", help="氏名"),
                    _USER_OPTION,
                ),
            ),
            _Command(
                name="list",
                handler=_cmd_users_list,
                help="ユーザーの一覧を表示する",
                description="登録されたユーザーを、メールアドレス順に表示します。",
                arguments=(_arg("--json", action="store_true", help="JSON で出力する"),),
            ),
            _Command(
                name="remove",
                handler=_cmd_users_remove,
                help="ユーザーを削除する",
                description="ユーザーの登録を削除します。",
                arguments=(_EMAIL_ARGUMENT, _USER_OPTION),
            ),
        ),
    ),
    _Command(
        name="peers",
        handler=_cmd_peers_show,
        help="総務省「地方公共団体の主要財政指標一覧」を取り込む・表示する",
        description="全市町村の主要財政指標と都道府県別平均（総務省、CC BY 4.0）を取り込み、"
        "多摩26市や平均と比べるために使います。",
        subcommands=(
            _Command(
                name="import",
                handler=_cmd_peers_import,
                help="主要財政指標一覧のExcelファイル（.xls・.xlsx）を取り込む",
                description="全市町村の主要財政指標・市町村主要財政指標の都道府県別平均を取り込みます。"
                "年度は表題、なければファイル名、なければ --fiscal-year で決めます。"
                "1件でも問題があれば何も書き込みません。同じファイルを取り込み直しても変わりません。",
                arguments=(
                    _arg("files", nargs="+", metavar="FILE", help="取り込むファイル（複数可）"),
                    _fiscal_year_option("年度（表題にもファイル名にもないとき）"),
                    _arg("--dry-run", action="store_true", help="確認だけして書き込まない"),
                    _USER_OPTION,
                    _WAIT_OPTION,
                ),
            ),
            _Command(
                name="show",
                handler=_cmd_peers_show,
                help="年度の主要財政指標を表示する",
                description="狛江市・多摩26市・東京都と全国の市町村平均の値を表示します（--json ですべての団体）。",
                arguments=(
                    _fiscal_year_option("表示する年度", required=True),
                    _arg("--json", action="store_true", help="すべての団体を JSON で出力する"),
                ),
            ),
        ),
    ),
    _Command(
        name="scenario",
        handler=_cmd_scenario_list,
        help="財政見通し（市債・基金の増減と見込値）を取り込む・一覧・表示・削除する",
        description="財政見通しは、年度ごとの市債発行額・元金償還額、積立額・取崩額と指標の見込値です。"
        "最新の実績から残高を推計し、令和11年度の目標と比べます。取り込んだ時点で反映され、"
        "取込・置き換え・削除はすべて記録します。",
        subcommands=(
            _Command(
                name="import",
                handler=_cmd_scenario_import,
                help="財政見通しをCSV・Excelファイルから取り込む",
                description="年度ごとの行、年度を見出しにした列、または「年度・項目・金額」の列のファイルを"
                "取り込みます。1件でも問題があれば何も書き込みません。",
                arguments=(
                    _arg("file", metavar="FILE", help="取り込むファイル"),
                    _arg("--name", metavar="名前", help="財政見通しの名前（既定: ファイル名）"),
                    _arg("--date", type=_date_arg, metavar="YYYY-MM-DD", help="見通しの作成日"),
                    _arg("--note", metavar="メモ", help="説明（例: 令和7年度予算編成時）"),
                    _arg(
                        "--replace",
                        action="store_true",
                        help="同じ名前の財政見通しがあれば置き換える",
                    ),
                    _arg("--dry-run", action="store_true", help="確認だけして書き込まない"),
                    _SHEET_OPTION,
                    _USER_OPTION,
                    _WAIT_OPTION,
                ),
            ),
            _Command(
                name="list",
                handler=_cmd_scenario_list,
                help="財政見通しの一覧を表示する",
                description="取り込んだ財政見通しを名前順に表示します。",
                arguments=(_arg("--json", action="store_true", help="JSON で出力する"),),
            ),
            _Command(
                name="show",
                handler=_cmd_scenario_show,
                help="財政見通しの推計（年度ごとの残高・見込値と判定）を表示する",
                description="指標ごと・年度ごと（令和5年度から令和11年度）に、見通しどおりの値と"
                "最新の実績からの値、その根拠、目標との比較を表示します。",
                arguments=(
                    _arg("name", metavar="名前", help="財政見通しの名前"),
                    _arg("--json", action="store_true", help="JSON で出力する"),
                ),
            ),
            _Command(
                name="remove",
                handler=_cmd_scenario_remove,
                help="財政見通しを削除する",
                description="財政見通しを削除します（削除したことを記録します）。",
                arguments=(
                    _arg("name", metavar="名前", help="財政見通しの名前"),
                    _USER_OPTION,
                    _WAIT_OPTION,
                ),
            ),
        ),
    ),
    _Command(
        name="review",
        handler=_cmd_review_list,
        help="提出された実績値・進捗状況を一覧・承認・差戻しする",
        description="ユーザー登録後、入力・取込された記録は承認されるまで反映されません（承認待ち）。"
        "承認者・管理者が承認すると、画面・報告書・会議資料・オープンデータに反映されます。"
        "自分の提出は承認できません。",
        subcommands=(
            _Command(
                name="list",
                handler=_cmd_review_list,
                help="承認待ち・差戻しの記録を表示する",
                description="承認待ちと差戻しの記録を、現在の内容との違いとともに表示します。",
                arguments=(_arg("--json", action="store_true", help="JSON で出力する"),),
            ),
            _Command(
                name="approve",
                handler=_cmd_review_approve,
                help="提出された記録を承認する",
                description="提出番号を指定して承認します（--all で承認待ちのすべて）。"
                "遅れ・注意と判定される実績値の承認には所見（--comment）が必要です。",
                arguments=(
                    _arg("ids", nargs="*", type=int, metavar="ID", help="提出番号（複数可）"),
                    _arg("--all", action="store_true", help="承認待ちのすべてを承認する"),
                    _arg("--department", metavar="部署名", help="この部署の記録だけを承認する"),
                    _arg("--comment", metavar="所見", help="承認のコメント（所見）"),
                    _USER_OPTION,
                    _WAIT_OPTION,
                ),
            ),
            _Command(
                name="return",
                handler=_cmd_review_return,
                help="提出された記録をコメントを付けて差し戻す",
                description="提出者に理由を伝えて差し戻します。差し戻した記録は、提出し直すまで承認できません。",
                arguments=(
                    _arg("id", type=int, metavar="ID", help="提出番号"),
                    _arg("--comment", required=True, metavar="理由", help="差し戻す理由"),
                    _USER_OPTION,
                    _WAIT_OPTION,
                ),
            ),
        ),
    ),
    _Command(
        name="meeting",
        handler=_cmd_meeting_list,
        help="推進本部会議を記録・一覧・削除する（会議で見た状態を残す）",
        description="会議で見た状態（承認済みの実績値・進捗状況と指標の判定）を会議の名前で残し、"
        "`changes --since` で前回会議からの変化を示せるようにします。記録・削除は承認者・管理者"
        "（ユーザー登録前は誰でも）が行い、すべて記録します。",
        subcommands=(
            _Command(
                name="add",
                handler=_cmd_meeting_add,
                help="会議を記録する",
                description="開催日と名前を指定して、今の状態（--as-of ではその時点の状態を変更履歴から"
                "再現したもの）を会議の記録として残します。",
                arguments=(
                    _arg(
                        "--date",
                        required=True,
                        type=_date_arg,
                        metavar="YYYY-MM-DD",
                        help="開催日（今日以前）",
                    ),
                    _arg("--name", required=True, metavar="会議名", help="会議の名前"),
                    _arg(
                        "--as-of",
                        type=_moment_arg,
                        metavar="YYYY-MM-DDTHH:MM",
                        help="この時点の状態を変更履歴から再現して記録する（後から記録するとき。"
                        "日付だけならその日の0時）",
                    ),
                    _fiscal_year_option(
                        "会議で扱った年度（既定: 開催日に実績の入力時期を迎えた最新の年度）"
                    ),
                    _USER_OPTION,
                    _WAIT_OPTION,
                ),
            ),
            _Command(
                name="list",
                handler=_cmd_meeting_list,
                help="記録した会議の一覧を表示する",
                description="記録した会議を開催日順に表示します。",
                arguments=(_arg("--json", action="store_true", help="JSON で出力する"),),
            ),
            _Command(
                name="remove",
                handler=_cmd_meeting_remove,
                help="会議の記録を削除する",
                description="会議の記録を削除します（削除の前にバックアップを作成し、削除したことを記録します）。",
                arguments=(
                    _arg("name", metavar="会議名", help="会議の名前"),
                    _USER_OPTION,
                    _WAIT_OPTION,
                ),
            ),
            _Command(
                name="log",
                handler=_cmd_meeting_log,
                help="会議の記録・削除の履歴を表示する",
                description="会議の記録と削除を、新しい順に、誰が・いつ行ったかとともに表示します。",
            ),
        ),
    ),
    _Command(
        name="changes",
        handler=_cmd_changes,
        help="前回会議からの変化を表示する",
        description="記録した会議で見た状態と今の承認済みの状態を比べ、判定が変わった指標、新しい・"
        "修正された実績値、状況が変わった・新たに報告された・未報告のままの取組項目を表示します。",
        arguments=(
            _arg(
                "--since",
                metavar="会議名",
                help="比べる会議の名前（既定: 最後に開催した会議）",
            ),
            _fiscal_year_option("比べる年度（既定: その会議で扱った年度）"),
            _arg("--json", action="store_true", help="JSON で出力する"),
        ),
    ),
)


# The default store as help names it: 'data/komae_kpi.duckdb', relative to the project's folder.
_DEFAULT_DB = DEFAULT_DB_PATH.relative_to(PROJECT_ROOT).as_posix()


def _add_common_options(parser: argparse.ArgumentParser, db_default: str | None) -> None:
    parser.add_argument("-h", "--help", action="help", help="この説明を表示して終了する")
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=db_default,
        help=f"ストアのファイル（既定: 環境変数 {DB_ENV_VAR}、なければ {_DEFAULT_DB}）",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _JapaneseParser(
        prog=PROG,
        description=f"{facts.TITLE} 進捗管理（komae-kpi）",
    )
    commands = parser.add_subparsers(
        title="コマンド", metavar="コマンド", required=True, parser_class=_JapaneseParser
    )
    _add_common_options(parser, None)
    _add_commands(commands, _COMMANDS)
    return parser


def _add_commands(commands: Any, table: Sequence[_Command]) -> None:
    """One parser per command of the table, under `commands` (an add_subparsers action)."""
    for command in table:
        sub = commands.add_parser(command.name, help=command.help, description=command.description)
        sub.set_defaults(handler=command.handler)
        # --db is taken after the command as well as before it; SUPPRESS keeps this parser's
        # default from overwriting a value given before the command.
        _add_common_options(sub, argparse.SUPPRESS)
        for names, options in command.arguments:
            sub.add_argument(*names, **options)
        if command.subcommands:
            _add_commands(
                sub.add_subparsers(
                    title="コマンド",
                    metavar="コマンド",
                    required=True,
                    parser_class=_JapaneseParser,
                ),
                command.subcommands,
            )


class _VisibleText(io.TextIOBase):
    """A terminal stream that writes control characters out (\\x1b) instead of sending them: a
    value stored by an older version, or a file name, must never drive the terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(visible(text, keep_line_breaks=True))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()


def main(argv: Sequence[str] | None = None) -> int:
    # Ctrl-C in a terminal reaches the chart browser too, and the thread that talks to it (kaleido)
    # then fails with an English traceback, before or after this thread sees the interrupt; a
    # browser that will not start ends that thread the same way, and the command then says so in
    # Japanese (chart_images.BROWSER_STOPPED). A helper thread's failure is held, and shown only
    # if the command succeeded: otherwise what went wrong has been said already.
    held: list[threading.ExceptHookArgs] = []
    shown_by = threading.excepthook
    threading.excepthook = held.append
    succeeded = False
    try:
        code = _main(argv)
        succeeded = code == 0
        return code
    except KeyboardInterrupt:
        # Ctrl-C: what was being written is removed on the way out (common/files.atomic_path and
        # the temporary folders are context managers), so all that is left to do is say so.
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if succeeded:  # after Ctrl-C or an error, helper threads ending later stay quiet too
            threading.excepthook = shown_by
            for failure in held:
                shown_by(failure)


def _main(argv: Sequence[str] | None) -> int:
    try:
        with (
            contextlib.redirect_stdout(cast(TextIO, _VisibleText(sys.stdout))),
            contextlib.redirect_stderr(cast(TextIO, _VisibleText(sys.stderr))),
        ):
            return _run(argv)
    except BrokenPipeError:
        # `status | head`: the reader went away, which is not an error of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not complain either (Python docs' recipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KomaeKpiError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        if isinstance(exc, (StoreFaultError, StoreBusyError)) and exc.path is not None:
            # Pages never show a path; here it is the store the user named (or the default).
            print(f"ストア: {exc.path}", file=sys.stderr)
            if exc.__cause__ is not None:
                # The engine's own words (English), for whoever is asked for support.
                print(f"詳細（原文）: {exc.__cause__}", file=sys.stderr)
        return EXIT_PROBLEM
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"エラー: {os_error_text(exc)}", file=sys.stderr)
        return EXIT_PROBLEM


_OS_REASONS = {
    errno.ENOENT: "ファイルまたはフォルダがありません",
    errno.ENOTDIR: "途中にフォルダではなくファイルがあります",
    errno.EISDIR: "ファイルではなくフォルダです",
    errno.EACCES: "権限がありません",
    errno.EPERM: "権限がありません",
    errno.EROFS: "読み取り専用の場所です",
    errno.ENOSPC: "ディスクの空きが足りません",
    errno.EEXIST: "同じ名前のものがすでにあります",
    errno.ENAMETOOLONG: "名前が長すぎます",
}


def os_error_text(exc: OSError) -> str:
    """The OS's refusal in Japanese, naming the file, with the OS's own words in parentheses.

    >>> os_error_text(FileNotFoundError(errno.ENOENT, "No such file or directory", "a.csv"))
    'a.csv を読み書きできません: ファイルまたはフォルダがありません（No such file or directory）'
    """
    reason = _OS_REASONS.get(exc.errno or 0, "OSが処理を拒否しました")
    where = f"{exc.filename} を" if exc.filename else "ファイルを"
    return f"{where}読み書きできません: {reason}（{exc.strerror or exc}）"
