"""Entry point: `streamlit run dashboard.py`.

Streamlit serves the st.App named `app` below (komae_kpi_ui/server_app.py: what runs once when the
server starts, and the answer to a nested address). Each visitor's script run executes this file
as __main__, which runs the router (komae_kpi_ui/app.py).
"""

import streamlit as st

if __name__ == "__main__":
    from komae_kpi_ui import app as router

    router.main()
else:
    from komae_kpi_ui import server_app

    app = st.App(__file__, lifespan=server_app.lifespan, middleware=server_app.MIDDLEWARE)
