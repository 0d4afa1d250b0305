"""The read-only status API (FastAPI) and its Prometheus metrics.

:func:`create_app` builds the app over a store; :class:`LiveRegistry` adds live
executor counters; :func:`serve_in_background` and :class:`LiveApi` run it inside
another event loop (``mbs run --api-port``). ``docs/api.md`` describes the routes.
"""

from mbs.api.app import create_app
from mbs.api.embed import LiveApi
from mbs.api.live import LiveCampaign, LiveFeed, LiveRegistry
from mbs.api.server import ApiBindError, serve_in_background, server_port, stop_background

__all__ = [
    "ApiBindError",
    "LiveApi",
    "LiveCampaign",
    "LiveFeed",
    "LiveRegistry",
    "create_app",
    "serve_in_background",
    "server_port",
    "stop_background",
]
