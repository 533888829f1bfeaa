"""``X-Queries``: how many SQL queries this process ran while it handled the request.

Every database connection the process opens gets an execute wrapper that counts into one
process-wide counter; the middleware, first in ``MIDDLEWARE``, reports the difference. The
servers the multi-process test starts handle one request at a time, so the count is that
request's own, including a registry rebuild triggered inside ``CookieConsentMiddleware``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.db import connection
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Queries"

_lock = threading.Lock()
_count = 0


def _counting(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    global _count
    with _lock:
        _count += 1
    return execute(sql, params, many, context)


def _install(*, connection: Any, **kwargs: Any) -> None:
    if _counting not in connection.execute_wrappers:
        connection.execute_wrappers.append(_counting)


connection_created.connect(_install)


class QueryCountMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        _install(connection=connection)
        before = _count
        response: HttpResponseBase = self.get_response(request)
        response[HEADER] = str(_count - before)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        before = _count
        response: HttpResponseBase = await self.get_response(request)
        response[HEADER] = str(_count - before)
        return response
