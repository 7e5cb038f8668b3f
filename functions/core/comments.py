"""Public comments on a campaign: a backer's (badge "backer", through their manage link), a visitor's
(confirmed once by e-mail) and the creator's (badge "creator", `cagnotte comments`).

No accounts and nothing private in a comment: the visitor's address goes into the
confirmation mail's row only, never into the comment, never into an answer. Replies
are one level deep. Text is plain (no HTML, no Markdown); pages escape it and turn
http(s) addresses into ``rel="nofollow ugc noopener"`` links (:func:`linkified`).

Threads sort by a key, ``<created ISO>#<id>`` for a comment and
``<parent's key>/<created ISO>#<id>`` for a reply: ascending, a thread's replies
follow its comment; descending (newest first), they come just before it. A page
is "the N newest threads older than the cursor", the cursor being the last
thread's key; both stores answer it from that key alone.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, replace
from html import escape

from .catalog import CatalogCampaign
from .errors import ApiError, Invalid, NotFound

VISIBLE, PENDING, HIDDEN = "visible", "pending", "hidden"
STATUSES = (VISIBLE, PENDING, HIDDEN)
MAX_TEXT, MAX_NAME = 2000, 60
PAGE = 20  # threads per page
CONFIRM_TTL = dt.timedelta(days=7)  # how long a confirm link's mail keeps trying (the comment waits for ever)

ID = re.compile(r"^cm_[a-f0-9]{20}$")
KEY = re.compile(r"^\d{4}-\d\d-\d\dT[0-9:.+]{8,32}#cm_[a-f0-9]{20}$")  # a thread's key (the cursor)


class CommentsOff(ApiError):
    status, code = 409, "comments_off"


class NotABacker(ApiError):
    status, code = 403, "not_a_backer"


@dataclass(frozen=True)
class Comment:
    id: str  # cm_ + 20 hex
    campaign: str
    text: str
    name: str
    created_at: dt.datetime  # UTC
    parent: str | None = None  # a reply's comment (one level deep)
    parent_key: str | None = None  # that comment's thread key (the reply sorts under it)
    backer: bool = False
    by_creator: bool = False
    status: str = PENDING
    pinned: bool = False
    lang: str | None = None
    notify: str | None = None  # a backer's pledge id, when they asked to be told of the creator's reply (private)

    @property
    def key(self) -> str:
        own = f"{self.created_at.astimezone(dt.timezone.utc).isoformat()}#{self.id}"
        return f"{self.parent_key}/{own}" if self.parent_key else own


def check_open(campaign: CatalogCampaign | None, slug: str) -> CatalogCampaign:
    """404 for an unknown campaign, 409 when its creator turned comments off."""
    if campaign is None:
        raise NotFound(f"no campaign '{slug}'")
    if not campaign.comments:
        raise CommentsOff(f"comments are off on '{slug}'", hint=("comments_off",))
    return campaign


def clean(value: object, field: str, most: int, *, lines: bool) -> str:
    """A field's text: a string, NFC, without control characters (line breaks kept in ``lines``), 1..most."""
    if not isinstance(value, str):
        raise Invalid(f"'{field}' is required", hint=(f"{field}_missing",))
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(ch for ch in text if (lines and ch in "\n\t") or unicodedata.category(ch)[0] != "C")
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not text:
        raise Invalid(f"'{field}' is required", hint=(f"{field}_missing",))
    if len(text) > most:
        raise Invalid(f"'{field}' is longer than {most} characters", hint=(f"{field}_long", most))
    return text


def new(campaign: CatalogCampaign, fields: dict, comment_id: str, now: dt.datetime, *,
        parent: Comment | None = None, backer: bool = False, by_creator: bool = False) -> Comment:
    """A comment from a form's ``text``, ``name`` and ``lang`` (no I/O): 400 when a field is wrong.

    A backer's and the creator's are visible at once; a visitor's waits for its confirm link.
    """
    text = clean(fields.get("text"), "text", MAX_TEXT, lines=True)
    name = clean(fields.get("name"), "name", MAX_NAME, lines=False)
    if parent is not None and parent.parent is not None:
        raise Invalid("replies are one level deep: answer the first comment", hint=("reply_depth",))
    lang = fields.get("lang")
    return Comment(id=comment_id, campaign=campaign.slug, text=text, name=name,
                   created_at=now.astimezone(dt.timezone.utc),
                   parent=parent.id if parent else None, parent_key=parent.key if parent else None,
                   backer=backer, by_creator=by_creator, status=VISIBLE if backer or by_creator else PENDING,
                   lang=campaign.page(lang if isinstance(lang, str) else None).lang)


def parent_id(value: object) -> str | None:
    """The ``parent`` field: absent, or a comment's id (400 otherwise)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not ID.match(value):
        raise Invalid("'parent' is not a comment's id")
    return value


def threads(comments: list[Comment]) -> list[Comment]:
    """Newest-first stored comments → top-level visible ones in that order, each reply (oldest
    first) right after its comment; a reply whose comment is not shown is left out."""
    shown = [c for c in comments if c.parent is None and c.status == VISIBLE]
    ids = {c.id for c in shown}
    replies: dict[str, list[Comment]] = {}
    for c in comments:
        if c.parent in ids and c.status == VISIBLE:
            replies.setdefault(c.parent, []).append(c)
    out = []
    for c in shown:
        out.append(c)
        out.extend(sorted(replies.get(c.id, []), key=lambda r: r.key))
    return out


def public(comment: Comment) -> dict:
    """What anyone may read of a comment (never an address, a pledge, a status other than visible)."""
    return {"id": comment.id, "parent": comment.parent, "name": comment.name, "text": comment.text,
            "created_at": comment.created_at.isoformat(), "backer": comment.backer, "creator": comment.by_creator,
            "pinned": comment.pinned, "lang": comment.lang}


def listing(pinned: list[Comment], page: list[Comment], next_key: str | None, first: bool) -> dict:
    """The JSON of ``GET /api/campaigns/{slug}/comments``: pinned threads first on the first page."""
    pinned_ids = {c.id for c in pinned if c.parent is None}
    shown = (threads(pinned) if first else []) + [c for c in threads(page)
                                                   if c.id not in pinned_ids and c.parent not in pinned_ids]
    return {"comments": [public(c) for c in shown], "next": encode_cursor(next_key) if next_key else None}


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: object) -> str | None:
    """The thread key a ``?cursor=`` names (None: the first page); 400 when it is not one of ours."""
    if cursor in (None, ""):
        return None
    try:
        key = base64.urlsafe_b64decode(str(cursor) + "=" * (-len(str(cursor)) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid("'cursor' is not a cursor this API gave") from None
    if not KEY.match(key):
        raise Invalid("'cursor' is not a cursor this API gave")
    return key


URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def linkified(text: str) -> str:
    """Plain text → HTML: everything escaped, line breaks kept, http(s) addresses as links that
    pass no rank and no opener (``rel="nofollow ugc noopener"``)."""
    out, last = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]}")
        end = match.start() + len(url)
        out.append(escape(text[last:match.start()]))
        out.append(f'<a href="{escape(url)}" rel="nofollow ugc noopener">{escape(url)}</a>')
        last = end
    out.append(escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def confirmed(comment: Comment) -> Comment:
    return replace(comment, status=VISIBLE)


def to_record(comment: Comment) -> dict:
    return {"id": comment.id, "campaign": comment.campaign, "text": comment.text, "name": comment.name,
            "created_at": comment.created_at.isoformat(), "parent": comment.parent,
            "parent_key": comment.parent_key, "backer": comment.backer, "by_creator": comment.by_creator,
            "status": comment.status, "pinned": comment.pinned, "lang": comment.lang,
            **({"notify": comment.notify} if comment.notify else {})}


def from_record(data: dict) -> Comment:
    return Comment(id=data["id"], campaign=data["campaign"], text=data["text"], name=data["name"],
                   created_at=dt.datetime.fromisoformat(data["created_at"]), parent=data.get("parent"),
                   parent_key=data.get("parent_key"), backer=bool(data.get("backer")),
                   by_creator=bool(data.get("by_creator")), status=data["status"], pinned=bool(data.get("pinned")),
                   lang=data.get("lang"), notify=data.get("notify"))


def address(value: object) -> str:
    """A visitor's ``email``: where the confirm link goes (400 when it is not an address)."""
    from .mail import valid_address

    if not isinstance(value, str) or "\r" in value or "\n" in value or not valid_address(value.strip()):
        raise Invalid("'email' is not a valid e-mail address", hint=("email_invalid",))
    return value.strip()


def confirm_url(comment: Comment, api_base: str, secret: str) -> str:
    from . import tokens

    subject = f"{comment.campaign}:{comment.id[len('cm_'):]}"
    return f"{api_base}/comments/confirm/{tokens.make_for('comment-confirm', subject, secret)}"


def confirm_mail(comment: Comment, to: str, api_base: str, secret: str, now: dt.datetime):
    """The one message that publishes a visitor's comment (its address lives only in this row)."""
    from .mail import Mail

    return Mail(id=f"comment_confirm:{comment.campaign}:{comment.id}", kind="comment_confirm",
                campaign=comment.campaign, lang=comment.lang or "en", to=to, created_at=now,
                values={"confirm_url": confirm_url(comment, api_base, secret)})


def reply_mail(reply: Comment, parent: Comment, pledge, now: dt.datetime):
    """Tell a backer who asked (``parent.notify``) that the creator answered their comment: once per reply."""
    from .mail import Mail, valid_address

    if not reply.by_creator or pledge is None or not pledge.email or not valid_address(pledge.email) \
            or parent.notify != pledge.id:
        return None
    return Mail(id=f"comment_reply:{reply.campaign}:{reply.id}", kind="comment_reply", campaign=reply.campaign,
                lang=pledge.lang or parent.lang or "en", to=pledge.email, created_at=now,
                values={"reply_text": reply.text, "reply_name": reply.name, "comment_text": parent.text})


def confirmed_subject(token: str, secret: str) -> tuple[str, str] | None:
    """(campaign, comment id) a genuine confirm link names, else None."""
    from . import tokens

    subject = tokens.check_for("comment-confirm", token, secret)
    if subject is None:
        return None
    slug, hexid = subject.split(":", 1)
    return slug, f"cm_{hexid}"
