"""Importing the ministry's 主要財政指標一覧 workbooks: match every row to one entity across years,
preview what changes, then write it all in one transaction (or nothing).

A municipality is one entity across fiscal years: matched by its 団体コード, or, in a year whose
workbook has none, by (都道府県名, 団体名) against the entities other years named; one known only
from code-less years keeps a null code until a year with codes names it. The national average that
a city workbook repeats at its foot is the same entity as the prefecture workbook's, stored once:
the same value twice is fine, different values are refused.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from komae_kpi.common import fiscal_year as fy
from komae_kpi.common.errors import ValidationError
from komae_kpi.imports.importer import ImportSource
from komae_kpi.imports.peer_workbooks import (
    PeerRow,
    PeerWorkbook,
    read_peer_workbook,
    same_value,
    value_text,
)
from komae_kpi.store.connection import (
    LOCK_WAIT_SECONDS,
    connect,
    current_user,
    require_current_schema,
    transaction,
)
from komae_kpi.store.peers import (
    AVERAGE_NAME,
    NATIONAL,
    EntityKind,
    PeerEntity,
    PeerImportEntry,
    PeerValue,
    log_import,
    read_entities,
    read_values,
    write_entities,
    write_values,
)
from komae_kpi.store.permissions import require_reference_importer, resolve_actor
from komae_kpi.store.record_changes import require_store_file

KIND_LABELS = {"city": "全市町村の主要財政指標", "prefecture_average": "都道府県別平均"}
_SPACES = re.compile(r"[\s\u3000]+")


def _name(text: str) -> str:
    """Names compared without spaces: 「狛 江 市」 and 「狛江市」 are one."""
    return _SPACES.sub("", text)


@dataclass(frozen=True, kw_only=True)
class PeerFileSummary:
    """What one file holds and would change, as the preview says it."""

    entry: PeerImportEntry

    @property
    def file_name(self) -> str:
        return self.entry.file_name

    @property
    def values_new(self) -> int:
        return self.entry.values_new

    @property
    def values_changed(self) -> int:
        return self.entry.values_changed

    @property
    def line(self) -> str:
        e = self.entry
        kind = KIND_LABELS.get(e.workbook_kind, e.workbook_kind)
        return (
            f"{e.file_name}（{kind}、{fy.label(e.fiscal_year)}、シート「{e.sheet}」）:"
            f" {e.rows_read}行、新規 {e.values_new}件、変更 {e.values_changed}件"
        )


@dataclass(frozen=True, kw_only=True)
class PeerChanges:
    """What an import would write: new entities, codes found for known ones, new or changed
    values, and a summary per file; problems when it cannot be imported."""

    files: tuple[PeerFileSummary, ...] = ()
    problems: tuple[str, ...] = ()
    added: tuple[PeerEntity, ...] = ()
    coded: tuple[PeerEntity, ...] = ()
    values: tuple[PeerValue, ...] = ()
    unchanged: int = 0
    entries: tuple[PeerImportEntry, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        new = sum(f.values_new for f in self.files)
        changed = sum(f.values_changed for f in self.files)
        return f"値: 新規 {new}件、変更 {changed}件、変更なし {self.unchanged}件（団体の新規 {len(self.added)}件）"


class _Entities:
    """The entities known so far (the store's, then those this import adds), found by row.

    Indexed by code, by (都道府県名, 団体名) and by average, so that matching the 12,000 rows of
    seven years costs a look-up each."""

    def __init__(self, known: Sequence[PeerEntity]) -> None:
        self.next_id = max((e.entity_id for e in known), default=0) + 1
        self.added: dict[int, PeerEntity] = {}
        self.coded: dict[int, PeerEntity] = {}
        self._by_code: dict[str, PeerEntity] = {}
        self._by_name: dict[tuple[str, str], list[PeerEntity]] = defaultdict(list)
        self._averages: dict[tuple[EntityKind, str], PeerEntity] = {}
        for entity in known:
            self._index(entity)

    def _index(self, entity: PeerEntity) -> None:
        if entity.kind != "municipality":
            self._averages[(entity.kind, _name(entity.prefecture))] = entity
            return
        if entity.code:
            self._by_code[entity.code] = entity
        named = self._by_name[(_name(entity.prefecture), _name(entity.name))]
        named[:] = [e for e in named if e.entity_id != entity.entity_id] + [entity]

    def _add(self, kind: EntityKind, code: str | None, prefecture: str, name: str) -> PeerEntity:
        entity = PeerEntity(
            entity_id=self.next_id, kind=kind, code=code, prefecture=prefecture, name=name
        )
        self.next_id += 1
        self.added[entity.entity_id] = entity
        self._index(entity)
        return entity

    def _set_code(self, entity: PeerEntity, code: str) -> PeerEntity:
        coded = replace(entity, code=code)
        if entity.entity_id in self.added:
            self.added[entity.entity_id] = coded
        else:
            self.coded[entity.entity_id] = coded
        self._index(coded)
        return coded

    def of(self, row: PeerRow) -> PeerEntity:
        if _name(row.name) == AVERAGE_NAME:
            kind: EntityKind = (
                "national_average" if _name(row.prefecture) == NATIONAL else "prefecture_average"
            )
            found = self._averages.get((kind, _name(row.prefecture)))
            return found or self._add(kind, None, row.prefecture.strip(), AVERAGE_NAME)
        named = self._by_name.get((_name(row.prefecture), _name(row.name)), [])
        if row.code:
            coded = self._by_code.get(row.code)
            if coded is not None:
                return coded
            codeless = [e for e in named if e.code is None]
            if codeless:
                return self._set_code(codeless[0], row.code)
            return self._add("municipality", row.code, row.prefecture.strip(), row.name.strip())
        if named:
            # The newest code for the name: a name reused after a merger belongs to the new one.
            return max(named, key=lambda e: (e.code is not None, e.code or "", e.entity_id))
        return self._add("municipality", None, row.prefecture.strip(), row.name.strip())


def plan_changes(
    known: Sequence[PeerEntity],
    existing: Sequence[PeerValue],
    workbooks: Sequence[PeerWorkbook],
) -> PeerChanges:
    """Match the workbooks' rows to entities and compare their values with the store's."""
    entities = _Entities(known)
    stored = {(v.fiscal_year, v.entity_id, v.indicator): v for v in existing}
    chosen: dict[tuple[int, int, str], tuple[PeerValue, str]] = {}
    problems: list[str] = []
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unchanged = 0
    # Workbooks with codes first, so that a code-less year matches the codes of this import too.
    ordered = sorted(workbooks, key=lambda w: not any(r.code for r in w.rows))
    for wb in ordered:
        for row in wb.rows:
            entity = entities.of(row)
            sheet = row.sheet or wb.sheet
            # The sheet is named when the workbook's table is on several.
            named = f" シート「{sheet}」" if sheet != wb.sheet else ""
            where = f"{wb.file_name}{named} {row.row_number}行目"
            for indicator in wb.indicators:
                if indicator not in row.values:
                    continue  # not a column of the row's sheet: not known, not 「not computed」
                value = row.values[indicator]
                key = (wb.fiscal_year, entity.entity_id, indicator)
                if key in chosen:
                    first, first_where = chosen[key]
                    if not same_value(first.value, value):
                        problems.append(
                            f"{where}: {fy.label(wb.fiscal_year)}の{entity.prefecture}{entity.name}の"
                            f"{indicator}「{value_text(value)}」が、{first_where}の「{value_text(first.value)}」と"
                            "異なります（同じ団体・年度の値は1つです）。"
                        )
                    continue
                new = PeerValue(
                    fiscal_year=wb.fiscal_year,
                    entity_id=entity.entity_id,
                    indicator=indicator,
                    value=value,
                    source_file=wb.file_name,
                    source_sha256=wb.sha256,
                    source_sheet=sheet,
                )
                chosen[key] = (new, where)
                before = stored.get(key)
                if before is None:
                    counts[wb.sha256][0] += 1
                elif not same_value(before.value, value):
                    counts[wb.sha256][1] += 1
                else:
                    unchanged += 1
    to_write = tuple(
        v
        for (key, (v, _)) in chosen.items()
        if key not in stored or not same_value(stored[key].value, v.value)
    )
    entries = tuple(
        PeerImportEntry(
            file_name=wb.file_name,
            file_sha256=wb.sha256,
            sheet=wb.sheet,
            workbook_kind=wb.kind,
            fiscal_year=wb.fiscal_year,
            rows_read=len(wb.rows),
            values_new=counts[wb.sha256][0],
            values_changed=counts[wb.sha256][1],
        )
        for wb in workbooks
    )
    return PeerChanges(
        files=tuple(PeerFileSummary(entry=e) for e in entries),
        problems=tuple(problems),
        added=tuple(entities.added.values()),
        coded=tuple(entities.coded.values()),
        values=to_write,
        unchanged=unchanged,
        entries=entries,
    )


def read_workbooks(
    sources: Sequence[ImportSource], *, fiscal_year: int | None = None
) -> tuple[list[PeerWorkbook], list[str]]:
    """Every file read; the problems of all of them at once."""
    workbooks: list[PeerWorkbook] = []
    problems: list[str] = []
    if not sources:
        problems.append("取り込むファイルが指定されていません。")
    for source in sources:
        try:
            workbooks.append(read_peer_workbook(source.name, source.data, fiscal_year=fiscal_year))
        except ValidationError as exc:
            problems.extend(exc.problems)
    # The same file twice is a mistake; two files of one name (city/R3.xlsx and
    # prefecturemean/R3.xlsx) are not.
    seen: dict[str, str] = {}
    for wb in workbooks:
        if wb.sha256 in seen:
            problems.append(
                f"{wb.file_name}: {seen[wb.sha256]}と同じファイルです（同じファイルは1回だけ指定してください）。"
            )
        seen.setdefault(wb.sha256, wb.file_name)
    return workbooks, problems


def _prepare(
    con: duckdb.DuckDBPyConnection, sources: Sequence[ImportSource], fiscal_year: int | None
) -> PeerChanges:
    workbooks, problems = read_workbooks(sources, fiscal_year=fiscal_year)
    if problems:
        return PeerChanges(problems=tuple(problems))
    return _changes(con, workbooks)


def _changes(con: duckdb.DuckDBPyConnection, workbooks: Sequence[PeerWorkbook]) -> PeerChanges:
    years = sorted({wb.fiscal_year for wb in workbooks})
    return plan_changes(read_entities(con), read_values(con, fiscal_years=years), workbooks)


def preview_peer_import(
    path: Path,
    sources: Sequence[ImportSource],
    *,
    fiscal_year: int | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> PeerChanges:
    """What importing these workbooks would change. Writes nothing.

    The workbooks are read first: when any is refused (too large, a zip bomb, not the ministry's
    table), nothing in the store bears on the answer, and the store is not opened.
    """
    workbooks, problems = read_workbooks(sources, fiscal_year=fiscal_year)
    if problems:
        return PeerChanges(problems=tuple(problems))
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        return _changes(con, workbooks)


def apply_peer_import(
    path: Path,
    sources: Sequence[ImportSource],
    *,
    fiscal_year: int | None = None,
    user: str | None = None,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> PeerChanges:
    """Import the workbooks in one transaction: everything, or nothing when any problem is found.

    Reference data, not the city's own figures: an approver or an administrator imports it (or
    anyone, before users are registered); it is in force at once, and each import is logged.
    """
    require_store_file(path)
    with connect(path, read_only=False, wait_seconds=wait_seconds) as con:
        require_current_schema(con, path)
        actor = resolve_actor(con, user or current_user())
        require_reference_importer(actor)
        changes = _prepare(con, sources, fiscal_year)
        if not changes.ok:
            raise ValidationError(list(changes.problems))
        if not changes.values and not changes.added and not changes.coded:
            return changes
        with transaction(con):
            write_entities(con, changes.added, changes.coded)
            write_values(con, changes.values)
            log_import(con, changes.entries, user=actor.identity)
    return changes
