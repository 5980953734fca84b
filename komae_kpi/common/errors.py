"""The product's typed errors. Every message is Japanese and meant to be shown to staff as is."""

from __future__ import annotations

from pathlib import Path


class KomaeKpiError(Exception):
    """An expected problem: shown to the user without a traceback."""


class StoreMissingError(KomaeKpiError):
    """The store file does not exist yet."""


class StoreBusyError(KomaeKpiError):
    """Another process holds the store file and did not release it in time.

    The message names no path (pages show it as is); path is the store, for the command line.
    """

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        self.path = path
        super().__init__(message)


class StoreError(KomaeKpiError):
    """The store file could not be opened or is not a komae-kpi store."""


class StoreFaultError(StoreError):
    """The engine or the OS refused the store file itself (komae_kpi.store.connection.store_fault).

    The message says what happened and what to do and names no path, so that a page may show it
    as is; path is the store, which the command line names as well.
    """

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        self.path = path
        super().__init__(message)


class StoreCorruptError(StoreFaultError):
    """The file is not a DuckDB database, or part of it cannot be read back (cut short, damaged)."""


class StoreUnreadableError(StoreFaultError):
    """The file may not be read (permissions), or is not a file at all."""


class StoreReadOnlyError(StoreFaultError):
    """A change was to be written but the file or its folder may not be written."""


class StoreFullError(StoreFaultError):
    """The disk is full: nothing (more) could be written."""


class BackupError(KomaeKpiError):
    """A backup could not be made, or its copy did not read back; no backup file was left."""


class PlanDataError(KomaeKpiError):
    """The plan files in data/plan/ are inconsistent. Lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("計画データに問題があります:\n" + "\n".join(f"- {p}" for p in problems))


class PlanConflictError(KomaeKpiError):
    """Applying the plan files would orphan data that users entered; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "計画データの変更により、入力済みのデータが参照先を失うため、更新を中止しました"
            "（ストアは変更されていません）:\n" + "\n".join(f"- {p}" for p in problems)
        )


class ValidationError(KomaeKpiError):
    """A value to be saved is not acceptable; lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ConcurrentEditError(KomaeKpiError):
    """The record changed between reading it into a form and saving; nothing was written.

    current is the record as it is now (None if it was deleted), yours the one that was not saved.
    """

    def __init__(self, current: object, yours: object) -> None:
        self.current = current
        self.yours = yours
        super().__init__(
            "この記録は、画面を開いた後で別の人が変更しました。上書きせずに保存を中止しました。"
            "相手の内容と入力内容を見比べてから、もう一度保存してください。"
        )


class StalePreviewError(KomaeKpiError):
    """The store changed between an import's preview and its application; nothing was written."""


class PermissionDeniedError(KomaeKpiError):
    """The acting person's role or departments do not allow this; nothing was written.

    Every problem starts with 「権限がありません：」 and names the record or action refused.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
