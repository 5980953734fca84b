"""Command-line benchmark: --help and the refusal of a zip bomb, beside the interpreter's floor.

Measured side by side in one run, interleaved, each a fresh `python` process, as a person runs it:
- floor: `python -c "import komae_kpi"` (the interpreter and the package, nothing else);
- `python -m komae_kpi --help`;
- `import`, `peers import` and `scenario import` of a 2.6 MB .xlsx whose sheet claims 1 GiB of
  XML (the bomb of tests/test_read_limits.py), each refused, on a fresh store.
Wall time and peak RSS of each process. The issue's goal: a refusal in about a second
and about 200 MB, whatever the file claims to hold. This reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from komae_kpi.store.connection import init_store  # noqa: E402
from tests.test_read_limits import MIB, _bomb  # noqa: E402  # the bomb the tests refuse

GOAL_SECONDS = 1.0
GOAL_MB = 200


@dataclass(frozen=True, kw_only=True)
class Run:
    seconds: float
    peak_mb: float
    returncode: int


def targets(store: Path, bomb: Path) -> dict[str, list[str]]:
    python = sys.executable
    cli = [python, "-m", "komae_kpi"]
    db = ["--db", str(store)]
    return {
        'floor: python -c "import komae_kpi"': [python, "-c", "import komae_kpi"],
        "--help": [*cli, "--help"],
        "import BOMB --dry-run": [*cli, "import", str(bomb), "--dry-run", *db],
        "peers import BOMB --dry-run": [*cli, "peers", "import", str(bomb), "--dry-run", *db],
        "scenario import BOMB --dry-run": [*cli, "scenario", "import", str(bomb), "--dry-run", *db],
    }


# Run in a fresh, small parent: a child's peak RSS counts what it shared with its parent when
# forked, and the benchmark's own process, having built the bomb, is far larger than a shell.
_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(seconds, peak, done.returncode)
"""


def measure(command: list[str]) -> Run:
    """One fresh process: its wall time, and its own peak RSS (not the benchmark's)."""
    # cwd: this checkout's komae_kpi, whichever one the environment has installed.
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak_kib, returncode = done.stdout.split()
    return Run(seconds=float(seconds), peak_mb=int(peak_kib) / 1024, returncode=int(returncode))


def run(rounds: int) -> dict[str, list[Run]]:
    with tempfile.TemporaryDirectory(prefix="komae-kpi-bench-") as folder:
        store = Path(folder) / "kpi.duckdb"
        init_store(store)
        bomb = Path(folder) / "爆弾.xlsx"
        bomb.write_bytes(_bomb(1024 * MIB))
        commands = targets(store, bomb)
        for command in commands.values():  # a warm-up, so that every round reads warm files
            measure(command)
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, command in commands.items():  # interleaved: the machine's load hits all
                runs[name].append(measure(command))
    return runs


def report(runs: dict[str, list[Run]], rounds: int) -> str:
    names = list(runs)
    floor = statistics.median(r.seconds for r in runs[names[0]])
    lines = [
        "# bench/: the command line's --help and refusals",
        "",
        f"{dt.date.today().isoformat()}, {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {rounds} rounds, medians. Written by `bench/cli_refusal.py`.",
        "",
        "| command | median (s) | runs (s) | × floor | peak RSS (MB) | exit |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for name in names:
        seconds = [r.seconds for r in runs[name]]
        median = statistics.median(seconds)
        peak = max(r.peak_mb for r in runs[name])
        codes = sorted({r.returncode for r in runs[name]})
        lines.append(
            f"| {name} | {median:.2f} | {', '.join(f'{s:.2f}' for s in seconds)} | "
            f"{median / floor:.2f} | {peak:.0f} | {', '.join(map(str, codes))} |"
        )
    refusals = names[2:]
    slowest = max(statistics.median(r.seconds for r in runs[n]) for n in refusals)
    largest = max(r.peak_mb for n in refusals for r in runs[n])
    met = slowest <= GOAL_SECONDS and largest <= GOAL_MB
    lines += [
        "",
        f"- The slowest refusal takes {slowest:.2f} s and at most {largest:.0f} MB "
        f"(goal: about {GOAL_SECONDS:g} s and {GOAL_MB} MB): {'met' if met else 'not met'}.",
        "- BOMB: a 2.6 MB .xlsx whose sheet claims 1 GiB of XML, refused from its zip directory. "
        "`import` and `peers import` refuse it without opening the store; `scenario import` "
        "opens it first (it reads a file against the plan the store holds).",
        "- The peak RSS column is the largest of the runs; the floor is the interpreter and the "
        "package alone.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--write", type=Path, help="write the report here (markdown)")
    args = parser.parse_args()
    text = report(run(args.rounds), args.rounds)
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
