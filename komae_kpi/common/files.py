"""Writing a file whole or not at all: every file the program writes goes through here.

A file is written under a temporary name in its own folder, flushed to disk (fsync), then renamed
over the target with os.replace, which is atomic on one file system. A reader (Excel, a web
server, the next step of a script) sees the old file or the new one, never half of one; if
writing fails, the temporary file is removed and the old file is left as it was.

The folder must already exist: the writers create it where that is wanted, so that a mistyped
path fails here with a message in Japanese instead of a half-made tree of folders.

Example: `atomic_write_text(out, html)`, or for a writer that wants a file object,
`with atomic_path(out) as partial, partial.open("w", newline="") as f: csv.writer(f)...`
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from komae_kpi.common.errors import KomaeKpiError

PARTIAL_SUFFIX = ".partial"


def _temporary_name(path: Path) -> Path:
    # Hidden, and marked as unfinished, so that a file left by a killed process is recognisable.
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); where a folder cannot be opened, skip it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the file's own fsync has happened
    finally:
        os.close(descriptor)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside path to write to; on leaving the block it replaces path.

        with atomic_path(out) as partial, partial.open("w", encoding="utf-8") as f:
            f.write(text)

    The temporary file is created empty before the block runs, with the permissions of the file it
    replaces, or those open() gives a new file; if the block raises, it is removed and path is untouched.
    """
    folder = path.parent
    if not folder.is_dir():
        raise KomaeKpiError(f"保存先のフォルダがありません: {folder}")
    partial = _temporary_name(path)
    # O_EXCL: never write into a file someone else made under this name. Mode 0o666 minus the
    # umask, as for any new file (tempfile.mkstemp would make it private, 0o600).
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        if path.exists():  # replacing a file keeps its permissions, as writing into it did
            os.chmod(partial, stat.S_IMODE(path.stat().st_mode))
        yield partial
        with partial.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write data to path whole or not at all. Returns path."""
    with atomic_path(path) as partial:
        partial.write_bytes(data)
    return path


def atomic_write_text(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write text to path whole or not at all, encoded as given, line endings as they are in text."""
    return atomic_write_bytes(path, text.encode(encoding))
