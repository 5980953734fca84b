"""Floor: a bare one-line Streamlit page, served at "/" and at "/page".

The second path is there because Streamlit serves a page at a sub-path about 60 ms slower than the
same page at "/" (measured in bench/), so the dashboard's sub-path pages get a floor served the
same way. The navigation is hidden; the page is the one line.
"""

import streamlit as st


def home() -> None:
    st.write("ok")


def page() -> None:
    st.write("ok")


st.navigation(
    [st.Page(home, title="floor", default=True), st.Page(page, title="floor", url_path="page")],
    position="hidden",
).run()
