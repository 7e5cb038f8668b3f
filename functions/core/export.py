"""The fulfilment export: every pledge of a campaign, as a creator ships rewards.

The columns are stable (documented in docs/operations.md); new columns are only
ever added at the end. Amounts are exact decimal text in major units beside the
integer minor units. A campaign with a ``survey:`` adds, after them, when each
backer answered, the address they confirmed on the survey page, and one column
per question (``survey_<id>``).
"""

from __future__ import annotations

import csv
import io
import json

from . import money
from .catalog import CatalogCampaign
from .pledge import Pledge
from .survey import ADDRESS_FIELDS, Survey

COLUMNS = (
    "pledge_id", "created_at", "status", "reward_id", "reward_title", "amount", "amount_minor", "currency",
    "backer_name", "backer_email", "shipping_name", "shipping_line1", "shipping_line2", "shipping_postal_code",
    "shipping_city", "shipping_state", "shipping_country", "ref", "quantity", "addons",
)


SURVEY_COLUMNS = ("survey_answered_at",) + tuple(f"confirmed_{name}" for name in ADDRESS_FIELDS)


def columns(campaign: CatalogCampaign | None) -> tuple[str, ...]:
    """The export's columns for ``campaign``: :data:`COLUMNS`, then its survey's when it has one."""
    if campaign is None or not campaign.survey:
        return COLUMNS
    return COLUMNS + SURVEY_COLUMNS + tuple(f"survey_{q.id}" for q in campaign.survey)


def rows(campaign: CatalogCampaign | None, pledges: list[Pledge],
         surveys: list[Survey] | None = None) -> list[dict[str, str | int]]:
    """One dict per pledge, in :func:`columns` order, oldest first."""
    out = []
    answered = {s.pledge_id: s for s in surveys or ()}
    for p in sorted(pledges, key=lambda p: (p.created_at, p.id)):
        reward = campaign.reward(p.reward) if campaign and p.reward else None
        shipping = p.shipping or {}
        address = shipping.get("address") or {}
        out.append({
            "pledge_id": p.id,
            "created_at": p.created_at.isoformat(),
            "status": p.status,
            "reward_id": p.reward or "",
            "reward_title": reward.title if reward else "",
            "amount": money.format_plain(p.amount - p.refunded, p.currency).split(" ")[0],
            "amount_minor": p.amount - p.refunded,
            "currency": p.currency,
            "backer_name": p.name or "",
            "backer_email": p.email or "",
            "shipping_name": shipping.get("name") or "",
            "shipping_line1": address.get("line1") or "",
            "shipping_line2": address.get("line2") or "",
            "shipping_postal_code": address.get("postal_code") or "",
            "shipping_city": address.get("city") or "",
            "shipping_state": address.get("state") or "",
            "shipping_country": address.get("country") or p.country or "",
            "ref": p.ref or "",
            "quantity": p.quantity if p.reward else "",
            "addons": "; ".join(f"{item}={units}" for item, units in p.addons),
        })
        if campaign is not None and campaign.survey:
            survey = answered.get(p.id)
            address = (survey.address if survey else None) or {}
            out[-1]["survey_answered_at"] = survey.answered_at.isoformat() if survey and survey.answered_at else ""
            for name in ADDRESS_FIELDS:
                out[-1][f"confirmed_{name}"] = address.get(name) or ""
            for q in campaign.survey:
                out[-1][f"survey_{q.id}"] = (survey.answers.get(q.id) if survey else None) or ""
    return out


def to_csv(records: list[dict], fieldnames: tuple[str, ...] | None = None) -> str:
    """CSV with a header row; ``fieldnames``: :func:`columns` of the campaign (default: the first record's)."""
    buffer = io.StringIO()
    names = fieldnames or (tuple(records[0]) if records else COLUMNS)
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
                         for k, v in record.items()})
    return buffer.getvalue()


def to_json(records: list[dict]) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
