"""A Gmail mailbox: labels, messages (full/metadata/raw), threads, attachments, history, send."""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import itertools
import time
from email.message import EmailMessage, Message
from typing import TYPE_CHECKING, Any

from .server import Reply, Request

if TYPE_CHECKING:
    from .server import FakeGoogle

_ME = "/gmail/v1/users/(?P<user>[^/]+)"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def simple_mail(subject: str, sender: str = "Ana Client <ana@example.com>", to: str = "manager@fidus.test",
                text: str = "Hello", html: str | None = None, message_id: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = message_id or email.utils.make_msgid(domain="example.com")
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


class FakeGmail:
    def __init__(self, fake: FakeGoogle) -> None:
        self.fake = fake
        self.address = "manager@fidus.test"
        self.labels = [{"id": "INBOX", "name": "INBOX", "type": "system"},
                       {"id": "SENT", "name": "SENT", "type": "system"},
                       {"id": "UNREAD", "name": "UNREAD", "type": "system"},
                       {"id": "Label_1", "name": "Clients", "type": "user"}]
        self.messages: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self.history_id = 1000
        #: A startHistoryId below this is "too old" (404), as Gmail does after about a week.
        self.history_floor = 0
        self.attachments: dict[str, bytes] = {}
        self.sent: list[dict[str, Any]] = []
        #: The next this many sends are kept, but answered 503 (the answer "lost" on the way back).
        self.lose_send_answers = 0
        self._ids = itertools.count(1)
        fake.route("GET", f"{_ME}/profile", "gmail.profile", self.profile)
        fake.route("GET", f"{_ME}/labels", "gmail.labels.list", self.list_labels)
        fake.route("GET", f"{_ME}/messages", "gmail.messages.list", self.list_messages)
        fake.route("GET", f"{_ME}/messages/(?P<id>[^/]+)", "gmail.messages.get", self.get_message)
        fake.route("GET", f"{_ME}/messages/(?P<mid>[^/]+)/attachments/(?P<id>[^/]+)", "gmail.attachments.get",
                   self.get_attachment)
        fake.route("GET", f"{_ME}/threads/(?P<id>[^/]+)", "gmail.threads.get", self.get_thread)
        fake.route("GET", f"{_ME}/history", "gmail.history.list", self.list_history)
        fake.route("POST", f"{_ME}/messages/send", "gmail.messages.send", self.send)
        fake.route("POST", f"/upload{_ME}/messages/send", "gmail.messages.send_upload", self.send_upload)

    # -- the mailbox, for tests ---------------------------------------------------------------

    def _next_history(self) -> int:
        self.history_id += 1
        return self.history_id

    def add(self, raw: bytes, labels: tuple[str, ...] = ("INBOX", "UNREAD"), thread_id: str | None = None,
            internal_date: int | None = None) -> str:
        number = next(self._ids)
        message_id = f"m{number:05d}"
        history = self._next_history()
        stamp = internal_date if internal_date is not None else int(time.time() * 1000) + number
        self.messages[message_id] = {"id": message_id, "threadId": thread_id or f"t{number:05d}",
                                     "labelIds": list(labels), "raw": raw, "internalDate": str(stamp),
                                     "historyId": str(history)}
        self.history.append({"id": str(history), "messagesAdded": [{"message": self._ref(message_id)}]})
        return message_id

    def remove(self, message_id: str) -> None:
        ref = self._ref(message_id)
        del self.messages[message_id]
        self.history.append({"id": str(self._next_history()), "messagesDeleted": [{"message": ref}]})

    def relabel(self, message_id: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> None:
        labels = self.messages[message_id]["labelIds"]
        labels[:] = [x for x in labels if x not in remove] + [x for x in add if x not in labels]
        record: dict[str, Any] = {"id": str(self._next_history())}
        if add:
            record["labelsAdded"] = [{"message": self._ref(message_id), "labelIds": list(add)}]
        if remove:
            record["labelsRemoved"] = [{"message": self._ref(message_id), "labelIds": list(remove)}]
        self.history.append(record)

    def forget_history(self) -> None:
        """History older than now is gone: any earlier startHistoryId gets 404."""
        self.history_floor = self.history_id + 1
        self.history.clear()

    def _ref(self, message_id: str) -> dict[str, Any]:
        m = self.messages[message_id]
        return {"id": m["id"], "threadId": m["threadId"], "labelIds": list(m["labelIds"])}

    # -- JSON shapes ------------------------------------------------------------------------------

    def _part(self, part: Message, part_id: str, message_id: str) -> dict[str, Any]:
        headers = [{"name": k, "value": str(v)} for k, v in part.items()]
        out: dict[str, Any] = {"partId": part_id, "mimeType": part.get_content_type(),
                               "filename": part.get_filename() or "", "headers": headers}
        if part.is_multipart():
            out["body"] = {"size": 0}
            out["parts"] = [self._part(p, f"{part_id}.{i}" if part_id else str(i), message_id)
                            for i, p in enumerate(part.get_payload())]
            return out
        content = part.get_payload(decode=True) or b""
        if out["filename"]:
            attachment_id = f"att-{message_id}-{part_id or '0'}"
            self.attachments[attachment_id] = content
            out["body"] = {"size": len(content), "attachmentId": attachment_id}
        else:
            out["body"] = {"size": len(content), "data": b64url(content)}
        return out

    def message_json(self, message_id: str, fmt: str = "full") -> dict[str, Any]:
        m = self.messages[message_id]
        parsed = email.message_from_bytes(m["raw"], policy=email.policy.compat32)
        base = {k: m[k] for k in ("id", "threadId", "labelIds", "historyId", "internalDate")}
        base["sizeEstimate"] = len(m["raw"])
        text = parsed.get_payload(decode=True) if not parsed.is_multipart() else b""
        base["snippet"] = (text or b"").decode("utf-8", "replace")[:100]
        if fmt == "raw":
            base["raw"] = b64url(m["raw"])
        elif fmt == "metadata":
            base["payload"] = {"mimeType": parsed.get_content_type(),
                               "headers": [{"name": k, "value": str(v)} for k, v in parsed.items()]}
        elif fmt == "minimal":
            pass
        else:
            base["payload"] = self._part(parsed, "", message_id)
        return base

    # -- endpoints ---------------------------------------------------------------------------------

    def profile(self, request: Request) -> Reply:
        return Reply.json(200, {"emailAddress": self.address, "messagesTotal": len(self.messages),
                                "threadsTotal": len({m["threadId"] for m in self.messages.values()}),
                                "historyId": str(self.history_id)})

    def list_labels(self, request: Request) -> Reply:
        return Reply.json(200, {"labels": self.labels})

    def list_messages(self, request: Request) -> Reply:
        wanted = request.query.get("labelIds", [])
        q = (request.arg("q") or "").lower()
        msgid = ""
        if q.startswith("rfc822msgid:"):  # Gmail's operator for the Message-ID header
            msgid, q = q.removeprefix("rfc822msgid:").strip().strip("<>"), ""
        found = [m for m in sorted(self.messages.values(), key=lambda m: int(m["internalDate"]), reverse=True)
                 if all(label in m["labelIds"] for label in wanted) and (not q or q in m["raw"].decode("utf-8", "replace").lower())
                 and (not msgid or self._message_id(m) == msgid)]
        start = int(request.arg("pageToken") or 0)
        size = int(request.arg("maxResults") or 100)
        page = found[start:start + size]
        answer: dict[str, Any] = {"messages": [{"id": m["id"], "threadId": m["threadId"]} for m in page],
                                  "resultSizeEstimate": len(found)}
        if start + size < len(found):
            answer["nextPageToken"] = str(start + size)
        return Reply.json(200, answer)

    @staticmethod
    def _message_id(m: dict[str, Any]) -> str:
        parsed = email.message_from_bytes(m["raw"], policy=email.policy.compat32)
        return str(parsed.get("Message-ID", "")).strip().strip("<>").lower()

    def get_message(self, request: Request) -> Reply:
        message_id = request.params["id"]
        if message_id not in self.messages:
            return Reply.error(404, "notFound", "Requested entity was not found.")
        return Reply.json(200, self.message_json(message_id, request.arg("format", "full") or "full"))

    def get_attachment(self, request: Request) -> Reply:
        content = self.attachments.get(request.params["id"])
        if content is None:
            return Reply.error(404, "notFound")
        return Reply.json(200, {"size": len(content), "data": b64url(content)})

    def get_thread(self, request: Request) -> Reply:
        thread = [m for m in self.messages.values() if m["threadId"] == request.params["id"]]
        if not thread:
            return Reply.error(404, "notFound")
        thread.sort(key=lambda m: int(m["internalDate"]))
        fmt = request.arg("format", "full") or "full"
        return Reply.json(200, {"id": request.params["id"], "historyId": str(self.history_id),
                                "messages": [self.message_json(m["id"], fmt) for m in thread]})

    def list_history(self, request: Request) -> Reply:
        start = int(request.arg("startHistoryId") or 0)
        if start <= 0 or start < self.history_floor:
            return Reply.error(404, "notFound", "Requested entity was not found.")
        records = [h for h in self.history if int(h["id"]) > start]
        offset = int(request.arg("pageToken") or 0)
        size = int(request.arg("maxResults") or 100)
        page = records[offset:offset + size]
        answer: dict[str, Any] = {"history": page, "historyId": str(self.history_id)}
        if offset + size < len(records):
            answer["nextPageToken"] = str(offset + size)
        return Reply.json(200, answer)

    def _store_sent(self, raw: bytes, thread_id: str | None) -> Reply:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        if not parsed["To"] and not parsed["Cc"] and not parsed["Bcc"]:
            return Reply.error(400, "invalidArgument", "Recipient address required")
        message_id = self.add(raw, labels=("SENT",), thread_id=thread_id)
        self.sent.append({"id": message_id, "raw": raw, "threadId": self.messages[message_id]["threadId"]})
        m = self.messages[message_id]
        if self.lose_send_answers > 0:
            self.lose_send_answers -= 1
            return Reply.error(503, "backendError", "The service is currently unavailable.")
        return Reply.json(200, {"id": m["id"], "threadId": m["threadId"], "labelIds": m["labelIds"]})

    def send(self, request: Request) -> Reply:
        body = request.json()
        return self._store_sent(unb64url(body["raw"]), body.get("threadId"))

    def send_upload(self, request: Request) -> Reply:
        return self.fake.drive.upload_session(request, on_done=lambda data, meta: self._store_sent(
            data, (meta or {}).get("threadId")))
