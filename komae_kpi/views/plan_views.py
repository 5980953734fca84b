"""Small texts about the plan's items, shared by the pages and views."""

from __future__ import annotations

from komae_kpi.plan.model import Item, Plan


def item_departments_text(item: Item, plan: Plan) -> str:
    """'政策室・情報政策課・会計課・関係各課（総称）': catch-alls marked as not being departments."""
    catch_alls = {d.name for d in plan.departments if d.is_catch_all}
    return "・".join(f"{d}（総称）" if d in catch_alls else d for d in item.departments)
