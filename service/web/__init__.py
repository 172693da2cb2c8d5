"""The web pages: a caseworker's desk and an organiser's desk, server-rendered, in Chinese.

:func:`install_pages` mounts them on the API's FastAPI app (``create_app`` calls it once). The
pages call the same :class:`matcher.app.Application` the API calls and enforce the same roles and
county scope (see ``docs/pages.md``)::

    /login /logout                       a key turned into a session cookie
    /people  /people/{id}  /people/{id}/card  /villages/{code}/cards
    /posts   /posts/{id}   /report   /fairs   /fairs/{id}
"""

from __future__ import annotations

from typing import Any

__all__ = ["install_pages"]


def install_pages(app: Any) -> None:
    """Add the pages' routes and their static files (``/static``) to ``app``.

    Routes at addresses the API also answers (``/fairs``) go first, and yield to the API
    unless a browser asks (:class:`service.web.routing.PageRoute`).
    """
    from starlette.staticfiles import StaticFiles

    from service.web import auth, fairs, people, posts, report
    from service.web.render import STATIC

    for module in (auth, people, posts, report):
        app.include_router(module.router)
    # The fairs' pages share /fairs with the API: they go first and yield unless a browser asks.
    before = len(app.router.routes)
    app.include_router(fairs.router)
    added = app.router.routes[before:]
    app.router.routes[:] = added + app.router.routes[:before]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.web_sessions = None
