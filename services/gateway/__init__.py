"""gateway: the single front door. Serves the (for now minimal) web UI and proxies
/api/<service>/... to the services, adding security headers to every response.

Run with `python -m services.gateway`; configured by GATEWAY_* environment variables."""
