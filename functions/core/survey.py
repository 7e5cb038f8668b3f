"""The pledge manager (pure): a backer's survey answers and shipping address, after settlement.

A campaign's ``survey:`` (front matter, published in the catalog) asks each
backer the questions of their reward once the pledge is settled: *collected*
by the deadline charge (all or nothing) or *paid* (flexible), and the deadline
passed. The backer answers on a signed page (``/api/survey/{token}``) and
confirms or corrects the shipping address they gave at Checkout; the creator
locks the addresses before shipping (``cagnotte lock SLUG``), after which the
page only shows what was answered. The answers live in a record of their own
(:class:`Survey`), beside the pledge, so answering never races a payment event
on the pledge's version.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .catalog import CatalogCampaign, CatalogQuestion
from .model import CANCELLED, COLLECTED, DROPPED, EXPIRED, FAILED, PAID, REFUNDED, Pledge

MAX_TEXT = 1000  # characters of a text answer
MAX_ADDRESS_FIELD = 200  # characters of one address line
ADDRESS_FIELDS = ("name", "line1", "line2", "postal_code", "city", "state", "country")
REQUIRED_ADDRESS = ("name", "line1", "city", "country")  # some countries have no postal code
COUNTRY = re.compile(r"^[A-Z]{2}$")
LOCKED = "addresses_locked"  # the campaign flag `cagnotte lock` sets
NEVER_SETTLED = (CANCELLED, DROPPED, EXPIRED, FAILED, REFUNDED)  # after the deadline: no survey will open


@dataclass(frozen=True)
class Survey:
    """What one backer answered: ``answers`` by question id (a choice as index.md writes it),
    and the shipping address they confirmed or corrected (None: the reward ships nothing)."""

    pledge_id: str
    campaign: str
    answers: dict[str, str] = field(default_factory=dict)
    address: dict[str, str] | None = None
    answered_at: dt.datetime | None = None


def to_record(survey: Survey) -> dict:
    data = {"pledge_id": survey.pledge_id, "campaign": survey.campaign, "answers": dict(sorted(survey.answers.items()))}
    if survey.address is not None:
        data["address"] = dict(survey.address)
    if survey.answered_at is not None:
        data["answered_at"] = survey.answered_at.isoformat()
    return data


def from_record(data: dict) -> Survey:
    at = data.get("answered_at")
    return Survey(pledge_id=data["pledge_id"], campaign=data["campaign"], answers=dict(data.get("answers") or {}),
                  address=dict(data["address"]) if data.get("address") is not None else None,
                  answered_at=dt.datetime.fromisoformat(at) if at else None)


def settled(pledge: Pledge, campaign: CatalogCampaign, now: dt.datetime) -> bool:
    """Is the pledge's money in (collected at the deadline, or paid) and the deadline passed?"""
    return now >= campaign.ends and pledge.status in (COLLECTED, PAID)


def ships(pledge: Pledge, campaign: CatalogCampaign) -> bool:
    """Does something ship to this backer (an address to confirm)?"""
    reward = campaign.reward(pledge.reward) if pledge.reward else None
    addons = (campaign.addon(addon_id) for addon_id, _ in pledge.addons)
    return bool(pledge.shipping) or bool(reward and reward.shipping) or any(a and a.shipping for a in addons)


def wanted(pledge: Pledge, campaign: CatalogCampaign) -> bool:
    """Does the campaign's survey ask this backer anything (a question of their reward, or an address)?"""
    return bool(campaign.survey) and (bool(campaign.questions_for(pledge.reward)) or ships(pledge, campaign))


def open_for(pledge: Pledge, campaign: CatalogCampaign, now: dt.datetime) -> bool:
    """The survey page takes this backer's answers (unless the addresses are locked)."""
    return wanted(pledge, campaign) and settled(pledge, campaign, now)


def checkout_address(pledge: Pledge) -> dict[str, str]:
    """The address the backer gave at Checkout (Stripe's shipping details), flattened."""
    shipping = pledge.shipping or {}
    address = shipping.get("address") or {}
    found = {"name": shipping.get("name") or pledge.name or ""}
    for name in ADDRESS_FIELDS[1:]:
        found[name] = address.get(name) or ""
    if not found["country"] and pledge.country:
        found["country"] = pledge.country
    return {k: str(v) for k, v in found.items()}


def shown_address(pledge: Pledge, survey: Survey | None) -> dict[str, str]:
    """The address to ship to: the confirmed one, else Checkout's."""
    if survey is not None and survey.address is not None:
        return {name: survey.address.get(name, "") for name in ADDRESS_FIELDS}
    return checkout_address(pledge)


@dataclass(frozen=True)
class Refusal:
    """One thing the form got wrong: the field (``q-<id>`` or ``address-<name>``) and what (``code``)."""

    field: str
    code: str  # required | choice | too_long | address_missing | address_long | country | country_not_shipped
    detail: str = ""


def read(fields: dict, questions: tuple[CatalogQuestion, ...], with_address: bool,
         countries: tuple[str, ...] = ()) -> tuple[dict[str, str], dict[str, str] | None, list[Refusal]]:
    """The answers and the address a posted form holds, and every refusal (empty: all good).

    ``countries``: where the reward ships (empty: anywhere).
    """
    refusals: list[Refusal] = []
    answers: dict[str, str] = {}

    def value(name: str) -> str:
        raw = fields.get(name)
        return raw.strip() if isinstance(raw, str) else ""

    for q in questions:
        name = f"q-{q.id}"
        text = value(name)
        if not text:
            if q.required:
                refusals.append(Refusal(name, "required"))
            continue
        if q.kind == "choice" and text not in q.choices:
            refusals.append(Refusal(name, "choice"))
        elif q.kind == "text" and len(text) > MAX_TEXT:
            refusals.append(Refusal(name, "too_long", str(MAX_TEXT)))
        else:
            answers[q.id] = text
    address = None
    if with_address:
        address = {name: " ".join(value(f"address-{name}").split()) for name in ADDRESS_FIELDS}
        address["country"] = address["country"].upper()
        for name in ADDRESS_FIELDS:
            if name in REQUIRED_ADDRESS and not address[name]:
                refusals.append(Refusal(f"address-{name}", "address_missing"))
            elif len(address[name]) > MAX_ADDRESS_FIELD:
                refusals.append(Refusal(f"address-{name}", "address_long", str(MAX_ADDRESS_FIELD)))
        if address["country"] and not COUNTRY.match(address["country"]):
            refusals.append(Refusal("address-country", "country"))
        elif address["country"] and countries and address["country"] not in countries:
            refusals.append(Refusal("address-country", "country_not_shipped", ", ".join(countries)))
    return answers, address, refusals
