"""Remote images of a mail, fetched only after the manager allowed them (message or sender).

Blocking (urllib): run in the I/O lane. Bounded: a few dozen images, a few megabytes each, a
short timeout, http(s) only (a redirect elsewhere is refused), no cookies, no referrer. What
comes back is handed to the reader as image bytes; nothing else of the answer is used.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

MAX_IMAGES = 40
MAX_IMAGE_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?(https?://[^"'\s>]+)""", re.IGNORECASE)


def remote_images(safe_html: str) -> list[str]:
    """The http(s) image addresses of sanitised HTML (``allow_remote=True``), in order, once each."""
    seen: dict[str, None] = {}
    for match in _SRC.finditer(safe_html):
        seen.setdefault(match.group(1).replace("&amp;", "&"), None)
    return list(seen)[:MAX_IMAGES]


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 (urllib's)
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_images(urls: Iterable[str]) -> dict[str, bytes]:
    opener = urllib.request.build_opener(_HttpOnly())
    out: dict[str, bytes] = {}
    for url in list(urls)[:MAX_IMAGES]:
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            continue
        request = urllib.request.Request(url, headers={"User-Agent": "FIDUS Desktop", "Accept": "image/*"})
        try:
            with opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
                if not str(answer.headers.get("Content-Type", "")).lower().startswith("image/"):
                    continue
                data = answer.read(MAX_IMAGE_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.info("remote image not loaded: %s", type(exc).__name__)
            continue
        if len(data) <= MAX_IMAGE_BYTES:
            out[url] = data
    return out
