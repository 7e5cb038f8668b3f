"""Counters recomputed from the ledger: the proof that every atomic add added up.

The ledger (each pledge's status, amount and refunds) is the truth; the
counters are a cache of it. :func:`recount` derives them again, :func:`drift`
lists every difference, and ``reconcile --fix`` writes the recount back.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pledge import Pledge
from .ports import Counters, Referral


@dataclass(frozen=True)
class Drift:
    what: str  # raised | backers | collected | claimed[reward] | history | referral[code]
    counters: object
    ledger: object

    def __str__(self) -> str:
        return f"{self.what}: counters say {self.counters}, the ledger says {self.ledger}"


def recount(campaign: str, pledges: list[Pledge]) -> tuple[Counters, list[Referral]]:
    """The counters and referral totals the ledger implies."""
    claimed: dict[str, int] = {}
    chosen: dict[str, int] = {}
    days: dict[str, tuple[int, int]] = {}
    referrals: dict[str, list[int]] = {}
    raised = backers = collected = 0
    updated = None
    for p in pledges:
        for item, units in p.units.items():
            if p.holds_unit or item in claimed:
                claimed[item] = claimed.get(item, 0) + (units if p.holds_unit else 0)
        if p.updated_at and (updated is None or p.updated_at > updated):
            updated = p.updated_at
        if not p.counts:
            continue
        raised += p.net
        backers += 1
        if p.reward is not None:
            chosen[p.reward] = chosen.get(p.reward, 0) + 1
        collected += p.collected
        # Without the full event log, history is rebuilt from each counted pledge's first counting day.
        day = p.counted_on or p.created_at.date().isoformat()
        r, b = days.get(day, (0, 0))
        days[day] = (r + p.net, b + 1)
        if p.ref:
            totals = referrals.setdefault(p.ref, [0, 0])
            totals[0] += 1
            totals[1] += p.net
    counters = Counters(campaign=campaign, raised=raised, backers=backers, collected=collected, claimed=claimed,
                        chosen=chosen, days=days, updated_at=updated)
    return counters, [Referral(code, campaign, n, amount) for code, (n, amount) in sorted(referrals.items())]


def drift(stored: Counters, stored_referrals: dict[str, Referral], pledges: list[Pledge]) -> list[Drift]:
    """Every difference between the stored counters and the ledger's recount."""
    ledger, referrals = recount(stored.campaign, pledges)
    out = []
    for name in ("raised", "backers", "collected"):
        if getattr(stored, name) != getattr(ledger, name):
            out.append(Drift(name, getattr(stored, name), getattr(ledger, name)))
    for reward in sorted(set(stored.claimed) | set(ledger.claimed)):
        if stored.claimed.get(reward, 0) != ledger.claimed.get(reward, 0):
            out.append(Drift(f"claimed[{reward}]", stored.claimed.get(reward, 0), ledger.claimed.get(reward, 0)))
    for reward in sorted(set(stored.chosen) | set(ledger.chosen)):
        if stored.chosen.get(reward, 0) != ledger.chosen.get(reward, 0):
            out.append(Drift(f"chosen[{reward}]", stored.chosen.get(reward, 0), ledger.chosen.get(reward, 0)))
    # The day-by-day history must at least add up to the totals.
    total = (sum(r for r, _ in stored.days.values()), sum(b for _, b in stored.days.values()))
    if total != (ledger.raised, ledger.backers):
        out.append(Drift("history (sum of days)", total, (ledger.raised, ledger.backers)))
    for r in referrals:
        got = stored_referrals.get(r.code)
        if got is None or (got.pledges, got.raised) != (r.pledges, r.raised):
            out.append(Drift(f"referral[{r.code}]", (got.pledges, got.raised) if got else (0, 0),
                             (r.pledges, r.raised)))
    return out
