"""The pledge flows, over the ports: what each route does, without HTTP or SDKs.

Each takes its collaborators (store, payments, catalog) and ``now`` and new ids
as arguments, so the same code runs in Lambda, behind ``cagnotte serve`` and in
unit tests.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, replace
from typing import Callable

from . import events, pledge as pledges, stats, tokens
from .catalog import Catalog
from .errors import Invalid, NotFound, PaymentProviderError, SoldOutError, Unavailable
from .pledge import EXPIRED, FAILED, PENDING, Pledge, PledgeRequest
from .ports import Checkout, Conflict, Duplicate, Payments, PaymentsError, SoldOut, Store

log = logging.getLogger("cagnotte.flows")

MAX_CONFLICT_RETRIES = 8
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes are read aloud and typed


def new_pledge_id() -> str:
    return "pl_" + "".join(secrets.choice(_ALPHABET) for _ in range(20))


def new_ref_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class Opened:
    pledge_id: str
    checkout_url: str


# While Stripe fails, the units held by the attempts still waiting for it are not "sold out".
PAYMENTS_DOWN = "payments-down"
PAYMENTS_DOWN_FOR = dt.timedelta(minutes=2)
UNREACHABLE = "the payment service did not answer; nothing was charged: try again in a few minutes"


def create_pledge(request: PledgeRequest, *, catalog: Catalog, store: Store, payments: Payments,
                  now: dt.datetime, pledge_id: str | None = None, origin: str | None = None,
                  ref_code: Callable[[], str] = new_ref_code, client: str | None = None) -> Opened:
    """Decide, reserve, open Checkout, remember the session: ``POST /pledges``.

    The unit of a limited reward is held before Checkout opens (so two backers
    can never pay for the last one) and released if Checkout cannot open.
    ``client`` (a hash of the caller's address; None when it cannot be told
    apart) holds one open reservation per limited reward: opening another
    releases its earlier unpaid one (:func:`release_earlier`).
    """
    campaign = catalog.campaigns.get(request.campaign)
    # After the deadline, a late pledge needs the goal reached: what the counters say (late ones apart).
    funded = campaign is not None and campaign.late_window(now) and \
        store.counters(campaign.slug).raised >= campaign.goal
    opening = pledges.open_pledge(request, campaign, now=now, pledge_id=pledge_id or new_pledge_id(),
                                  ref_code=ref_code(), funded=funded)
    pledge = opening.pledge
    limited = any(v is not None for v in opening.limits.values()) if opening.limits else opening.limit is not None
    hold = f"hold:{pledge.campaign}:{pledge.reward}:{client}" if client and limited else None
    for _ in range(3):  # a referral code collision is astronomically rare; retry with a new one
        if hold:
            release_earlier(store.mark(hold, pledge.id, pledge.expires_at, now), store=store, payments=payments,
                            now=now)
        try:
            store.open_pledge(pledge, opening.limits or opening.limit)
            break
        except SoldOut as exc:
            if store.marked(PAYMENTS_DOWN, now):
                raise Unavailable(UNREACHABLE) from None
            raise SoldOutError(sold_out(pledge, exc)) from None
        except Duplicate:
            pledge = pledge.replace(id=new_pledge_id(), ref_code=ref_code())
    else:
        raise Unavailable("could not allocate a pledge id; try again")
    checkout_request = rebased(replace(opening.checkout, pledge_id=pledge.id), catalog.base_url, origin)
    try:
        checkout: Checkout = payments.create_checkout(checkout_request)
    except PaymentsError as error:
        store.mark(PAYMENTS_DOWN, now.isoformat(), now + PAYMENTS_DOWN_FOR, now)
        update(store, pledge, lambda p: p.replace(status=FAILED) if p.status == PENDING else None, now)
        # Stripe's own words and request id are for the operator's log, not for the backer.
        log.warning("checkout for pledge %s could not open: %s", pledge.id, error)
        raise PaymentProviderError(UNREACHABLE) from None
    update(store, pledge, lambda p: p.replace(checkout_session_id=checkout.session_id, checkout_url=checkout.url,
                                                customer_id=checkout.customer_id or p.customer_id), now)
    return Opened(pledge_id=pledge.id, checkout_url=checkout.url)


def sold_out(pledge, exc: Exception) -> str:
    """What to tell the backer: which item of their pledge is sold out (the store names it first, quoted)."""
    parts = str(exc).split("'")
    item = parts[1] if len(parts) > 2 and parts[1] in pledge.units else pledge.reward
    kind = "reward" if item == pledge.reward else "add-on"
    return f"the {kind} '{item}' is sold out"


def release_earlier(pledge_id: str | None, *, store: Store, payments: Payments, now: dt.datetime) -> bool:
    """Release the unit a client's earlier, unpaid pledge of the same reward holds.

    Its Checkout session is expired at Stripe first, so it can no longer be
    paid; a session the backer completed meanwhile keeps its unit (its
    ``checkout.session.completed`` is on the way). Stripe failing leaves the
    earlier pledge to lapse on its own. True when a unit was released.
    """
    pledge = store.get_pledge(pledge_id) if pledge_id else None
    if pledge is None or pledge.status != PENDING or not pledge.checkout_session_id:
        return False  # gone, paid, or still opening (its own request releases it if Checkout fails)
    try:
        if not payments.expire_checkout(pledge.checkout_session_id):
            return False
    except PaymentsError as error:
        log.warning("could not expire the earlier checkout of pledge %s: %s", pledge.id, error)
        return False
    outcome, _ = update(store, pledge, lambda p: p.replace(status=EXPIRED) if p.status == PENDING else None, now)
    return outcome == "applied"


def rebased(request, base: str, origin: str | None):
    """Served locally (cagnotte serve): Checkout comes back to serve, not to the public site."""
    if not origin:
        return request
    return replace(request, success_url=_rebase(request.success_url, base, origin),
                   cancel_url=_rebase(request.cancel_url, base, origin))


def _rebase(url: str, base: str, origin: str) -> str:
    base = base.rstrip("/")
    return origin.rstrip("/") + url[len(base):] if url.startswith(base) else url


def update(store: Store, pledge: Pledge, decide: Callable[[Pledge], Pledge | None], now: dt.datetime, *,
           event_id: str | None = None, links=None, limit: int | None = None) -> tuple[str, Pledge | None]:
    """Apply ``decide`` to the stored pledge, reading it again after a version conflict.

    The one way a pledge changes (events, settlement, the backer's own changes):
    ``("applied", after)``, ``("duplicate", current)`` (that event was applied
    before) or ``("ignored", current)`` (``decide`` had nothing to do). Errors
    from ``decide`` and :class:`SoldOut` (``limit``) reach the caller.
    """
    current: Pledge | None = pledge
    for _ in range(MAX_CONFLICT_RETRIES):
        after = decide(current)
        if after is None:
            return "ignored", current
        change = events.change(current, after, event_id=event_id, now=now, links=links, limit=limit)
        try:
            store.apply(change)
            return "applied", change.after
        except Duplicate:
            return "duplicate", current
        except Conflict:
            current = store.get_pledge(pledge.id)
            if current is None:
                return "ignored", None
    raise Unavailable("the pledge is changing too fast; try again")


def apply_event(event: dict, *, store: Store, now: dt.datetime, links=None) -> str:
    """Apply one verified Stripe event: ``applied``, ``duplicate`` or ``ignored``."""
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise Invalid("not a Stripe event")
    if event.get("type") not in events.HANDLED:
        return "ignored"
    pledge_id = events.pledge_id_of(event)
    pledge = store.get_pledge(pledge_id) if pledge_id else None
    if pledge is None and event["type"] in ("charge.refunded", "payment_intent.succeeded",
                                            "payment_intent.payment_failed"):
        # A charge may not carry its PaymentIntent's metadata: find the pledge by the intent.
        intent = events.payment_intent_of(event)
        pledge = store.pledge_by_payment_intent(intent) if intent else None
    if pledge is None:
        return "ignored"  # not one of ours (another integration on the same Stripe account)
    if store.has_event(event["id"]):
        return "duplicate"
    return update(store, pledge, lambda p: events.decide(p, event, now), now, event_id=event["id"], links=links)[0]


def campaign_stats(slug: str, *, catalog: Catalog, store: Store, now: dt.datetime) -> dict:
    campaign = catalog.campaigns.get(slug)
    if campaign is None:
        raise NotFound(f"no campaign '{slug}'")
    return stats.stats(campaign, store.counters(slug), now)


LEADERBOARD_SIZE = 10


def leaderboard(slug: str, *, catalog: Catalog, store: Store) -> dict:
    """The codes that brought the most, for a campaign whose creator opted in (``leaderboard: true``)."""
    campaign = catalog.campaigns.get(slug)
    if campaign is None:
        raise NotFound(f"no campaign '{slug}'")
    if not campaign.leaderboard:
        raise NotFound(f"'{slug}' does not show a referral leaderboard")
    return {"campaign": slug, "currency": campaign.currency,
            "referrals": [{"code": r.code, "pledges": r.pledges, "raised": r.raised}
                          for r in store.top_referrals(slug, LEADERBOARD_SIZE)]}


def pledge_view(session_id: str, *, catalog: Catalog, store: Store, manage_base: str | None = None,
                secret: str | None = None) -> dict:
    """What the thanks page shows: no personal data.

    ``manage_url`` is the backer's private link (``{manage_base}/manage/{token}``)
    when a secret is configured.
    """
    pledge = store.pledge_by_session(session_id)
    if pledge is None:
        raise NotFound("no pledge for this checkout session")
    manage_url = f"{manage_base}/manage/{tokens.make('manage', pledge.id, secret)}" if secret and manage_base else None
    return {"pledge_id": pledge.id, "campaign": pledge.campaign, "reward": pledge.reward,
            "quantity": pledge.quantity, "addons": dict(pledge.addons),
            "amount": pledge.amount, "currency": pledge.currency, "status": pledge.status,
            "ref_code": pledge.ref_code, "manage_url": manage_url}


def referral_view(code: str, *, campaign: str | None, catalog: Catalog, store: Store) -> dict:
    if not pledges.REF.match(code):
        raise Invalid("a referral code is 1 to 64 letters, digits, '-' or '_'")
    if campaign is not None and campaign not in catalog.campaigns:
        raise NotFound(f"no campaign '{campaign}'")
    found = store.referral(code, campaign)
    if found is None or found.campaign not in catalog.campaigns:
        raise NotFound(f"no referral code '{code}'")
    return stats.referral(found, catalog.campaigns[found.campaign])


FIX_REMINDER_BEFORE = dt.timedelta(days=2)


CARD_WARNING_BEFORE = dt.timedelta(days=7)


def queue_scheduled_mail(*, catalog: Catalog, store: Store, links, now: dt.datetime,
                         payments: Payments | None = None, creators: dict[str, str] | None = None) -> int:
    """What the clock decides: launch messages for campaigns now open, the one reminder
    before a failed payment's window closes, the creator's digest, updates to mail, and
    the survey of each settled pledge (until the addresses are locked).
    Idempotent (row ids are fixed)."""
    from . import notify, reminders, survey, updates

    if links is None or not links.secret:
        return 0
    queued = 0
    yesterday = (now.astimezone(dt.timezone.utc) - dt.timedelta(days=1)).date()
    for campaign in catalog.campaigns.values():
        address = (creators or {}).get(campaign.slug)
        if address and (campaign.starts is None or campaign.starts.date() <= yesterday) and \
                yesterday <= campaign.ends.astimezone(dt.timezone.utc).date():
            mail = notify.digest(campaign, address, store.counters(campaign.slug), yesterday, now)
            if mail is not None:
                queued += store.queue_mail(mail)
        if campaign.starts is not None and campaign.starts <= now < campaign.ends:
            for reminder in store.reminders(campaign.slug):
                if reminder.status == reminders.CONFIRMED:
                    queued += store.queue_mail(reminders.launch_mail(reminder, campaign, links.api_base,
                                                                     links.secret, now))
        if payments is not None and campaign.funding == "all_or_nothing" and \
                campaign.ends - CARD_WARNING_BEFORE <= now < campaign.ends:
            for pledge in store.pledges(campaign.slug):
                if pledge.status != "pledged" or not pledge.customer_id or not pledge.email or \
                        store.get_mail(f"card_expiring:{pledge.id}") is not None:
                    continue
                try:
                    expires = payments.card_expiry(pledge.customer_id, pledge.setup_intent_id)
                except PaymentsError:
                    continue  # the next run asks again
                mail = notify.card_expiring(pledge, links, expires, now) if expires else None
                if mail is not None:
                    queued += store.queue_mail(mail)
        if campaign.funding == "all_or_nothing" and now >= campaign.ends:
            for pledge in store.pledges(campaign.slug):
                if pledge.status == "payment_failed" and pledge.fix_deadline and \
                        pledge.fix_deadline - FIX_REMINDER_BEFORE <= now < pledge.fix_deadline:
                    mail = notify.fix_reminder(pledge, links, now)
                    if mail is not None:
                        queued += store.queue_mail(mail)
        if campaign.survey and now >= campaign.ends and store.addresses_locked(campaign.slug) is None:
            for pledge in store.pledges(campaign.slug):
                if not pledge.email or not survey.open_for(pledge, campaign, now) or \
                        store.get_mail(f"survey:{pledge.id}") is not None or store.get_survey(pledge.id) is not None:
                    continue  # already invited, or answered from the manage page first
                mail = notify.survey(pledge, links, now)
                if mail is not None:
                    queued += store.queue_mail(mail)
    queued += updates.queue(catalog=catalog, store=store, links=links, now=now, creators=creators)
    return queued
