"""Digital rewards (``delivery: download``): what a backer may take once their pledge is charged.

A reward delivers files (a signed link per file, for 7 days: :func:`link_token`)
or a code from the creator's list, each code to one pledge only
(:meth:`functions.core.ports.Store.take_code`). The codes and file names come
from the build's ``private.json``, never from the public site.
"""

from __future__ import annotations

import datetime as dt

from functions.core import tokens
from functions.core.model import COLLECTED, PAID

LINK_TTL = dt.timedelta(days=7)
DELIVERED = (COLLECTED, PAID)  # charged: all or nothing after settlement, flexible (or late) when paid


def delivered(pledge) -> bool:
    """Whether the pledge's digital reward may be handed over now."""
    return pledge.status in DELIVERED


def link_token(pledge_id: str, name: str, now: dt.datetime, secret: str) -> str:
    """A download token for one file of the pledge, valid for :data:`LINK_TTL` from ``now``."""
    return tokens.make_download(pledge_id, name, int((now + LINK_TTL).timestamp()), secret)


def read_token(token: str, now: dt.datetime, secret: str) -> tuple[str, str] | None:
    """``(pledge id, file name)`` of a genuine, unexpired token, else None."""
    return tokens.check_download(token, secret, int(now.timestamp()))


def files_of(private: dict, campaign: str, reward: str | None) -> tuple[str, ...]:
    """The files the reward delivers (``private``: private.json's ``downloads``)."""
    return tuple(((private.get(campaign) or {}).get(reward or "") or {}).get("files") or ())


def code_for(store, private: dict, pledge) -> str | None:
    """The pledge's own code (taken now if it has none yet); None when every code has gone."""
    codes = ((private.get(pledge.campaign) or {}).get(pledge.reward or "") or {}).get("codes") or []
    if not codes:
        return None
    index = store.take_code(pledge.campaign, pledge.reward, pledge.id, len(codes))
    return codes[index] if index is not None else None
