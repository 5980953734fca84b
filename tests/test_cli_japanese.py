"""The command line in Japanese only: argparse's, the OS's and the zip reader's messages, Ctrl-C,
unknown numbers, a destination checked before rendering, and which step of a backup failed."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from komae_kpi import cli
from komae_kpi.common.errors import BackupError, KomaeKpiError, StoreError
from komae_kpi.common.files import atomic_path
from komae_kpi.common.paths import DB_ENV_VAR, PROJECT_ROOT
from komae_kpi.outputs import chart_images
from komae_kpi.store.backups import backup_dir, backup_store
from komae_kpi.store.demo import write_demo_store
from komae_kpi.store.entries import save_indicator_value
from tests.test_cli import run

ENGLISH = ("usage", "invalid", "choose from", "error:", "Traceback", "No such file")


def assert_japanese_only(stderr: str) -> None:
    assert stderr.startswith(("使い方", "エラー", "中断")), stderr
    for word in ENGLISH:
        # The OS's own words may follow in parentheses, for support; never on their own.
        assert word not in stderr.replace("（No such file or directory）", ""), stderr


@pytest.mark.parametrize(
    ("args", "nearest"),
    [(["reprot"], "report"), (["users", "lst"], "list"), (["scenario", "shwo"], "show")],
)
def test_a_mistyped_command_gets_japanese_and_the_nearest_command(
    args: list[str], nearest: str
) -> None:
    result = run(*args)
    assert result.returncode == cli.EXIT_USAGE
    assert_japanese_only(result.stderr)
    assert f"「{args[-1]}」は選べない値です" in result.stderr
    assert f"もしかして {nearest} ですか？" in result.stderr


def test_a_command_far_from_every_other_gets_no_suggestion() -> None:
    result = run("xyzzy")
    assert result.returncode == cli.EXIT_USAGE
    assert "選べない値です（選べるのは init、status、" in result.stderr
    assert "もしかして" not in result.stderr


def test_a_value_argparse_cannot_read_is_said_in_japanese(store: Path) -> None:
    result = run("history", "--db", str(store), "--item", "x")
    assert result.returncode == cli.EXIT_USAGE
    assert_japanese_only(result.stderr)
    assert "「x」は値として読めません" in result.stderr


def test_a_missing_file_is_said_in_japanese_with_the_os_words_after(
    store: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "なし.csv"
    result = run("import", "--db", str(store), str(missing))
    assert result.returncode == 1
    assert result.stderr == (
        f"エラー: {missing} を読み書きできません: ファイルまたはフォルダがありません"
        "（No such file or directory）\n"
    )


def test_a_damaged_workbook_is_said_in_japanese(store: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "実績.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not a workbook")
    result = run("import", "--db", str(store), str(damaged))
    assert result.returncode == 1
    assert "として開けません（ファイルが壊れているか、別の形式のファイルです。" in result.stderr
    assert "（BadZipFile）" not in result.stderr


def test_the_engines_words_are_labelled_as_the_original(tmp_path: Path) -> None:
    junk = tmp_path / "kpi.duckdb"
    junk.write_text("not a store", encoding="utf-8")
    result = run("status", "--db", str(junk))
    assert result.returncode == 1
    assert result.stderr.startswith("エラー: ストアのファイルがDuckDBのデータベースではありません")
    detail = [line for line in result.stderr.splitlines() if "IO Error" in line]
    assert [line.split(": ", 1)[0] for line in detail] == ["詳細（原文）"]


# --- unknown numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "number", "message"),
    [
        ("--item", "99", "取組項目 99 は計画にありません（取組項目の番号は 1～62）。"),
        ("--item", "0", "取組項目 0 は計画にありません（取組項目の番号は 1～62）。"),
        ("--indicator", "9", "指標 9 は計画にありません（指標の番号は 1～8）。"),
    ],
)
def test_an_unknown_number_is_an_error_naming_the_valid_range(
    store: Path, option: str, number: str, message: str
) -> None:
    result = run("history", "--db", str(store), option, number)
    assert result.returncode == 1
    assert result.stderr == f"エラー: {message}\n"
    assert result.stdout == ""


def test_a_known_number_without_changes_is_not_an_error(store: Path) -> None:
    result = run("history", "--db", str(store), "--item", "62")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "変更履歴はありません。\n"


# --- the destination, before anything is read or drawn -------------------------------------


@pytest.mark.parametrize(
    ("command", "out", "message"),
    [
        (
            "report",
            "file/sub/r.pdf",
            "保存先のフォルダ {tmp}/file/sub を作れません（{tmp}/file はフォルダではなくファイルです）。",
        ),
        ("report", ".", "保存先 {tmp} はフォルダです。ファイル名まで指定してください。"),
        (
            "deck",
            "file/d.pptx",
            "保存先のフォルダ {tmp}/file を作れません（{tmp}/file はフォルダではなくファイルです）。",
        ),
        (
            "opendata",
            "none/o.zip",
            "保存先のフォルダ {tmp}/none がありません。先に作成してください。",
        ),
        ("export", "file", "保存先 {tmp}/file はファイルです。フォルダを指定してください。"),
    ],
)
def test_the_destination_is_checked_before_the_store_is_even_read(
    tmp_path: Path, command: str, out: str, message: str
) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    # No store at all: a check made after reading would complain about the store instead.
    args = [command, "--db", str(tmp_path / "none.duckdb"), "--out", f"{tmp_path}/{out}"]
    if command in ("report", "deck"):
        args += ["--fiscal-year", "2025"]
    result = run(*args)
    assert result.returncode == 1
    assert result.stderr == f"エラー: {message.format(tmp=tmp_path)}\n"


def test_a_folder_without_write_permission_is_said_before_rendering(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The tests may run as root, whom no permission stops: the OS's answer is what is replaced.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    rendered: list[object] = []
    monkeypatch.setattr("komae_kpi.outputs.report.write_report", lambda *a, **k: rendered.append(a))
    out = tmp_path / "r.pdf"
    args = ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(out)]
    assert cli.main([*args, "--fiscal-year", "2025"]) == 1
    assert capsys.readouterr().err == (
        f"エラー: 保存先 {out} に書き込む権限がありません。別の保存先を指定するか、"
        "フォルダの権限をシステム担当者に確かめてもらってください。\n"
    )
    assert rendered == []


# --- Ctrl-C ---------------------------------------------------------------------------------


def test_ctrl_c_while_writing_ends_with_130_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    store: Path,
    tmp_path: Path,
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    seen: list[Path] = []

    def interrupted_write(snapshot: object, year: int, out: Path, **_: object) -> None:
        with atomic_path(out) as partial:
            partial.write_bytes(b"%PDF half")
            seen.extend(out_dir.iterdir())
            raise KeyboardInterrupt

    monkeypatch.setattr("komae_kpi.outputs.report.write_report", interrupted_write)
    args = ["report", "--db", str(store), "--out", str(out_dir / "r.pdf")]
    try:
        code = cli.main([*args, "--fiscal-year", "2025"])
    except KeyboardInterrupt:  # would end the whole test run
        pytest.fail("Ctrl-C reached the caller instead of ending the command")
    assert code == cli.EXIT_INTERRUPTED == 130
    captured = capsys.readouterr()
    assert captured.err == "中断しました\n"
    assert len(seen) == 1 and seen[0].name.endswith(".partial")  # the write was under way
    assert list(out_dir.iterdir()) == []


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(FileNotFoundError):  # the process, or one of its threads, ended
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def _report_started(store: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`report` for FY2025 into out, in its own process group as a terminal's foreground job."""
    environment = {k: v for k, v in os.environ.items() if k != DB_ENV_VAR} | env
    args = ["report", "--fiscal-year", "2025", "--db", str(store), "--out", str(out)]
    return subprocess.Popen(
        [sys.executable, "-m", "komae_kpi", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _ctrl_c(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C in a terminal: SIGINT to the whole group (the chart browser included); its output."""
    os.killpg(process.pid, signal.SIGINT)
    return process.communicate(timeout=60)


def _ended(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.communicate()


def test_ctrl_c_during_a_report_ends_it_in_japanese(store: Path, tmp_path: Path) -> None:
    """A real Ctrl-C, once the report has started its chart browser (kaleido's Chromium)."""
    save_indicator_value(store, 3, 2025, 89.0, user="A")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "r.pdf"
    process = _report_started(store, out, {})
    try:
        children: set[int] = set()
        while not children and process.poll() is None:
            children = _children(process.pid)
        assert children, "the report ended before it started a browser"
        stdout, stderr = _ctrl_c(process)
    finally:
        _ended(process)
    assert process.returncode == 130, stderr
    assert stderr == "中断しました\n"
    assert stdout == ""
    assert list(out_dir.iterdir()) == []
    assert [pid for pid in children if _running(pid)] == []  # no browser left behind


def _print_browsers(pid: int) -> list[int]:
    """The report's print browsers among the command's children (--print-to-pdf)."""
    found = []
    for child in sorted(_children(pid)):
        with contextlib.suppress(FileNotFoundError):
            if b"--print-to-pdf" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
    return found


@pytest.mark.parametrize("which", [1, 2])
def test_ctrl_c_while_the_report_prints_ends_it_and_its_browser_at_once(
    which: int, store: Path, tmp_path: Path
) -> None:
    """The first print (which lays the pages out for the contents) runs in a thread beside the
    charts, the second in the command's own. Either way Ctrl-C ends the command then, not once the
    print has run its course or its 120 s timeout; the print's folder is removed (it said 「Default
    を読み書きできません」 and exited 1 when the browser was still writing there) and no browser is
    left."""
    save_indicator_value(store, 3, 2025, 89.0, user="A")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # The command's temporary folders go here, to see that none is left. A short path: Chromium
    # does not start with a profile folder whose socket path would pass the OS's 108 characters.
    temp = Path(tempfile.mkdtemp(prefix="kk-", dir="/tmp"))
    process = _report_started(store, out_dir / "r.pdf", {"TMPDIR": str(temp)})
    try:
        seen: list[int] = []
        while len(seen) < which and process.poll() is None:
            seen += [pid for pid in _print_browsers(process.pid) if pid not in seen]
            time.sleep(0.01)  # a print takes about a second; leave the cores to the report
        assert len(seen) >= which, "the report ended before that print"
        # Once that browser is under way (its profile written), not while it is still starting.
        while process.poll() is None and _running(seen[-1]):
            if [p for p in temp.glob("komae-kpi-report-*/profile/Default/*")]:
                break
            time.sleep(0.01)
        time.sleep(0.2)
        stdout, stderr = _ctrl_c(process)
    finally:
        _ended(process)
        left = [p.name for p in temp.iterdir() if p.name.startswith("komae-kpi-report-")]
        shutil.rmtree(temp, ignore_errors=True)
    assert process.returncode == 130, stderr
    assert stderr == "中断しました\n"
    assert stdout == ""
    assert list(out_dir.iterdir()) == []
    assert left == []
    assert [pid for pid in seen if _running(pid)] == []


@pytest.mark.parametrize("command", ["report", "deck"])
def test_a_chart_browser_that_will_not_start_is_said_in_japanese(
    command: str, tmp_path: Path
) -> None:
    """kaleido's browser thread ended with the error and the command waited for ever, silent."""
    demo = tmp_path / "demo.duckdb"
    write_demo_store(demo)  # charts to draw in both
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    out = tmp_path / ("r.pdf" if command == "report" else "d.pptx")
    env = {k: v for k, v in os.environ.items() if k != DB_ENV_VAR} | {"BROWSER_PATH": str(fake)}
    args = ["--fiscal-year", "2025", "--db", str(demo), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "komae_kpi", command, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 1
    assert done.stderr == f"エラー: {chart_images.BROWSER_STOPPED}\n"
    assert not out.exists()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


# --- backup names the step that failed ------------------------------------------------------


def test_a_backup_whose_copy_cannot_read_the_store_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    def unreadable(source: Path, target: Path) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(source))

    monkeypatch.setattr(shutil, "copyfile", unreadable)
    assert cli.main(["backup", "--db", str(store)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "エラー: ストアを複製する段階で、ストアのファイルを読めなかったため、"
        "バックアップを作れません（読む権限がありません）。"
    )
    assert "開けません" not in err and "保存先" not in err
    assert list(backup_dir(store).iterdir()) == []


def test_a_backup_whose_copy_cannot_be_written_names_the_copy_and_the_folder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    def disk_full(source: Path, target: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    assert cli.main(["backup", "--db", str(store)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "エラー: ストアを複製する段階で、バックアップの保存先「kpi.backups」に書き込めないため、"
        "バックアップを作れません（ディスクの空きが足りません）。"
    )
    assert "開けません" not in err
    assert list(backup_dir(store).iterdir()) == []


def test_a_backup_whose_copy_does_not_read_back_names_that_step(
    monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    monkeypatch.setattr(shutil, "copyfile", lambda _, target: Path(target).write_bytes(b"junk"))
    with pytest.raises(BackupError, match=r"^複製を読み直す段階で、"):
        backup_store(store)
    assert list(backup_dir(store).iterdir()) == []


def test_a_store_that_does_not_read_names_the_reading_step(store: Path) -> None:
    save_indicator_value(store, 3, 2025, 89.0, user="A")
    with store.open("r+b") as f:
        f.truncate(store.stat().st_size // 2)
    with pytest.raises(StoreError, match=r"^ストアを読む段階で失敗したため、"):
        backup_store(store)


# --- a chart browser that ends: said, not waited for -------------------------------------------


def test_a_request_is_given_up_when_the_browsers_thread_has_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ended = threading.Thread(target=lambda: None)
    ended.start()
    ended.join()
    monkeypatch.setattr(chart_images, "_browser_thread", lambda: ended)
    never = threading.Event()
    with pytest.raises(KomaeKpiError) as caught:
        chart_images.while_browser_runs(never.wait)
    assert str(caught.value) == chart_images.BROWSER_STOPPED
    never.set()


def test_a_request_answered_while_the_browser_runs_is_returned_or_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = threading.Event()
    alive = threading.Thread(target=running.wait, daemon=True)
    alive.start()
    monkeypatch.setattr(chart_images, "_browser_thread", lambda: alive)
    try:
        assert chart_images.while_browser_runs(lambda: b"png") == b"png"
        with pytest.raises(ValueError, match="bad figure"):
            chart_images.while_browser_runs(lambda: (_ for _ in ()).throw(ValueError("bad figure")))
    finally:
        running.set()
