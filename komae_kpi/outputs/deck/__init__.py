"""The reform HQ's meeting deck: layout.py is a small PowerPoint layout kit, slides.py the slides."""

from komae_kpi.outputs.deck.slides import DeckSummary, build_meeting_deck, write_meeting_deck

__all__ = ["DeckSummary", "build_meeting_deck", "write_meeting_deck"]
