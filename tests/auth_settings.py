"""The [auth] settings the AppTests give the dashboard (no provider answers at this address: the
AppTests seed st.user instead of signing in)."""

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-test-secret-of-enough-length",
    "client_id": "komae-kpi",
    "client_secret": "client-secret",
    "server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration",
}
