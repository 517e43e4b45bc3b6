"""HTTP API (FastAPI) over one KnowledgeBase: search, figures, documents, queued ingest.

    ictrag serve --index manuals --port 8000 --token "$TOKEN"

Searches run concurrently in the server's thread pool on one open index (read side of an
RWLock); uploads are ingested by one background worker, one job at a time (write side).
The OpenAPI schema is at /openapi.json, the interactive docs at /docs.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ictrag.figures.query import AmbiguousNode, GraphQueryError
from ictrag.index.figures import AmbiguousFigure, FigureNotFound
from ictrag.interfaces.jobs import Busy, IngestQueue, Job, RWLock
from ictrag.load import SUPPORTED_SUFFIXES
from ictrag.views import (
    InterfaceError,
    clean_figure_id,
    figure_image,
    figure_view,
    page_text,
)

TOKEN_ENV = "ICTRAG_API_TOKEN"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_BEARER = HTTPBearer(auto_error=False)
DocParam = Annotated[str | None, Query(max_length=500, description="Document id, title, file name or path.")]  # noqa: E501
NodeParam = Annotated[str, Query(min_length=1, max_length=300, description="A node's label (case- and space-insensitive, or a unique part of it).")]  # noqa: E501


class ServeError(RuntimeError):
    """The server cannot start as configured; one line for the user."""


class ServerConfig(BaseModel):
    token: str | None = None
    """Bearer token; when set every route but /healthz and the schema needs it."""
    max_upload_mb: float = 100.0
    max_body_kb: float = 64.0
    """Limit for every request body except uploads."""
    max_query_chars: int = 2000
    max_k: int = 50
    busy_timeout_s: float = 120.0
    """How long a read waits for a running ingest before answering 503."""
    max_queued_jobs: int = 100


class SearchRequest(BaseModel):
    q: str = Field(min_length=1)
    k: int = Field(5, ge=1)
    kind: Literal["text", "figure"] | None = None
    doc: str | None = Field(None, max_length=500)
    figure_type: str | None = Field(None, max_length=40)
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"


# --- request size -----------------------------------------------------------------------


class BodyLimit:
    """413 for a body over its route's limit: at once by Content-Length, or as soon as a
    streamed (chunked) body passes it; the app then sees a disconnect and its reply is
    dropped."""

    def __init__(self, app: ASGIApp, default: int, uploads: int) -> None:
        self.app, self.default, self.uploads = app, default, uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.uploads if scope["path"] == "/ingest" else self.default
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        started = responded = False

        async def counted() -> Message:
            nonlocal seen, responded
            if responded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not started:
                        await _too_large(send, limit)
                        responded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if responded:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not responded:  # the app's failure after our 413 is only the disconnect
                raise


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse({"detail": f"request body over {limit} bytes"}, status_code=413)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


# --- helpers ----------------------------------------------------------------------------


def upload_name(raw: str | None) -> str:
    """A client's file name, or a clear refusal: no folders, no dot files, known suffix."""
    name = (raw or "").strip()
    if not name or any(c in name for c in "/\\\x00") or name.startswith(".") or ".." in name:
        raise InterfaceError(f"invalid upload file name: {name!r}")
    safe = _UNSAFE.sub("_", name)[-200:].lstrip(".") or "upload"
    if Path(safe).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InterfaceError(f"unsupported file type: {Path(safe).suffix or 'none'}")
    return safe


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_app(kb: Any, config: ServerConfig | None = None) -> FastAPI:
    config = config or ServerConfig()
    lock = RWLock()
    state: dict[str, IngestQueue] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with lock.write():  # open the shard and load the model once, before any request
            _ = kb.store
            kb.embedder.encode_query("warm up")
        state["queue"] = IngestQueue(kb, lock, max_queued=config.max_queued_jobs)
        yield
        state["queue"].close()
        with lock.write():
            kb.close()

    def auth(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]) -> None:
        if config.token is None:
            return
        given = creds.credentials if creds else ""
        if not hmac.compare_digest(given.encode(), config.token.encode()):
            raise HTTPException(401, "missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})  # fmt: skip

    app = FastAPI(
        title="ictrag",
        summary="Hybrid search over ICT manuals, with figures as logical text.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(
        BodyLimit,
        default=int(config.max_body_kb * 1024),
        uploads=int(config.max_upload_mb * 1024 * 1024),
    )
    protected = [Depends(auth)]

    @app.exception_handler(Busy)
    async def _busy(request: Request, error: Busy) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(InterfaceError)
    async def _bad(request: Request, error: InterfaceError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    def read():
        return lock.read(timeout=config.busy_timeout_s)

    def run_search(request: SearchRequest) -> dict[str, Any]:
        if len(request.q) > config.max_query_chars:
            raise InterfaceError(f"query over {config.max_query_chars} characters")
        k = min(request.k, config.max_k)
        with read():
            hits = kb.search(request.q, k=k, kind=request.kind, doc=request.doc,
                             figure_type=request.figure_type, mode=request.mode)  # fmt: skip
        out = []
        for hit in hits:
            data = hit.to_json()
            if data["figure"]:
                data["figure"]["image_url"] = f"/figures/{data['figure']['id']}.png"
            out.append(data)
        return {"query": request.q, "k": k, "hits": out}

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, Any]:
        """Liveness; needs no token."""
        return {"ok": True, "index": str(kb.path)}

    @app.get("/search", dependencies=protected, tags=["search"])
    def search_get(
        q: Annotated[str, Query(min_length=1, description="The question or keywords.")],
        k: Annotated[int, Query(ge=1)] = 5,
        kind: Literal["text", "figure"] | None = None,
        doc: Annotated[str | None, Query(max_length=500)] = None,
        figure_type: Annotated[str | None, Query(max_length=40)] = None,
        mode: Literal["hybrid", "dense", "bm25"] = "hybrid",
    ) -> dict[str, Any]:
        """Hybrid search; hits in the shape of `ictrag query --json`, figures with image_url."""
        return run_search(SearchRequest(q=q, k=k, kind=kind, doc=doc, figure_type=figure_type, mode=mode))  # fmt: skip

    @app.post("/search", dependencies=protected, tags=["search"])
    def search_post(request: SearchRequest) -> dict[str, Any]:
        """The same search with a JSON body."""
        return run_search(request)

    def find_figure(figure_id: str, doc: str | None = None):
        fid = clean_figure_id(figure_id)
        with read():
            found = kb.figure(fid, doc)
            places = kb.figures(fid, labels=False) if found else []
        if found is None:
            raise HTTPException(404, "no such figure")
        return (*found, places)

    @app.get("/figures/{figure_id}.png", dependencies=protected, tags=["figures"],
             response_class=FileResponse)  # fmt: skip
    def figure_png(figure_id: str) -> FileResponse:
        """The figure's PNG."""
        figure, _, _ = find_figure(figure_id)
        path = figure_image(figure, kb.path)
        if path is None:
            raise HTTPException(404, "figure image missing")
        return FileResponse(path, media_type="image/png")

    @app.get("/figures", dependencies=protected, tags=["figures"])
    def figures_by_label(
        label: Annotated[str, Query(min_length=1, max_length=300, description="e.g. Figure 5-1")],
        doc: DocParam = None,
    ) -> list[dict[str, Any]]:
        """The figures a label names (case- and space-insensitive): {doc_id, doc, id, label,
        page}; several when the label (or the image) is in several documents."""
        with read():
            return [entry.model_dump() for entry in kb.figures(label, doc)]

    @app.get("/figures/{figure_id}", dependencies=protected, tags=["figures"])
    def figure_json(figure_id: str, doc: DocParam = None) -> dict[str, Any]:
        """A figure's logical text, Mermaid, label, page and document, and `graph`: its
        structure. The same image in several documents: the first one, or the one `doc`
        names; the others are listed in `also_in`."""
        figure, document, places = find_figure(figure_id, doc)
        view = figure_view(figure, document, also_in=places)
        return view | {"image_url": f"/figures/{figure.id}.png"}

    def graph_answer(ask) -> dict[str, Any]:
        try:
            with read():
                return ask().model_dump(mode="json")
        except (AmbiguousFigure, AmbiguousNode) as error:
            raise HTTPException(409, str(error)) from None
        except (FigureNotFound, GraphQueryError) as error:
            raise HTTPException(404, str(error)) from None

    @app.get("/figures/{figure_id}/graph", dependencies=protected, tags=["figures"])
    def figure_graph(figure_id: str, doc: DocParam = None) -> dict[str, Any]:
        """The figure's structure alone (`ictrag figure ID --json`); 409 when the image is in
        several documents and `doc` does not choose one."""
        fid = clean_figure_id(figure_id)
        return graph_answer(lambda: kb.figure_graph(fid, doc))

    @app.get("/figures/{figure_id}/neighbours", dependencies=protected, tags=["figures"])
    def figure_neighbours(figure_id: str, node: NodeParam, doc: DocParam = None) -> dict[str, Any]:  # noqa: E501
        """A node's edges in and out with labels and, in a sequence, its messages in order."""
        fid = clean_figure_id(figure_id)
        return graph_answer(lambda: kb.figure_neighbours(fid, node, doc))

    @app.get("/figures/{figure_id}/path", dependencies=protected, tags=["figures"])
    def figure_path(figure_id: str, a: NodeParam, b: NodeParam, doc: DocParam = None) -> dict[str, Any]:  # noqa: E501
        """The shortest path from a to b, along the arrows or else ignoring them."""
        fid = clean_figure_id(figure_id)
        return graph_answer(lambda: kb.figure_path(fid, a, b, doc))

    @app.get("/figures/{figure_id}/between", dependencies=protected, tags=["figures"])
    def figure_between(figure_id: str, a: NodeParam, b: NodeParam, doc: DocParam = None) -> dict[str, Any]:  # noqa: E501
        """The edges and the messages (in order, either way) between a and b."""
        fid = clean_figure_id(figure_id)
        return graph_answer(lambda: kb.figure_between(fid, a, b, doc))

    @app.get("/documents", dependencies=protected, tags=["documents"])
    def documents() -> list[dict[str, Any]]:
        """Indexed files: doc_id, path, title, pages, chunks, figures."""
        with read():
            return kb.documents()

    @app.get("/documents/{doc}/pages/{page}", dependencies=protected, tags=["documents"])
    def page(doc: Annotated[str, PathParam(max_length=500)], page: int) -> dict[str, Any]:
        """One page as text in reading order, figures as placeholders naming their ids."""
        with read():
            if kb.document(doc) is None:
                raise HTTPException(404, "no such document")
            elements = kb.page(doc, page)
        return {"doc": doc, "page": page, "text": page_text(elements)}

    @app.post("/ingest", dependencies=protected, tags=["ingest"], status_code=202)
    def ingest(
        files: Annotated[
            list[UploadFile], File(description="PDF, DOCX, PPTX, HTML, MD or images.")
        ],
    ) -> Job:  # noqa: E501
        """Save the uploads under the index's uploads/ folder and queue one ingest job."""
        names = [upload_name(upload.filename) for upload in files]
        folder = (kb.path / "uploads").resolve()
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for upload, name in zip(files, names, strict=True):
            target = folder / name
            if target.parent != folder:  # belt and braces after upload_name
                raise InterfaceError(f"invalid upload file name: {name!r}")
            temp = folder / f".{uuid.uuid4().hex}.part"
            with temp.open("wb") as out:
                while block := upload.file.read(1 << 20):
                    out.write(block)
            os.replace(temp, target)
            saved.append(target)
        return state["queue"].submit(saved)

    @app.get("/jobs/{job_id}", dependencies=protected, tags=["ingest"])
    def job(job_id: str) -> Job:
        """An ingest job: queued, running, done or failed, with the ingest report."""
        found = state["queue"].get(job_id) if _JOB_ID.match(job_id) else None
        if found is None:
            raise HTTPException(404, "no such job")
        return found

    return app


def serve(
    kb: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    config: ServerConfig | None = None,
    log_level: str = "info",
) -> None:
    """Run the API with uvicorn; refuses a non-loopback host without a token."""
    import uvicorn

    config = config or ServerConfig()
    if config.token is None and os.environ.get(TOKEN_ENV):
        config = config.model_copy(update={"token": os.environ[TOKEN_ENV]})
    if not is_loopback(host) and not config.token:
        raise ServeError(
            f"binding to {host} exposes the index: set --token or {TOKEN_ENV} (or bind 127.0.0.1)"
        )
    uvicorn.run(create_app(kb, config), host=host, port=port, log_level=log_level)
