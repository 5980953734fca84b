"""How statuses look: an icon and a word always, a colour as well (never colour alone).

Colours are from the Okabe-Ito palette, which stays distinguishable with the common forms of colour
blindness; badge colour names are Streamlit's own set, and "neutral" (the baseline year's 現状値) is
ours (komae_kpi_ui/style.css).
"""

from __future__ import annotations

from komae_kpi.judgement.indicator_status import (
    STATUS_ICONS,
    STATUS_LABELS,
    Assessment,
    StatusCode,
)

STATUS_HEX: dict[StatusCode, str] = {
    "achieved": "#0072B2",  # blue
    "on_track": "#009E73",  # bluish green
    "at_risk": "#E69F00",  # orange
    "off_track": "#D55E00",  # vermilion
    "no_data": "#7F7F7F",  # grey
    "baseline": "#56B4E9",  # sky blue: neutral, neither good nor bad
}
STATUS_BADGE: dict[StatusCode, str] = {
    "achieved": "blue",
    "on_track": "green",
    "at_risk": "orange",
    "off_track": "red",
    "no_data": "gray",
    "baseline": "neutral",  # our own class (style.css): the 現状値 is not a judgement
}

# Item statuses (the plan's vocabulary) and 未報告.
ITEM_STATUS_ICONS: dict[str, str] = {
    "完了": "◎",
    "順調": "○",
    "やや遅れ": "△",
    "遅れ": "×",
    "未着手": "□",
    "見直し": "◇",
    "未報告": "－",
}


def indicator_status_text(status: StatusCode) -> str:
    """'△ 注意'."""
    return f"{STATUS_ICONS[status]} {STATUS_LABELS[status]}"


def assessment_status_text(a: Assessment) -> str:
    """'△ 注意', or for a judgement resting on a 見込 value '△ 注意（暫定）'."""
    return indicator_status_text(a.status) + a.provisional_mark


# The class of a status label's cell or badge: its words never break inside (「○順/調」), whatever
# the column's width (komae_kpi_ui/style.css, the report's CSS).
STATUS_LABEL_CLASS = "kpi-status"
_STATUS_ICONS = frozenset(STATUS_ICONS.values()) | frozenset(ITEM_STATUS_ICONS.values())


def is_status_text(text: object) -> bool:
    """Whether a cell is a status label as drawn here: an icon, a space, a word ('○ 順調',
    '－ 未報告', '△ 注意（暫定）'); not a figure such as '△1.2' or a bare '－'."""
    return isinstance(text, str) and len(text) > 2 and text[0] in _STATUS_ICONS and text[1] == " "


def item_status_text(status: str) -> str:
    """'○ 順調'; an unknown term is shown as it is."""
    icon = ITEM_STATUS_ICONS.get(status)
    return f"{icon} {status}" if icon else status


PENDING_TAG = "［承認待ち］"


def pending_text(text: str, pending: bool) -> str:
    """A shown value marked when it comes from a submission waiting for approval."""
    return f"{text}{PENDING_TAG}" if pending else text
