"""Mail adapters behind :class:`functions.core.mail.Mailer`, chosen by ``CAGNOTTE_MAIL``.

``outbox:///path`` (the embedded default: one ``.eml`` file per message) or
``ses`` (Amazon SES v2 through boto3; sender in ``CAGNOTTE_MAIL_FROM``, the
configuration set in ``CAGNOTTE_SES_CONFIGURATION_SET``).
"""

from __future__ import annotations

from functions.core.mail import Mailer

DEFAULT = "outbox:///.cagnotte/outbox"


class MailURLError(ValueError):
    pass


def open_mailer(url: str | None, *, sender: str | None = None, configuration_set: str | None = None) -> Mailer:
    url = url or DEFAULT
    if url.startswith("outbox:///"):
        from .outbox import Outbox

        return Outbox(url[len("outbox:///"):], sender=sender or "Cagnotte <no-reply@localhost>")
    if url == "ses":
        if not sender:
            raise MailURLError("CAGNOTTE_MAIL=ses needs CAGNOTTE_MAIL_FROM (a verified SES identity)")
        from .ses import SES

        return SES(sender=sender, configuration_set=configuration_set)
    raise MailURLError(f"CAGNOTTE_MAIL={url!r}: expected outbox:///path or ses")
