"""`searchkit serve`: an HTTP adapter over ``searchkit.Searcher`` (JSON API and a search page).

Needs the ``serve`` extra (``pip install 'searchkit[serve]'``: Starlette, uvicorn,
Jinja2); the core install does not. ``require_extra`` says so as a ServeError
before anything of it is imported. The server does no searching of its own:
every answer is one Searcher call, serialised (see ``searchkit.serve.models``).
"""

from __future__ import annotations

import importlib

from searchkit.errors import ServeError

EXTRA_MODULES = ("starlette", "uvicorn", "jinja2")
"""What the serve extra installs, by import name."""


def require_extra() -> None:
    """Raise ServeError naming the install command when the serve extra is missing."""
    missing = []
    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ServeError(
            f"searchkit serve needs {', '.join(missing)}: "
            f"install them with pip install 'searchkit[serve]'"
        )
