"""How long importing the ministry's 主要財政指標一覧 takes: the 14 shared workbooks (FY2015–FY2021,
about 12,000 rows, 62,000 values) into a fresh store, then again (nothing changes), beside the
reading alone, in one run.

    .venv/bin/python bench/peer_import.py [--rounds 5] [--write bench/PEERS.md]

The issue's goal: importing all seven years takes under 10 s on these machines. This reports; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peer_data import shared_workbooks  # noqa: E402
from komae_kpi.imports.peer_import import apply_peer_import, read_workbooks  # noqa: E402
from komae_kpi.store.connection import init_store  # noqa: E402

GOAL_SECONDS = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    sources = shared_workbooks()
    timings: dict[str, list[float]] = {"reading the 14 files": [], "first import": [], "again": []}
    values = 0
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / f"kpi{n}.duckdb"
            init_store(db)
            start = time.perf_counter()
            read_workbooks(sources)
            timings["reading the 14 files"].append(time.perf_counter() - start)
            start = time.perf_counter()
            values = len(apply_peer_import(db, sources, user="bench").values)
            timings["first import"].append(time.perf_counter() - start)
            start = time.perf_counter()
            apply_peer_import(db, sources, user="bench")
            timings["again"].append(time.perf_counter() - start)
    lines = [
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node()} ({platform.machine()}, "
        f"Python {platform.python_version()}), {args.rounds} rounds, {len(sources)} files, "
        f"{values} values.",
        "",
        f"| step | median s | min | max | goal ≤ {GOAL_SECONDS:g} s |",
        "|---|---:|---:|---:|---|",
    ]
    for name, seconds in timings.items():
        med = statistics.median(seconds)
        verdict = (
            ("met" if med <= GOAL_SECONDS else "NOT met") if name != "reading the 14 files" else ""
        )
        lines.append(
            f"| {name} | {med:.2f} | {min(seconds):.2f} | {max(seconds):.2f} | {verdict} |"
        )
    report = "\n".join(lines)
    print(report)
    if args.write:
        args.write.write_text(
            "# Peer import benchmark\n\nCommand: `.venv/bin/python bench/peer_import.py "
            f"--rounds {args.rounds} --write bench/PEERS.md`\n\n{report}\n\n"
            "*first import*: the 14 workbooks read, matched to entities and written into a fresh "
            "store in one transaction. *again*: the same files once more (read and compared; "
            "nothing is written). A first version wrote the values one INSERT at a time and took "
            "181 s; they now go in as one table (store/peers.py).\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
