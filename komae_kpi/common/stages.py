"""The stage of an actual: 見込 (estimate), 決算 (settled) or 確定 (final), in that order.

A figure shown at the summer 推進本部 is often a 決算見込 that changes once the 決算 is settled; a
settled figure may later be confirmed (確定). Every actual carries its stage, and the one rule about
stages is here: a value of a later or the same stage replaces the value in force, a value of an
earlier stage never does (a 見込 that arrives after the 決算 of the same year is not applied). The
store applies the rule to every write (store/record_changes.stage_refusal); a judgement resting on
a 見込 is 暫定 (judgement/indicator_status.Assessment.provisional).

Codes, labels, order and what a file or a person may write for each stage are defined only here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, get_args

Stage = Literal["estimate", "settled", "final"]
# In order, the earliest first: a stage replaces those before it, never those after.
STAGES: tuple[Stage, ...] = get_args(Stage)
# What an actual is when nothing says otherwise: every value before stages existed, the shipped
# history and the plan's baselines, and a file without a 区分 column.
DEFAULT_STAGE: Stage = "settled"
PROVISIONAL_STAGE: Stage = "estimate"

_WORDS: dict[Stage, tuple[str, tuple[str, ...]]] = {
    # (label, the other words a file or a person may write for it; the code is accepted too)
    "estimate": ("見込", ("見込み", "決算見込", "決算見込み", "見込値", "速報", "速報値")),
    "settled": ("決算", ("決算値",)),
    "final": ("確定", ("確定値",)),
}
STAGE_LABELS: dict[Stage, str] = {s: label for s, (label, _) in _WORDS.items()}


def _key(text: str) -> str:
    """Compared as typed in any width and case, without spaces: 「 決算見込 」, 'Estimate'."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


_BY_WORD: dict[str, Stage] = {
    _key(word): stage
    for stage, (label, others) in _WORDS.items()
    for word in (stage, label, *others)
}


def parse(text: str) -> Stage | None:
    """The stage a word names, or None: '決算見込' and '速報' → 'estimate', 'settled' → 'settled'."""
    return _BY_WORD.get(_key(text))


def label(stage: Stage) -> str:
    """'見込', '決算', '確定'."""
    return STAGE_LABELS[stage]


def rank(stage: Stage) -> int:
    """0 for 見込, 1 for 決算, 2 for 確定."""
    return STAGES.index(stage)


def replaces(new: Stage, in_force: Stage) -> bool:
    """Whether a value of stage `new` may replace one of stage `in_force`: the same or a later
    stage does (決算 replaces 見込, a corrected 決算 replaces 決算); an earlier one never does."""
    return rank(new) >= rank(in_force)


def accepted_words() -> str:
    """'見込・決算・確定' for messages."""
    return "・".join(STAGE_LABELS.values())
