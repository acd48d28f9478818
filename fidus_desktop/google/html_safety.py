"""HTML mail made safe to show: what the Gmail reader renders, and which resources it may load.

Sanitised with nh3 (the ammonia bindings): an allow-list of tags and attributes, so scripts,
forms, event handlers, iframes/objects/embeds, ``<style>``/``<link>``/``<meta>``/``<base>`` and
anything unknown are gone. On top of it, per attribute:

- links keep only ``http``, ``https`` and ``mailto`` targets (no ``javascript:``, ``data:``,
  ``file:``); the view shows the real target before opening it in the system browser;
- images keep ``cid:`` (the message's own inline parts) and small ``data:image`` URLs; remote
  images are removed, and counted, unless the manager allowed remote content for this message or
  sender (as Thunderbird's remote-content bar does);
- ``style`` keeps an allow-list of properties, and drops every declaration with a ``url(``, a
  function other than colours, or a CSS escape (``u\\72l(`` is ``url(``).

The reader (QTextBrowser) must then load nothing but what :func:`resource_allowed` accepts from
its ``loadResource``: resolved ``cid:`` images and ``data:`` images (remote images only when
allowed). Nothing is ever fetched by the sanitiser itself.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Container
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import nh3

from .mail_parse import content_id_key

#: Beyond this the HTML is cut before sanitising (a reader cannot show more; nh3 stays linear).
MAX_HTML_CHARS = 5_000_000
#: Nesting kept before parsing, and in what the reader lays out (see :func:`limit_depth`).
PARSE_DEPTH = 256
RENDER_DEPTH = 64
#: ``data:`` images larger than this are refused (a bomb in a message body).
MAX_DATA_URL_CHARS = 2_000_000

_TAGS = (set(nh3.ALLOWED_TAGS) | {"font", "center"}) - {"map", "area"}
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "applet", "frame", "frameset", "noscript",
                      "template", "title", "svg", "math", "select", "textarea", "option", "head", "noembed",
                      "noframes", "xmp", "plaintext"}
_COMMON = {"style", "title", "dir", "lang", "align"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": _COMMON,
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "face", "size"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor", "summary"},
    "td": {"width", "height", "bgcolor", "valign", "colspan", "rowspan", "nowrap"},
    "th": {"width", "height", "bgcolor", "valign", "colspan", "rowspan", "scope"},
    "tr": {"bgcolor", "valign"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "li": {"value"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "hr": {"size", "width", "noshade"},
    "time": {"datetime"},
}
_STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight",
    "font-variant", "text-align", "text-decoration", "text-indent", "text-transform", "line-height",
    "letter-spacing", "word-spacing", "white-space", "vertical-align", "margin", "margin-top", "margin-right",
    "margin-bottom", "margin-left", "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style",
    "border-width", "border-collapse", "border-spacing", "width", "height", "max-width", "min-width",
    "list-style-type", "display",
}
_SAFE_FUNCTIONS = re.compile(r"\b(rgba?|hsla?)\(", re.IGNORECASE)
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[A-Za-z]{3,20}")
_SIZE = re.compile(r"\d{1,4}%?")
_DATA_IMAGE = re.compile(r"data:image/(png|jpe?g|gif|webp|bmp);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)
_LINK_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True, slots=True)
class SafeHtml:
    html: str
    #: Remote images and CSS ``url()``s removed: non-zero means "show the remote-content bar".
    blocked_remote: int
    #: ``cid:`` references the message body makes (normalised, see ``content_id_key``).
    cid_refs: frozenset[str]


def _style(value: str) -> str | None:
    kept = []
    for declaration in value.split(";"):
        text = declaration.strip()
        if not text or ":" not in text:
            continue
        lowered = text.lower()
        if "\\" in text or "url" in lowered or "expression" in lowered or "@" in text or "image" in lowered:
            continue
        if "(" in _SAFE_FUNCTIONS.sub("", text):
            continue
        kept.append(text)
    return "; ".join(kept) or None


def _remote_in_style(value: str) -> bool:
    return bool(re.search(r"url\s*\(|\\", value, re.IGNORECASE))


def sanitize_mail_html(html: str, *, allow_remote: bool = False) -> SafeHtml:
    """The safe form of a message's HTML body (for the reader, never for storage)."""
    blocked = 0
    cids: set[str] = set()

    def keep(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if attribute == "style":
            if _remote_in_style(value):
                blocked += 1
            return _style(value)
        if tag == "a" and attribute == "href":
            return value if urlsplit(value.strip()).scheme.lower() in _LINK_SCHEMES else None
        if tag == "img" and attribute == "src":
            url = value.strip()
            scheme = urlsplit(url).scheme.lower()
            if scheme == "cid":
                cids.add(content_id_key(unquote(url)))
                return url
            if scheme == "data":
                return url if len(url) <= MAX_DATA_URL_CHARS and _DATA_IMAGE.fullmatch(url) else None
            if scheme in ("http", "https"):
                if allow_remote:
                    return url
                blocked += 1
            return None
        if attribute in ("width", "height", "size", "border", "cellpadding", "cellspacing", "span", "colspan",
                         "rowspan", "start", "value"):
            return value if _SIZE.fullmatch(value.strip()) else None
        if attribute in ("bgcolor", "color"):
            return value if _COLOUR.fullmatch(value.strip()) else None
        return value

    cleaned = nh3.clean(
        limit_depth(html[:MAX_HTML_CHARS], PARSE_DEPTH), tags=_TAGS, clean_content_tags=_DROP_WITH_CONTENT, attributes=_ATTRIBUTES,
        attribute_filter=keep, strip_comments=True, link_rel="noopener noreferrer",
        url_schemes={"http", "https", "mailto", "cid", "data"}, filter_style_properties=_STYLE_PROPERTIES,
        url_relative="deny")
    return SafeHtml(limit_depth(cleaned, RENDER_DEPTH), blocked, frozenset(cids))


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr"})
#: Tags HTML closes by itself (an unclosed ``<li>`` or ``<p>``): not counted, so a long list
#: written without end tags is not mistaken for deep nesting.
_SELF_CLOSING = frozenset({"p", "li", "td", "th", "tr", "dt", "dd", "option", "tbody", "thead", "tfoot",
                           "colgroup", "rp", "rt"})
#: How far back an end tag looks for its start tag (malformed input stays linear).
_MATCH_WINDOW = 64


def limit_depth(html: str, max_depth: int) -> str:
    """``html`` with the elements nested deeper than ``max_depth`` unwrapped (their tags dropped,
    their text kept). Parsers and layout engines get slow with depth (html5ever while
    sanitising, and ``QTextDocument`` laying out: 5,000 nested ``<div>`` hold it for seconds); a
    real mail nests a few dozen levels. Linear, and tolerant of malformed input."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, kept)
    depth = 0
    position = 0
    for match in _TAG.finditer(html):
        out.append(html[position:match.start()])
        position = match.end()
        closing, name, empty = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or empty:
            out.append(match.group(0))
            continue
        if not closing:
            counted = name not in _SELF_CLOSING
            kept = not counted or depth < max_depth
            stack.append((name, kept))
            if kept:
                depth += counted
                out.append(match.group(0))
            continue
        for back in range(len(stack) - 1, max(-1, len(stack) - 1 - _MATCH_WINDOW), -1):
            if stack[back][0] == name:
                for tag, kept in stack[back:]:
                    depth -= kept and tag not in _SELF_CLOSING
                kept = stack[back][1]
                del stack[back:]
                if kept:
                    out.append(match.group(0))
                break
        else:
            out.append(match.group(0))  # a stray end tag: harmless, the parser drops it
    out.append(html[position:])
    return "".join(out)


def resource_allowed(url: str, resolved_cids: Container[str], *, allow_remote: bool = False) -> bool:
    """May the reader load ``url`` (an image)? Only a ``cid:`` the message itself carries, a small
    ``data:`` image, and (when the manager allowed remote content) an http(s) image."""
    text = url.strip()
    scheme = urlsplit(text).scheme.lower()
    if scheme == "cid":
        return content_id_key(unquote(text)) in resolved_cids
    if scheme == "data":
        return len(text) <= MAX_DATA_URL_CHARS and bool(_DATA_IMAGE.fullmatch(text))
    return allow_remote and scheme in ("http", "https")


def link_target(href: str) -> str | None:
    """The address a click would open, to show before opening it; ``None`` when it must not open."""
    text = href.strip()
    return text if urlsplit(text).scheme.lower() in _LINK_SCHEMES else None


def text_as_html(text: str) -> str:
    """A plain-text body for the same reader: escaped, line breaks kept, web links clickable."""
    escaped = html_lib.escape(text[:MAX_HTML_CHARS])
    linked = re.sub(r"\bhttps?://[^\s<>&\"']+", lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return f"<pre style=\"white-space: pre-wrap\">{linked}</pre>"
