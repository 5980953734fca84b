"""The slow outputs (report, deck) made on /reports, offered for download until the store changes.

A made file is kept per store, output (its kind and file name, which names the year) and the
meeting whose changes it opens with, together with the store version it was made from; once the
store is written it is no longer offered, since it would not show what was asked.

Why the server keeps them, not each session: a file is made by following a 「…を作成」 link,
which loads the page afresh (a new session), and what is made depends only on the store, the year
and the meeting, never on who asked, so whoever opens /reports next is offered it too. At most
MAX_KEPT files are kept (the oldest made goes first): a few megabytes each.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from komae_kpi.outputs.report_views import Output, OutputKind
from komae_kpi_ui.store_access import StoreVersion

MAX_KEPT = 12

_Key = tuple[str, OutputKind, str, str | None]


@dataclass(frozen=True, kw_only=True)
class _Made:
    version: StoreVersion
    data: bytes


_kept: OrderedDict[_Key, _Made] = OrderedDict()
_lock = threading.Lock()  # every session's script runs in a thread of its own


def _key(path: Path, output: Output, since: str | None) -> _Key:
    return (str(path), output.kind, output.file_name, since)


def keep(
    path: Path, output: Output, version: StoreVersion, data: bytes, *, since: str | None = None
) -> None:
    """Keep what was made for output from the store at path, at version, with the changes since
    the meeting so named (replacing what was kept)."""
    key = _key(path, output, since)
    with _lock:
        _kept.pop(key, None)
        _kept[key] = _Made(version=version, data=data)
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)


def made(
    path: Path, output: Output, version: StoreVersion, *, since: str | None = None
) -> bytes | None:
    """The file kept for output if it was made from the store at version with the changes since
    that meeting; None when none was made or the store has changed since."""
    with _lock:
        found = _kept.get(_key(path, output, since))
    if found is None or found.version != version:
        return None
    return found.data
