"""The studio's web server: one page (``static/``) and a small JSON API over the workspace and the session.

Routes are thin: each resolves its paths in the :class:`Workspace` and
calls the project's own readers and workflows (through :class:`Session`).
Every user error (an :class:`~echostrain.core.errors.EchoStrainError`)
becomes ``{"error": "<one line>"}`` with status 400 (413 for an upload over
the limit, 409 while another analysis runs); the page shows that line.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import asyncio
import queue

import numpy as np
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response

from echostrain.core.errors import EchoStrainError, ParameterError
from echostrain.io.contours import read_myocardium_contours
from echostrain.io import read_video
from echostrain.io._util import check_fps, check_spacing
from echostrain.studio.session import BusyError, Session, clip_summary, frame_png
from echostrain.studio.settings import StudioSettings
from echostrain.studio.workspace import UploadTooLargeError, Workspace, contour_payload
from echostrain.track import METHODS
from echostrain.workflows.clip_phases import box_region, suggest_es

#: Files of the page, served from the package (nothing from the network).
STATIC_FILES = {"studio.html": "text/html", "studio.js": "text/javascript", "studio.css": "text/css"}


def _static(name: str) -> bytes:
    return resources.files("echostrain.studio").joinpath("static", name).read_bytes()


def allowed_hosts(host: str) -> list[str]:
    """Host names the server answers to: this machine's names, or any when it listens on all interfaces."""
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return sorted({host, "127.0.0.1", "localhost", "[::1]"})


def create_app(settings: StudioSettings):
    """The FastAPI application of a studio over ``settings.workspace``."""
    workspace = Workspace(settings.workspace)
    session = Session(workspace)
    app = FastAPI(title="echostrain studio", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.session = session
    # another site's page cannot reach the API through a name that points here (DNS rebinding)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings.host))

    @app.exception_handler(Exception)
    async def bug(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())}); "
                                      "please report it"}, status_code=500)

    @app.exception_handler(EchoStrainError)
    async def user_error(_request: Request, exc: EchoStrainError) -> JSONResponse:
        status = 413 if isinstance(exc, UploadTooLargeError) else 409 if isinstance(exc, BusyError) else 400
        return JSONResponse({"error": " ".join(str(exc).split())}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
                             for e in exc.errors())
        return JSONResponse({"error": f"bad request ({problems})"}, status_code=400)

    @app.get("/")
    def page() -> Response:
        return Response(_static("studio.html"), media_type="text/html")

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STATIC_FILES:
            return JSONResponse({"error": f"no page file {name}"}, status_code=404)
        return Response(_static(name), media_type=STATIC_FILES[name])

    @app.get("/api/state")
    def state() -> dict[str, Any]:
        return {"workspace": workspace.root.name, "clips": workspace.clips(settings.clips), "methods": list(METHODS),
                "max_upload_mb": settings.max_upload_mb, "job": session.job_state()}

    @app.get("/api/clip")
    def clip(path: str) -> dict[str, Any]:
        p = workspace.resolve(path)
        info = clip_summary(workspace.relative(p), session.video(p))
        saved = workspace.contour_path(p)
        if saved.is_file():
            try:
                c = read_myocardium_contours(saved, (info["height"], info["width"]))
                info["contour"] = {"endo": c["endo"].tolist(), "epi": c["epi"].tolist(), "view": c["view"],
                                   "frame": c["frame"]}
            except EchoStrainError:
                info["contour"] = None
        info["analysed"] = session.analysed(p)
        return info

    @app.get("/api/frame")
    def frame(path: str, t: int) -> Response:
        p = workspace.resolve(path)
        return Response(frame_png(session.video(p), t), media_type="image/png",
                        headers={"Cache-Control": "max-age=3600"})

    @app.put("/api/upload")
    async def upload(request: Request, name: str) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes:
            raise UploadTooLargeError(
                f"upload {name} ({int(declared) / 2**20:.0f} MiB) is larger than the limit of "
                f"{settings.max_upload_mb:.0f} MiB; start the studio with a larger --max-upload-mb"
            )
        chunks = queue.SimpleQueue()
        worker = asyncio.get_running_loop().run_in_executor(
            None, lambda: workspace.save_upload(name, iter(chunks.get, None), settings.max_upload_bytes,
                                                check=read_video))
        try:
            async for chunk in request.stream():
                if worker.done():  # refused (too large, bad name) before the body ended
                    break
                chunks.put(chunk)
        finally:
            chunks.put(None)
        saved = await worker
        return {"path": workspace.relative(saved)}

    @app.post("/api/contour")
    async def contour(request: Request) -> dict[str, Any]:
        body = await _json(request)

        def work() -> dict[str, Any]:
            p = workspace.resolve(body.get("path"))
            video = session.video(p)
            payload = contour_payload(body, video.frames.shape[0])
            fps = check_fps(body.get("fps"), "the frame rate")
            region = box_region(np.asarray(payload["endo"]), video.frames.shape[1:])
            saved = workspace.save_contour(p, payload, video.frames.shape[1:], check=read_myocardium_contours)
            es = suggest_es(video, payload["frame"], region=region, fps=fps)
            return {"saved": workspace.relative(saved), "es_suggestion": es}

        return await run_in_threadpool(work)

    @app.post("/api/analyze")
    async def analyze(request: Request) -> JSONResponse:
        body = await _json(request)
        await run_in_threadpool(_start, body)
        return JSONResponse(session.job_state(), status_code=202)

    def _start(body: dict[str, Any]) -> None:
        p = workspace.resolve(body.get("path"))
        contour_file = workspace.contour_path(p)
        if not contour_file.is_file():
            raise ParameterError("no saved contour for this clip; draw the ED contour and save it first")
        ed, es = body.get("ed_frame", 0), body.get("es_frame")
        if isinstance(ed, bool) or not isinstance(ed, int) or ed < 0:
            raise ParameterError(f"the ED frame must be a frame index ≥ 0, got {ed!r}")
        if es is not None and (isinstance(es, bool) or not isinstance(es, int)):
            raise ParameterError(f"the ES frame must be a frame index after the ED frame ({ed}), got {es!r}")
        session.start_analysis(p, contour_file, method=str(body.get("method", "tasnet")),
                               spacing_mm=check_spacing(body.get("spacing_mm"), "the pixel size"),
                               fps=check_fps(body.get("fps"), "the frame rate"), ed_frame=ed, es_frame=es,
                               view=body.get("view"))

    @app.get("/api/job")
    def job() -> dict[str, Any]:
        return session.job_state()

    @app.get("/api/result")
    def result(path: str) -> dict[str, Any]:
        return session.result(workspace.resolve(path))

    @app.get("/files/{path:path}")
    def files(path: str) -> FileResponse:
        return FileResponse(workspace.report_file(path))

    return app


async def _json(request: Request) -> dict[str, Any]:
    """The JSON object of a request; only ``application/json`` (a form of another site cannot send it)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise ParameterError("send the request body as application/json")
    try:
        body = await request.json()
    except ValueError:
        raise ParameterError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise ParameterError("the request body must be a JSON object")
    return body


def listening_socket(host: str, port: int):
    """A socket bound to ``host:port`` (port 0: any free one); ParameterError if the address is taken."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ParameterError(f"cannot listen on {host}:{port} ({exc.strerror}); give another `port` or `host`") from None
    sock.listen(64)
    return sock


def serve(settings: StudioSettings, *, announce=print) -> None:
    """Run the studio until interrupted; ``announce`` gets the address line."""
    import uvicorn

    sock = listening_socket(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    announce(f"echostrain studio: http://{host}:{port}/ (workspace {settings.workspace}; Ctrl-C stops)")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
