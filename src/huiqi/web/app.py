"""The web application: the JSON API under /api, the Chinese web pages, static assets shipped in the package.

    uvicorn huiqi.web.app:app        (or: huiqi serve)

Security: a request-size limit, security headers on every response, no CORS (same origin only),
no stack traces to clients, 422 validation errors with the field path and a Chinese message.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huiqi import __version__
from huiqi.rules.pack import load_pack
from huiqi.search.service import get_index
from huiqi.storage.db import DatabaseMissing
from huiqi.web import admin_api, api, pages

MAX_BODY_BYTES = 256 * 1024
STATIC = Path(__file__).parent / "static"
log = logging.getLogger("huiqi.web")

SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
    b"content-security-policy": b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}

_ERROR_WORDS = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "int_parsing": "应为整数",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "literal_error": "取值不在允许范围内",
    "dict_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "json_invalid": "不是有效的 JSON",
}


class GuardMiddleware:
    """Adds security headers and refuses bodies over MAX_BODY_BYTES (413), streamed or declared."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = admin_api.upload_body_limit(scope["path"]) or MAX_BODY_BYTES  # material uploads may be larger
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in SECURITY_HEADERS]
                message["headers"] = headers + list(SECURITY_HEADERS.items())
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            await _too_large(scope, send, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    response = JSONResponse({"detail": f"请求内容过大（上限 {limit // 1024} KB）"}, status_code=413)
    await response(scope, None, send)  # type: ignore[arg-type]


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    warm_up()
    yield


def warm_up() -> None:
    """Load the rule pack and the search index before serving: left to the first requests, fifty of them
    arriving at once would each start the same two-second load on the worker threads."""
    load_pack()
    try:
        get_index()
    except DatabaseMissing as exc:
        log.warning("%s", exc)
    # The pack, the index and the dictionaries are loaded for good: keep the collector from walking
    # their hundreds of thousands of objects again and again (pauses of tens of ms under load).
    gc.freeze()


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="惠企 huiqi API",
        version=__version__,
        description="天津企业与人才扶持政策：检索、规则与计算。字段与命令行 --json 输出一致。",
    )
    app.include_router(api.router)
    admin_api.install(app)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e["loc"]), "msg": _ERROR_WORDS.get(e["type"], e["msg"]), "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(DatabaseMissing)
    async def database_missing(_request: Request, exc: DatabaseMissing) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api") or exc.status_code not in (404, 405):
            return JSONResponse({"detail": exc.detail if exc.status_code != 404 or isinstance(exc.detail, str) and exc.detail != "Not Found" else "找不到该资源"}, status_code=exc.status_code)
        return pages.error_page(request, exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"detail": "服务器内部错误，请稍后再试"}, status_code=500)

    app.add_middleware(GuardMiddleware)
    return app


app = create_app()
