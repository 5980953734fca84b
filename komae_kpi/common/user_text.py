"""The one rule for text that people put into the store, by whatever way it gets in.

The form, the importer, review comments and findings, user names and scenario names and notes all
ask text_problem before writing:

- No control characters (escape sequences, NUL, form feeds...): no one types them, and printed raw
  they drive a terminal. A multi-line field (取組実績, 課題, 今後の方向性, 備考, 所見, comments)
  allows line breaks and tabs; a one-line field (出典, names) allows neither.
- At most LONG_TEXT_LIMIT characters in a multi-line field and ONE_LINE_LIMIT in a one-line field:
  one 100,000-character field once made the report 147 pages. The limit is named in the message.

visible() is the other half: whatever an older version stored, terminal output shows control
characters as \\x1b-style escapes, never raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LONG_TEXT_LIMIT = 2_000
ONE_LINE_LIMIT = 200

# C0 controls, DEL and the C1 controls (\x9b is a terminal's one-byte CSI).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What a multi-line field may hold besides text: line breaks as typed on any system, and tabs
# (pasted from a spreadsheet).
_LINE_BREAKS_AND_TABS = frozenset("\n\r\t")


@dataclass(frozen=True, kw_only=True)
class TextRule:
    """What one field accepts: its Japanese label for messages, line breaks or not, a length."""

    label: str
    multi_line: bool

    @property
    def limit(self) -> int:
        return LONG_TEXT_LIMIT if self.multi_line else ONE_LINE_LIMIT


def multi_line(label: str) -> TextRule:
    return TextRule(label=label, multi_line=True)


def one_line(label: str) -> TextRule:
    return TextRule(label=label, multi_line=False)


# The record fields staff enter, by the model's field name (plan.model.IndicatorValue, ItemStatus).
RECORD_TEXT_RULES: dict[str, TextRule] = {
    "achievements": multi_line("取組実績"),
    "issues": multi_line("課題"),
    "next_steps": multi_line("今後の方向性"),
    "note": multi_line("備考"),
    "source": one_line("出典"),
}


def control_characters(text: str, rule: TextRule) -> list[str]:
    """The control characters the field does not allow, each once, in order of appearance."""
    found = [
        c for c in _CONTROL.findall(text) if not (rule.multi_line and c in _LINE_BREAKS_AND_TABS)
    ]
    return list(dict.fromkeys(found))


def _named(character: str) -> str:
    if character in ("\n", "\r"):
        return "改行"
    if character == "\t":
        return "タブ"
    return f"制御文字 {visible(character)}"


def text_problem(text: str | None, rule: TextRule) -> str | None:
    """Why the text cannot be stored in this field (None when it can; None and blank always can).

    >>> text_problem("会議を開催した", multi_line("取組実績")) is None
    True
    >>> text_problem("a\\x1b[2J", multi_line("取組実績"))
    '取組実績に制御文字 \\\\x1b（画面に表示されない文字）が含まれています。取り除いてください。'
    """
    if text is None:
        return None
    problems: list[str] = []
    refused = control_characters(text, rule)
    if refused:
        names = "・".join(dict.fromkeys(_named(c) for c in refused))
        problems.append(
            f"{rule.label}に{names}（画面に表示されない文字）が含まれています。取り除いてください。"
            if any(c not in _LINE_BREAKS_AND_TABS for c in refused)
            else f"{rule.label}に{names}は使えません（1行で入力する欄です）。"
        )
    if len(text) > rule.limit:
        problems.append(
            f"{rule.label}は{rule.limit:,}文字以内で入力してください（{len(text):,}文字あります）。"
        )
    return "".join(problems) or None


def text_problems(values: dict[str, str | None], rules: dict[str, TextRule]) -> list[str]:
    """text_problem for every field that has a rule, in the rules' order."""
    found = [text_problem(values.get(name), rule) for name, rule in rules.items()]
    return [p for p in found if p]


def visible(text: str, *, keep_line_breaks: bool = False) -> str:
    """The text with every control character written out (\\x1b), so printing it is harmless.

    >>> visible("a\\x1b[2Jb")
    'a\\\\x1b[2Jb'
    >>> visible("1行目\\n2行目", keep_line_breaks=True)
    '1行目\\n2行目'
    """

    def written(match: re.Match[str]) -> str:
        c = match.group()
        if keep_line_breaks and c in ("\n", "\t"):
            return c
        return f"\\x{ord(c):02x}"

    return _CONTROL.sub(written, text)
