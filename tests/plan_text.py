"""An independent reading of the plan's text file, for comparing data/plan/ with it exactly.

The PDF-extracted text marks bullets with 「・」 (or, in a few items, separates them only by a space
after 「。」), wraps paragraphs in <p>/<ul> tags and breaks long names with spaces. This reads the
body (from 「7 計画」) into: item bullets, 基本事業 lead paragraphs and 方向性 ■ paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def strip_tags(line: str) -> str:
    return re.sub(r"<[^>]+>", " ", line).strip()


def bullets(block: str) -> list[str]:
    text = strip_tags(block).lstrip("・").strip()
    return [p.strip().lstrip("・") for p in re.split(r"(?<=。)\s+・?", text) if p.strip()]


@dataclass
class PlanText:
    items: dict[int, list[str]] = field(default_factory=dict)
    programs: dict[str, list[str]] = field(default_factory=dict)
    directions: dict[str, list[str]] = field(default_factory=dict)
    indicator_lines: list[str] = field(default_factory=list)


def read(text: str) -> PlanText:
    out = PlanText()
    table = text[text.index("6 指標") : text.index("7 計画\n")]
    out.indicator_lines = [line.strip() for line in table.splitlines() if line.strip()]
    lines = text[text.index("7 計画\n") :].splitlines()
    policy = direction = 0
    in_direction_lead = False
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if m := re.match(r"^施策(\d)\s", line):
            policy = int(m.group(1))
        elif m := re.match(r"^方向性(\d)\s", line):
            direction = int(m.group(1))
            out.directions[f"{policy}-{direction}"] = []
            in_direction_lead = True
        elif m := re.match(r"^基本事業(\d)\s", line):
            in_direction_lead = False
            j = i + 1
            while not lines[j].strip():
                j += 1
            paragraphs = re.findall(r"<p>(.*?)</p>", lines[j]) or [lines[j]]
            out.programs[f"{policy}-{direction}-{m.group(1)}"] = [strip_tags(p) for p in paragraphs]
            i = j
        elif m := re.match(r"^取組項目(\d+)", line):
            j = i + 1
            if "推進部署" not in line:  # name, 推進部署 and departments each on their own line
                while lines[j].strip() in ("", "推進部署"):
                    j += 1
                j += 1
            while not lines[j].strip():
                j += 1
            out.items[int(m.group(1))] = bullets(lines[j])
            i = j
        elif in_direction_lead and (line.startswith("■") or line.startswith("- ")):
            out.directions[f"{policy}-{direction}"].append(
                line.lstrip("■").removeprefix("- ").strip()
            )
        i += 1
    return out
