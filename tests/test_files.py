"""Atomic writes: a file is replaced whole or not at all, and nothing is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from komae_kpi.common.errors import KomaeKpiError
from komae_kpi.common.files import atomic_path, atomic_write_bytes, atomic_write_text


class Interrupted(Exception):
    pass


def test_the_content_arrives_whole_and_replaces_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "報告書.html"
    out.write_text("古い内容", encoding="utf-8")
    data = "新しい内容\r\n".encode() * 100_000
    assert atomic_write_bytes(out, data) == out
    assert out.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["報告書.html"]


def test_text_is_encoded_as_asked_with_its_line_endings_kept(tmp_path: Path) -> None:
    out = tmp_path / "README.txt"
    atomic_write_text(out, "一行目\r\n二行目\n", encoding="utf-8-sig")
    assert out.read_bytes() == "\ufeff一行目\r\n二行目\n".encode()
    assert atomic_write_text(out, "abc").read_bytes() == b"abc"


def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "data.csv"
    out.write_bytes(b"old")
    with pytest.raises(Interrupted), atomic_path(out) as partial:
        with partial.open("wb") as f:
            f.write(b"half of the new")
        raise Interrupted
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


def test_a_failure_to_flush_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "deck.pptx"
    out.write_bytes(b"old")

    def full_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(out, b"new")
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.pptx"]


def test_a_new_file_is_written_where_there_was_none(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "new.json") as partial:
        assert partial.parent == tmp_path and partial.name.endswith(".partial")
        partial.write_text("{}", encoding="utf-8")
    assert (tmp_path / "new.json").read_text(encoding="utf-8") == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["new.json"]


def test_the_folder_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "report.pdf"
    with pytest.raises(KomaeKpiError, match="保存先のフォルダがありません") as error:
        atomic_write_bytes(missing, b"%PDF")
    assert str(missing.parent) in str(error.value)
    assert not missing.parent.exists()


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
def test_the_file_gets_the_permissions_of_any_new_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    atomic = atomic_write_bytes(tmp_path / "atomic.bin", b"x")
    assert atomic.stat().st_mode == plain.stat().st_mode  # not tempfile's private 0o600


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    out = tmp_path / "published.html"
    out.write_bytes(b"old")
    out.chmod(0o640)
    atomic_write_bytes(out, b"new")
    assert out.stat().st_mode & 0o777 == 0o640
