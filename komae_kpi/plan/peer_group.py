"""The group the city compares itself with: 多摩26市, shipped as data (data/peers/tama26.csv), a
fact with its source, not anything computed."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from komae_kpi.common.errors import PlanDataError
from komae_kpi.common.paths import DATA_DIR

PEER_GROUP_FILE = DATA_DIR / "peers" / "tama26.csv"


@dataclass(frozen=True, kw_only=True)
class PeerGroup:
    name: str  # 「多摩26市」
    source: str
    members: tuple[tuple[str, str], ...]  # (団体コード, 団体名)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.members)


def load_peer_group(path: Path = PEER_GROUP_FILE) -> PeerGroup:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    problems = []
    groups = {r["group"] for r in rows}
    if len(groups) != 1:
        problems.append(
            f"{path.name}: グループ名は1つにしてください（{'、'.join(sorted(groups))}）。"
        )
    for n, r in enumerate(rows, start=2):
        if not (r["code"].isdigit() and len(r["code"]) == 6):
            problems.append(
                f"{path.name} {n}行目 列「code」: 「{r['code']}」は6桁の団体コードではありません。"
            )
    codes = [r["code"] for r in rows]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"{path.name}: 団体コード「{code}」が重複しています。")
    if problems:
        raise PlanDataError(problems)
    return PeerGroup(
        name=rows[0]["group"],
        source=rows[0]["source"],
        members=tuple((r["code"], r["name"]) for r in rows),
    )
