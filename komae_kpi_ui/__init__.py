"""The only Streamlit-aware helpers: caching and the shared page frame. komae_kpi never imports this."""
