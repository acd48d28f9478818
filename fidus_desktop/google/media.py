"""Resumable uploads and chunked downloads, with progress and a cancel that really stops.

Each chunk is one blocking step on the I/O lane; between chunks the event loop reports progress
and checks the cancel flag, so Cancel stops the transfer after the chunk in flight (at most one
chunk, 1 MiB by default, is sent or read after it). A failed chunk is retried by the client
layer's policy; the library then asks Google how much it already has before resuming. Files are
read and written through handles we open and close ourselves (on Windows a handle left to the
garbage collector keeps the file locked), and a download lands under a temporary name and is
renamed only when complete.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import UserCancelled
from .apis import Api

if TYPE_CHECKING:
    from .client import GoogleClient

#: Google requires chunks in multiples of 256 KiB.
CHUNK_UNIT = 256 * 1024
DEFAULT_CHUNK = 4 * CHUNK_UNIT

type Progress = Callable[[int, int | None], None]


class CancelToken:
    """Set by the Cancel button (on the event loop); checked between chunks."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def _check(cancel: CancelToken | None, what: str) -> None:
    if cancel is not None and cancel.cancelled:
        raise UserCancelled(f"{what} cancelled.")


async def upload(client: GoogleClient, api: Api, build: Callable[[Any, Any], Any], stream: BinaryIO,
                 mime_type: str, *, progress: Progress | None = None, cancel: CancelToken | None = None,
                 chunk_size: int = DEFAULT_CHUNK, what: str = "Upload") -> Any:
    """Send ``stream`` with ``build(resource, media)`` (e.g. ``files().create(media_body=media)``)
    in resumable chunks; returns Google's answer for the finished upload."""
    from googleapiclient.http import MediaIoBaseUpload

    if chunk_size % CHUNK_UNIT:
        raise ValueError("chunk_size must be a multiple of 256 KiB")
    media = MediaIoBaseUpload(stream, mimetype=mime_type or "application/octet-stream", chunksize=chunk_size,
                              resumable=True)
    resource = await client.resource(api)
    request = build(resource, media)
    total = media.size()
    response = None
    while response is None:
        _check(cancel, what)
        status, response = await client.step(api, lambda: request.next_chunk(http=client.transport.thread_http()))
        if status is not None and progress is not None:
            progress(status.resumable_progress, status.total_size)
    if progress is not None:
        progress(total or 0, total)
    return response


async def upload_file(client: GoogleClient, api: Api, build: Callable[[Any, Any], Any], path: Path, mime_type: str,
                      **kwargs: Any) -> Any:
    with path.open("rb") as stream:
        return await upload(client, api, build, stream, mime_type, **kwargs)


async def download(client: GoogleClient, api: Api, build: Callable[[Any], Any], target: Path, *,
                   progress: Progress | None = None, cancel: CancelToken | None = None,
                   chunk_size: int = DEFAULT_CHUNK, what: str = "Download") -> Path:
    """Fetch ``build(resource)`` (a ``get_media`` request) into ``target``, chunk by chunk."""
    from googleapiclient.http import MediaIoBaseDownload

    resource = await client.resource(api)
    request = build(resource)
    partial = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = partial.open("wb")
    finished = False
    try:
        downloader = MediaIoBaseDownload(handle, request, chunksize=chunk_size)

        def next_chunk() -> Any:
            request.http = client.transport.thread_http()  # the downloader reads the request's http
            return downloader.next_chunk()

        done = False
        while not done:
            _check(cancel, what)
            status, done = await client.step(api, next_chunk)
            if progress is not None:
                progress(status.resumable_progress, status.total_size)
        handle.close()
        os.replace(partial, target)
        finished = True
    finally:
        if not finished:
            handle.close()
            with contextlib.suppress(OSError):
                partial.unlink()
    return target


def memory_stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
