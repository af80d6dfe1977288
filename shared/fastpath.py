"""Hot routes: a request to one of a few busy endpoints goes straight to its function.

Why: on the push API, FastAPI's per-request machinery — matching the path against every
route of every included router, the per-route exception and exit-stack layers, dependency
solving for a bare ``Request`` parameter — cost a busy intake worker about a third of its
CPU, more than the endpoint itself (py-spy, docs/performance.md). A hot route is still an
ordinary FastAPI route (declared, documented in the OpenAPI, served by the router when the
fast path is off); this middleware only finds it first. It sits inside the app's own
middlewares (request id, access log, body limit), and an error raised by the endpoint is
answered by the app's own exception handler for it, so the answer is the same byte for byte.
An error with no handler but the catch-all goes on to the server-error layer, as before.

A hot endpoint takes only the ``Request`` and returns a ``Response``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class HotRoutesMiddleware:
    """Serve the hot routes of ``routes`` (those whose endpoint is in ``hot``) directly.

    ``routes`` are the routes as declared on the routers the app includes without a prefix
    (so a route's ``path`` is the path it answers at)."""

    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute], hot: Iterable[Endpoint]) -> None:
        self.app = app
        wanted = set(hot)
        self.routes: dict[tuple[str, str], BaseRoute] = {}
        for route in routes:
            endpoint = getattr(route, "endpoint", None)
            if endpoint in wanted:
                for method in getattr(route, "methods", None) or ():
                    self.routes[(method, route.path)] = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = (
            self.routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if route is None or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # as the router would set it (the access line's route template)
        request = Request(scope, receive)
        try:
            response = await route.endpoint(request)
        except Exception as exc:
            handler = _handler_for(scope["app"].exception_handlers, exc)
            if handler is None:
                raise
            response = handler(request, exc)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)


def _handler_for(handlers: dict[Any, Any], exc: Exception) -> Any:
    """The app's handler for ``exc`` (nearest class first), leaving the catch-all to the
    server-error layer, which also logs the traceback."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
