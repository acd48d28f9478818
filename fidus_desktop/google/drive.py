"""Google Drive: the per-client folder, listing, resumable upload, download, sharing, links.

The client folder is named as the original names it, ``<name> - FIDUS Documents``, looked up
before it is created (the original created a new one every time) and described by
:class:`DriveFolder`, the shape the original kept in ``google_drive_folder`` on the prospect or
client document (``folder_id``, ``folder_name``, ``web_view_link``, ``created_at``).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from .apis import Api
from .media import CancelToken, Progress, download, upload_file
from .mime import check_addresses

if TYPE_CHECKING:
    from .client import GoogleClient

FOLDER_MIME = "application/vnd.google-apps.folder"
ROLES = ("reader", "commenter", "writer")
_FIELDS = "id, name, mimeType, webViewLink, createdTime, modifiedTime, size, parents"


def client_folder_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError("The client has no name to name a Drive folder after.", {"name": "required"})
    return f"{clean} - FIDUS Documents"


def q_literal(value: str) -> str:
    """A value inside a Drive query string: ``'`` and ``\\`` escaped (the original did not)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True, slots=True)
class DriveFile:
    id: str
    name: str
    mime_type: str
    web_view_link: str = ""
    created_time: datetime | None = None
    modified_time: datetime | None = None
    size: int | None = None
    parents: tuple[str, ...] = ()

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME


@dataclass(frozen=True, slots=True)
class DriveFolder:
    folder_id: str
    folder_name: str
    web_view_link: str
    created_at: datetime | None

    def to_record(self) -> dict[str, Any]:
        """For ``google_drive_folder`` on the prospect or client document."""
        return {"folder_id": self.folder_id, "folder_name": self.folder_name, "web_view_link": self.web_view_link,
                "created_at": self.created_at}


@dataclass(frozen=True, slots=True)
class Permission:
    id: str
    role: str
    email: str


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_file(data: dict[str, Any]) -> DriveFile:
    size = data.get("size")
    return DriveFile(str(data.get("id", "")), str(data.get("name", "")), str(data.get("mimeType", "")),
                     str(data.get("webViewLink", "")), _time(data.get("createdTime")), _time(data.get("modifiedTime")),
                     int(size) if isinstance(size, str) and size.isdigit() else None,
                     tuple(str(p) for p in data.get("parents") or ()))


class Drive:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client

    async def find_folder(self, name: str, *, parent: str = "root") -> DriveFile | None:
        q = (f"name = {q_literal(name)} and mimeType = {q_literal(FOLDER_MIME)} and "
             f"{q_literal(parent)} in parents and trashed = false")
        answer = await self.client.call(Api.DRIVE, lambda d: d.files().list(q=q, pageSize=10, fields=f"files({_FIELDS})",
                                                                            spaces="drive"))
        files = [parse_file(f) for f in answer.get("files") or ()]
        return min(files, key=lambda f: f.created_time or datetime.max.replace(tzinfo=UTC)) if files else None

    async def client_folder(self, client_name: str, *, parent: str = "root") -> DriveFolder:
        """The client's folder, created on first use (and found, not duplicated, after)."""
        name = client_folder_name(client_name)
        found = await self.find_folder(name, parent=parent)
        if found is None:
            body = {"name": name, "mimeType": FOLDER_MIME, "parents": [parent]}
            found = parse_file(await self.client.call(Api.DRIVE, lambda d: d.files().create(body=body, fields=_FIELDS)))
        return DriveFolder(found.id, found.name, found.web_view_link, found.created_time)

    async def list(self, folder_id: str, *, limit: int | None = None) -> list[DriveFile]:
        q = f"{q_literal(folder_id)} in parents and trashed = false"

        def build(d: Any, token: str | None) -> Any:
            kwargs: dict[str, Any] = {"q": q, "pageSize": 100, "fields": f"nextPageToken, files({_FIELDS})",
                                      "orderBy": "folder,name"}
            if token:
                kwargs["pageToken"] = token
            return d.files().list(**kwargs)

        items, _ = await self.client.pages(Api.DRIVE, build, "files", limit=limit)
        return [parse_file(f) for f in items]

    async def upload(self, path: Path, folder_id: str, *, name: str = "", mime_type: str = "",
                     progress: Progress | None = None, cancel: CancelToken | None = None,
                     chunk_size: int | None = None) -> DriveFile:
        """Resumable upload of ``path`` into the folder; Cancel stops after the chunk in flight."""
        path = Path(path)
        if not path.is_file():
            raise ValidationError(f"{path} is not a file.", {"path": "not a file"})
        mime = mime_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = {"name": name or path.name, "parents": [folder_id]}
        kwargs: dict[str, Any] = {"progress": progress, "cancel": cancel, "what": "Upload"}
        if chunk_size:
            kwargs["chunk_size"] = chunk_size
        answer = await upload_file(self.client, Api.DRIVE, lambda d, media: d.files().create(
            body=body, media_body=media, fields=_FIELDS), path, mime, **kwargs)
        return parse_file(answer)

    async def download(self, file_id: str, target: Path, *, progress: Progress | None = None,
                       cancel: CancelToken | None = None) -> Path:
        return await download(self.client, Api.DRIVE, lambda d: d.files().get_media(fileId=file_id), Path(target),
                              progress=progress, cancel=cancel)

    async def share(self, file_id: str, email: str, role: str = "reader", *, notify: bool = True,
                    message: str = "") -> Permission:
        """Give ``email`` access at ``role``; Google mails them the link when ``notify``."""
        if role not in ROLES:
            raise ValidationError(f"Sharing role must be one of {', '.join(ROLES)}.", {"role": role})
        [address] = check_addresses([email], "email") or [""]
        if not address:
            raise ValidationError("Give the e-mail address to share with.", {"email": "required"})
        address = address.rpartition("<")[2].rstrip(">")
        kwargs: dict[str, Any] = {"fileId": file_id, "body": {"type": "user", "role": role, "emailAddress": address},
                                  "sendNotificationEmail": notify, "fields": "id, role, emailAddress"}
        if notify and message:
            kwargs["emailMessage"] = message
        answer = await self.client.call(Api.DRIVE, lambda d: d.permissions().create(**kwargs))
        return Permission(str(answer.get("id", "")), str(answer.get("role", role)),
                          str(answer.get("emailAddress", address)))

    async def web_link(self, file_id: str) -> str:
        answer = await self.client.call(Api.DRIVE, lambda d: d.files().get(fileId=file_id, fields="webViewLink"))
        return str(answer.get("webViewLink", ""))
