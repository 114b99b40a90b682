"""The read API under /api/v1/: the dashboard's figures by address, for other tools (routes.py), described by an
OpenAPI document (openapi.py), with a rate limit per client (limits.py). `impact.ui.web.routes` mounts it in the
dashboard's own process; who may read what is asked of impact.domain.access, as the pages ask it."""
