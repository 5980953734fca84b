"""Text for Streamlit's message boxes, which render Markdown: escaped so it shows as typed."""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be escaped with a backslash; Streamlit adds :shortcodes:
# and :color[...] directives, which the escaped colon and brackets also disarm.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")


def literal(text: str) -> str:
    """Markdown that renders as exactly `text` (file names and values quoted in messages)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")
