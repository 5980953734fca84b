"""Where the city stands among its peers: its ratios over time against the 多摩26市 (median and
range), the Tokyo and national municipal averages, and its rank in the latest year.

Read once from the store (load_peer_context) for the city, the group and the two averages only:
the ministry's tables hold about 1,740 municipalities a year, the page needs 28 of them.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from komae_kpi.plan import facts
from komae_kpi.plan.peer_group import PeerGroup, load_peer_group
from komae_kpi.store.connection import connect, require_current_schema
from komae_kpi.store.peers import (
    NATIONAL,
    PEER_INDICATORS,
    PeerEntity,
    peer_years,
    read_entities,
    read_values,
)

SOURCE = "出典：総務省「地方公共団体の主要財政指標一覧」（CC BY 4.0）"
# The order the ministry's columns come in; the page shows those the data has.
INDICATORS = PEER_INDICATORS
# Which way is better: a larger 財政力指数 means more revenue of its own; the ratios measure burdens.
Better = Literal["higher", "lower"]
BETTER: dict[str, Better] = {
    "財政力指数": "higher",
    "経常収支比率": "lower",
    "実質公債費比率": "lower",
    "将来負担比率": "lower",
    "起債制限比率": "lower",
}
BETTER_WORDS: dict[Better, str] = {"higher": "高いほど良い", "lower": "低いほど良い"}
UNITS = {"財政力指数": "", "ラスパイレス指数": "", "ラスパイレス指数参考値": ""}


def unit_of(indicator: str) -> str:
    return UNITS.get(indicator, "%")


@dataclass(frozen=True, kw_only=True)
class PeerContext:
    group: PeerGroup
    home: PeerEntity | None  # the city itself, once imported
    members: tuple[PeerEntity, ...]  # the group's entities found in the store
    tokyo: PeerEntity | None  # the prefecture's municipal average
    national: PeerEntity | None
    years: tuple[int, ...]
    values: Mapping[tuple[int, int, str], float | None]  # (fiscal year, entity id, indicator)

    @property
    def is_empty(self) -> bool:
        return not self.years

    @property
    def latest_year(self) -> int | None:
        return self.years[-1] if self.years else None

    @property
    def indicators(self) -> tuple[str, ...]:
        present = {i for (_, _, i) in self.values}
        return tuple(i for i in INDICATORS if i in present)

    def value(self, entity: PeerEntity | None, year: int, indicator: str) -> float | None:
        if entity is None:
            return None
        return self.values.get((year, entity.entity_id, indicator))

    def group_values(self, year: int, indicator: str) -> list[float]:
        return [v for m in self.members if (v := self.value(m, year, indicator)) is not None]


@dataclass(frozen=True, kw_only=True)
class PeerSeries:
    indicator: str
    years: tuple[int, ...]
    home: tuple[float | None, ...]
    median: tuple[float | None, ...]
    low: tuple[float | None, ...]
    high: tuple[float | None, ...]
    tokyo: tuple[float | None, ...]
    national: tuple[float | None, ...]


def series(context: PeerContext, indicator: str) -> PeerSeries:
    """One indicator by year: the city, the group's median and range, the two averages."""
    years = tuple(
        y
        for y in context.years
        if context.group_values(y, indicator)
        or context.value(context.home, y, indicator) is not None
    )
    groups = [context.group_values(y, indicator) for y in years]
    return PeerSeries(
        indicator=indicator,
        years=years,
        home=tuple(context.value(context.home, y, indicator) for y in years),
        median=tuple(statistics.median(g) if g else None for g in groups),
        low=tuple(min(g) if g else None for g in groups),
        high=tuple(max(g) if g else None for g in groups),
        tokyo=tuple(context.value(context.tokyo, y, indicator) for y in years),
        national=tuple(context.value(context.national, y, indicator) for y in years),
    )


@dataclass(frozen=True, kw_only=True)
class Rank:
    indicator: str
    year: int
    rank: int  # 1 = best (or, without a better direction, the lowest)
    count: int
    better: Better | None

    @property
    def text(self) -> str:
        """「多摩26市中 5位（低いほど良い）」."""
        order = BETTER_WORDS[self.better] if self.better else "低い順"
        return f"{self.count}市中 {self.rank}位（{order}）"


def rank(context: PeerContext, indicator: str, year: int) -> Rank | None:
    """The city's place in the group for a year (ties share the better place); None when the city
    or the group has no value."""
    mine = context.value(context.home, year, indicator)
    values = context.group_values(year, indicator)
    if mine is None or not values:
        return None
    better = BETTER.get(indicator)
    ahead = sum(1 for v in values if (v > mine if better == "higher" else v < mine))
    return Rank(indicator=indicator, year=year, rank=ahead + 1, count=len(values), better=better)


def load_peer_context(path: Path, group: PeerGroup | None = None) -> PeerContext:
    """The city, its group and the averages, from the store."""
    group = group or load_peer_group()
    with connect(path, read_only=True) as con:
        require_current_schema(con, path)
        entities = read_entities(con)
        years = tuple(peer_years(con))
        by_code = {e.code: e for e in entities if e.kind == "municipality" and e.code}
        members = tuple(by_code[c] for c in group.codes if c in by_code)
        home = by_code.get(facts.MUNICIPALITY_CODE)
        prefecture = home.prefecture if home else "東京都"
        tokyo = next(
            (e for e in entities if e.kind == "prefecture_average" and e.prefecture == prefecture),
            None,
        )
        national = next(
            (e for e in entities if e.kind == "national_average" or e.prefecture == NATIONAL),
            None,
        )
        wanted = [e.entity_id for e in (*members, home, tokyo, national) if e is not None]
        values = {
            (v.fiscal_year, v.entity_id, v.indicator): v.value
            for v in read_values(con, entity_ids=sorted(set(wanted)))
        }
    return PeerContext(
        group=group,
        home=home,
        members=members,
        tokyo=tokyo,
        national=national,
        years=years,
        values=values,
    )


def peer_records(path: Path, fiscal_year: int) -> list[dict[str, object]]:
    """Every entity of a fiscal year as `peers show --json` prints it: 年度, 団体コード,
    都道府県名, 団体名 and one key per indicator (a number, or None where not published)."""
    with connect(path, read_only=True) as con:
        require_current_schema(con, path)
        entities = {e.entity_id: e for e in read_entities(con)}
        values = read_values(con, fiscal_years=[fiscal_year])
    by_entity: dict[int, dict[str, float | None]] = {}
    for v in values:
        by_entity.setdefault(v.entity_id, {})[v.indicator] = v.value
    kinds = {"municipality": 0, "prefecture_average": 1, "national_average": 2}
    ordered = sorted(
        by_entity,
        key=lambda i: (kinds[entities[i].kind], entities[i].code or "", entities[i].prefecture),
    )
    return [
        {
            "年度": fiscal_year,
            "団体コード": entities[i].code,
            "都道府県名": entities[i].prefecture,
            "団体名": entities[i].name,
            **{indicator: by_entity[i].get(indicator) for indicator in INDICATORS},
        }
        for i in ordered
    ]
