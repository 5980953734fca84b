"""Many sessions at once: concurrent reads of one store in one process never collide."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from komae_kpi.judgement.progress import load_snapshot, status_records


def test_many_concurrent_readers(store: Path) -> None:
    def read(_: int) -> int:
        snapshot = load_snapshot(store)
        return len(status_records(snapshot, 2023)) + len(snapshot.plan.items)

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(read, range(60)))
    assert results == [8 + 62] * 60
