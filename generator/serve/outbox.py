"""The outbox pages of ``cagnotte serve``: read what backers and creators will receive.

With ``CAGNOTTE_MAIL=outbox:///path`` (serve's default: ``<site>/.cagnotte/outbox``)
every message is a standard ``.eml`` file. ``/_cagnotte/outbox/`` lists them,
newest first; ``/_cagnotte/outbox/<name>`` shows one: its headers, its HTML part
in a sandboxed frame (no script; links open in a new tab) and its plain-text
part. Everything read from a message is escaped.
"""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from html import escape
from pathlib import Path
from urllib.parse import quote

OUTBOX_PATH = "/_cagnotte/outbox/"
LISTED = 500  # the newest messages shown; the folder may hold more
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.eml$")
_URL = re.compile(r"https?://[^\s<>\"']+")


def outbox_folder(mail_url: str | None) -> Path | None:
    """The folder of ``outbox:///path`` (as the outbox adapter reads it); None for another transport."""
    url = mail_url or "outbox:///.cagnotte/outbox"
    return Path(url[len("outbox:///"):]) if url.startswith("outbox:///") else None


def is_outbox(path: str) -> bool:
    return path == OUTBOX_PATH.rstrip("/") or path.startswith(OUTBOX_PATH)


def answer(path: str, query: str, folder: Path | None, mail_url: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """The page for a GET of ``path`` under ``/_cagnotte/outbox/``: status, headers, body."""
    if path == OUTBOX_PATH.rstrip("/"):
        return 301, {"Location": OUTBOX_PATH, "Content-Type": "text/plain; charset=utf-8"}, b""
    name = path[len(OUTBOX_PATH):]
    if folder is None:
        return _page(200, "Outbox", f"<h1>Outbox</h1><p>Mail goes to <code>{escape(mail_url or '')}</code>, "
                                    "not to a local outbox: set <code>CAGNOTTE_MAIL=outbox:///path</code> "
                                    "to read messages here.</p>")
    if not name:
        return _page(200, "Outbox", listing(folder))
    if not _NAME.match(name) or not (folder / name).is_file():
        return _page(404, "Message not found", f'<p>No message named <code>{escape(name)}</code> in the outbox. '
                                               f'<a href="{OUTBOX_PATH}">Back to the outbox</a></p>')
    data = (folder / name).read_bytes()
    if query == "raw":
        return 200, _HEADERS | {"Content-Type": "text/plain; charset=utf-8"}, data
    message = BytesParser(policy=policy.default).parsebytes(data)
    return _page(200, _header(message, "Subject") or name, view(name, message))


def messages(folder: Path) -> list[tuple[str, EmailMessage]]:
    """The newest ``.eml`` files (their names start with a UTC timestamp), headers only."""
    try:
        names = sorted((p.name for p in folder.iterdir() if _NAME.match(p.name) and p.is_file()), reverse=True)
    except OSError:
        return []
    found = []
    for name in names[:LISTED]:
        try:
            with (folder / name).open("rb") as handle:
                found.append((name, BytesHeaderParser(policy=policy.default).parse(handle)))
        except OSError:
            continue  # removed meanwhile
    return found


def listing(folder: Path) -> str:
    found = messages(folder)
    where = f"<p class=note>Folder <code>{escape(str(folder.resolve()))}</code>, newest first.</p>"
    if not found:
        return ("<h1>Outbox</h1>" + where + "<p>No message yet. Pledge on a campaign through the local test "
                "checkout, or ask for a launch reminder, then reload this page.</p>")
    rows = "".join(
        f"<tr><td>{escape(_date(message))}</td><td>{escape(_header(message, 'To'))}</td>"
        f'<td><a href="{OUTBOX_PATH}{quote(name)}">{escape(_header(message, "Subject") or "(no subject)")}</a></td>'
        f"<td><code>{escape(_header(message, 'X-Cagnotte-Kind') or _kind_of(name))}</code></td></tr>"
        for name, message in found)
    return ("<h1>Outbox</h1>" + where + "<table><thead><tr><th>Date</th><th>To</th><th>Subject</th><th>Kind</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def view(name: str, message: EmailMessage) -> str:
    headers = "".join(f"<tr><th>{escape(key)}</th><td>{escape(str(value))}</td></tr>"
                      for key, value in message.items())
    parts = [f'<p><a href="{OUTBOX_PATH}">← Outbox</a> · <a href="{OUTBOX_PATH}{quote(name)}?raw">raw</a></p>',
             f"<h1>{escape(_header(message, 'Subject') or '(no subject)')}</h1>",
             f"<table class=headers>{headers}</table>"]
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    if html_part is not None:
        document = _content(html_part)
        # Links open in a new tab: the frame runs no script and cannot navigate this page.
        document = re.sub(r"(<head[^>]*>)", r'\1<base target="_blank">', document, count=1, flags=re.I) \
            if re.search(r"<head[^>]*>", document, re.I) else '<base target="_blank">' + document
        parts.append('<h2>HTML</h2><iframe title="The HTML part" sandbox="allow-popups '
                     f'allow-popups-to-escape-sandbox" srcdoc="{escape(document, quote=True)}"></iframe>')
    if text_part is not None:
        text = escape(_content(text_part))
        text = _URL.sub(lambda m: f'<a href="{m.group(0)}" target="_blank" rel="noopener">{m.group(0)}</a>', text)
        parts.append(f"<h2>Plain text</h2><pre>{text}</pre>")
    return "".join(parts)


def _content(part) -> str:
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding: show what is there
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _date(message: EmailMessage) -> str:
    raw = _header(message, "Date")
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return raw
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%d %H:%M:%S")
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _kind_of(name: str) -> str:
    """``20261126T120000000000Z-confirmation-1a2b3c4d.eml`` → ``confirmation``."""
    pieces = name[:-4].split("-")
    return "-".join(pieces[1:-1]) if len(pieces) >= 3 else ""


_STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#1d1d1f}"
          "table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;"
          "border-bottom:1px solid #e5e7eb}td{overflow-wrap:anywhere}.headers th{width:12rem;font-weight:600}"
          "iframe{width:100%;height:42rem;border:1px solid #d1d5db;border-radius:.5rem;background:#fff}"
          "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f9fafb;border:1px solid #e5e7eb;border-radius:.5rem;padding:1rem}"
          ".note{color:#555}code{font-size:.9em}")
_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            # No script here; the message's own inline styles are allowed in its frame (it inherits this policy).
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}


def _page(status: int, title: str, content: str) -> tuple[int, dict[str, str], bytes]:
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{escape(title)} · Cagnotte outbox</title>'
            f"<style>{_STYLE}</style></head><body><main>{content}</main></body></html>")
    return status, _HEADERS | {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")
