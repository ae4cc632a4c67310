"""gateway: the single front door. Serves the web UI (services/gateway/ui: server-rendered
pages, GOV.UK Frontend and htmx from npm served under /assets/, Swedish and English) and
proxies /api/<service>/... to the services, with shared encrypted sessions, CSRF checks,
body limits and a strict Content-Security-Policy on every response.

Run with `python -m services.gateway`; configured by GATEWAY_* environment variables."""
