"""The operator's console: server-rendered pages (Jinja2) over the store, with a little
plain JavaScript for live counters (server-sent events). Every asset is served from this
package; nothing is loaded from elsewhere.

Pages ask for the same permissions as the JSON API (:mod:`mbs.api.auth`); forms carry
the session's CSRF token; an unknown visitor is sent to ``/login``.
"""

from mbs.api.console.config import ConsoleConfig
from mbs.api.console.pages import forbidden_page, install_console, login_redirect

__all__ = ["ConsoleConfig", "forbidden_page", "install_console", "login_redirect"]
