"""計画の体系: the plan as published — its indicators and its 施策 → 方向性 → 基本事業 → 取組項目."""

from __future__ import annotations

import streamlit as st

from komae_kpi import plan_views
from komae_kpi_ui import store_access


def show() -> None:
    plan = store_access.snapshot().plan
    st.title("計画の体系")
    st.caption(f"3施策・8方向性・21基本事業・{plan_views.item_count_text(plan)}と8つの指標")

    st.header("指標")
    st.dataframe(plan_views.indicator_table(plan), hide_index=True, width="stretch")
    for indicator in plan.indicators:
        if indicator.note:
            st.caption(f"指標{indicator.indicator_no}: {indicator.note}")

    with st.expander("指標の判定基準（達成・順調・注意・遅れ・未入力）"):
        for row in plan_views.criteria_table(plan).itertuples(index=False):
            st.markdown(f"**{row[0]}. {row[1]}**")
            st.text(row[2])

    st.header("取組項目")
    for policy in plan_views.plan_tree(plan):
        st.subheader(f"施策{policy.policy_no} {policy.name}")
        for direction in policy.directions:
            with st.expander(f"方向性{direction.code} {direction.name}"):
                st.text(direction.lead)
                for program_view in direction.programs:
                    program = program_view.program
                    st.markdown(f"**基本事業{program.code} {program.name}**")
                    for item in program_view.items:
                        st.text(
                            f"取組項目{item.item_no} {item.display_name}"
                            f"（推進部署: {plan_views.item_departments_text(item, plan)}）"
                        )


show()
