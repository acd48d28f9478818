"""Drive: files (list with ``q``, create, get, media), resumable uploads, permissions, about."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .server import Reply, Request

if TYPE_CHECKING:
    from .server import FakeGoogle

FOLDER = "application/vnd.google-apps.folder"
_LITERAL = r"'((?:[^'\\]|\\.)*)'"


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_q(q: str) -> list[Callable[[dict[str, Any]], bool]]:
    """The subset of Drive's query language FIDUS sends; anything else is a 400."""
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for clause in re.split(r"\s+and\s+", q.strip()):
        if m := re.fullmatch(rf"(name|mimeType)\s*=\s*{_LITERAL}", clause):
            field, value = m.group(1), _unquote(m.group(2))
            tests.append(lambda f, field=field, value=value: f.get(field) == value)
        elif m := re.fullmatch(rf"{_LITERAL}\s+in\s+parents", clause):
            parent = _unquote(m.group(1))
            tests.append(lambda f, parent=parent: parent in f.get("parents", []))
        elif m := re.fullmatch(r"trashed\s*=\s*(true|false)", clause):
            flag = m.group(1) == "true"
            tests.append(lambda f, flag=flag: f.get("trashed", False) == flag)
        else:
            raise ValueError(clause)
    return tests


class FakeDrive:
    def __init__(self, fake: FakeGoogle) -> None:
        self.fake = fake
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.permissions: dict[str, list[dict[str, Any]]] = {}
        self.permission_queries: list[dict[str, list[str]]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.chunk_puts = 0
        self._ids = itertools.count(1)
        base = "/drive/v3"
        fake.route("GET", f"{base}/about", "drive.about", self.about)
        fake.route("GET", f"{base}/files", "drive.files.list", self.list_files)
        fake.route("POST", f"{base}/files", "drive.files.create", self.create)
        fake.route("GET", f"{base}/files/(?P<id>[^/]+)", "drive.files.get", self.get)
        fake.route("POST", f"{base}/files/(?P<id>[^/]+)/permissions", "drive.permissions.create", self.share)
        fake.route("POST", "/upload/drive/v3/files", "drive.upload", self.upload)
        fake.route("PUT", "/upload/drive/v3/files", "drive.upload.chunk", self.upload)
        fake.route("PUT", "/upload/gmail/v1/users/(?P<user>[^/]+)/messages/send", "gmail.messages.send_chunk",
                   lambda r: fake.gmail.send_upload(r))

    def _new_file(self, meta: dict[str, Any], content: bytes | None = None) -> dict[str, Any]:
        file_id = f"f{next(self._ids):04d}"
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        record = {"id": file_id, "name": meta.get("name", "Untitled"),
                  "mimeType": meta.get("mimeType") or ("application/octet-stream" if content is not None else FOLDER),
                  "parents": list(meta.get("parents") or ["root"]), "trashed": False,
                  "createdTime": now, "modifiedTime": now,
                  "webViewLink": f"https://drive.fake/{file_id}/view"}
        if content is not None:
            record["size"] = str(len(content))
            self.contents[file_id] = bytes(content)
        self.files[file_id] = record
        return record

    def about(self, request: Request) -> Reply:
        return Reply.json(200, {"user": {"emailAddress": self.fake.gmail.address, "displayName": "Manager"},
                                "storageQuota": {"limit": "16106127360", "usage": "1024"}})

    def list_files(self, request: Request) -> Reply:
        try:
            tests = parse_q(request.arg("q") or "trashed = false")
        except ValueError as exc:
            return Reply.error(400, "invalidQuery", f"Invalid Value: {exc}")
        found = [f for f in self.files.values() if all(t(f) for t in tests)]
        start, size = int(request.arg("pageToken") or 0), int(request.arg("pageSize") or 100)
        answer: dict[str, Any] = {"files": found[start:start + size]}
        if start + size < len(found):
            answer["nextPageToken"] = str(start + size)
        return Reply.json(200, answer)

    def create(self, request: Request) -> Reply:
        return Reply.json(200, self._new_file(request.json()))

    def get(self, request: Request) -> Reply:
        record = self.files.get(request.params["id"])
        if record is None:
            return Reply.error(404, "notFound", f"File not found: {request.params['id']}.")
        if request.arg("alt") != "media":
            return Reply.json(200, record)
        content = self.contents.get(record["id"], b"")
        wanted = re.fullmatch(r"bytes=(\d+)-(\d+)", request.headers.get("range", ""))
        if not wanted:
            return Reply(200, content, {"Content-Type": record["mimeType"]})
        first, last = int(wanted.group(1)), min(int(wanted.group(2)), len(content) - 1)
        return Reply(206, content[first:last + 1], {"Content-Type": record["mimeType"],
                                                    "Content-Range": f"bytes {first}-{last}/{len(content)}"})

    def share(self, request: Request) -> Reply:
        if request.params["id"] not in self.files:
            return Reply.error(404, "notFound")
        body = request.json()
        self.permission_queries.append(request.query)
        permission = {"id": f"p{secrets.token_hex(3)}", "type": body.get("type"), "role": body.get("role"),
                      "emailAddress": body.get("emailAddress")}
        self.permissions.setdefault(request.params["id"], []).append(permission)
        return Reply.json(200, permission)

    def upload(self, request: Request) -> Reply:
        return self.upload_session(request, on_done=lambda data, meta: Reply.json(200, self._new_file(meta, data)))

    def upload_session(self, request: Request, on_done: Callable[[bytes, dict[str, Any]], Reply]) -> Reply:
        """The resumable protocol: POST opens a session (Location), PUTs send chunks (308)."""
        if request.method == "POST":
            if request.arg("uploadType") != "resumable":
                return Reply.error(400, "badRequest", "only resumable uploads are faked")
            session = secrets.token_hex(6)
            total = request.headers.get("x-upload-content-length")
            self.sessions[session] = {"meta": request.json(), "data": bytearray(), "done": False,
                                      "total": int(total) if total else None}
            location = f"{self.fake.base_url}{request.path}?uploadType=resumable&upload_id={session}"
            return Reply(200, b"", {"Location": location})
        state = self.sessions.get(request.arg("upload_id") or "")
        if state is None:
            return Reply.error(404, "notFound", "upload session not found")
        self.chunk_puts += 1
        content_range = request.headers.get("content-range", "")
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
        if m:
            first = int(m.group(1))
            if first != len(state["data"]):
                return Reply.error(400, "badRequest", "chunk out of order")
            state["data"].extend(request.body)
            if m.group(3) != "*":
                state["total"] = int(m.group(3))
        elif not content_range.startswith("bytes */"):
            state["data"].extend(request.body)
            state["total"] = len(state["data"])
        if state["total"] is not None and len(state["data"]) >= state["total"]:
            state["done"] = True
            return on_done(bytes(state["data"]), state["meta"])
        headers = {"Range": f"bytes=0-{len(state['data']) - 1}"} if state["data"] else {}
        return Reply(308, b"", headers)
