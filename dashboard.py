"""Entry point: `streamlit run dashboard.py`. The router itself is komae_kpi_ui/app.py."""

from komae_kpi_ui import app

app.main()
