"""How long one call to Stripe may take, waits and retries included.

The SDK waits 80 seconds for an answer by default and retries on its own; a
pledge function has 15 (template.yaml), so an unbounded call would be cut by
Lambda mid-way, after the reservation was written and before the answer was.
A :class:`Budget` bounds each adapter call (a pledge's Checkout, a settlement
charge) as a whole: every HTTP attempt gets at most ``timeout`` seconds and
never more than the time left; the SDK is allowed only the network retries
that still fit (each a whole ``timeout`` plus the SDK's longest wait before
it); a 429 wait that would not leave room for another attempt is not waited.
Past the budget the call fails as a connection error, which the adapter turns
into ``PaymentsError`` ("nothing was charged, try again").
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import requests
import stripe

MAX_TIMEOUT = 20.0  # seconds: far above Stripe's usual answer, well inside any function's limit


@dataclass(frozen=True)
class Budget:
    """The time one adapter call may spend on Stripe.

    ``seconds`` is the whole call (every request, attempt and wait);
    ``timeout`` one HTTP attempt (connect and read); ``network_retries`` the
    most retries the SDK may make of one request (connection errors, 409, 5xx)
    when they fit; ``rate_limit_attempts`` the most tries of one request
    that Stripe answers 429.
    """

    seconds: float = 10.0
    timeout: float = 4.0
    network_retries: int = 1
    rate_limit_attempts: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= self.seconds:
            raise ValueError(f"a Stripe budget needs 0 < timeout <= seconds, not {self.timeout} and {self.seconds}")
        if self.network_retries < 0 or self.rate_limit_attempts < 1:
            raise ValueError("a Stripe budget needs network_retries >= 0 and rate_limit_attempts >= 1")

    @classmethod
    def within(cls, seconds: float) -> Budget:
        """The budget of calls that may take ``seconds`` in all (``CAGNOTTE_STRIPE_BUDGET``).

        Each attempt may take 40% of it (at most :data:`MAX_TIMEOUT`), so a
        retry fits; longer budgets allow two.
        """
        timeout = min(MAX_TIMEOUT, max(min(1.0, seconds), seconds * 0.4))
        return cls(seconds=seconds, timeout=timeout, network_retries=2 if seconds >= 3 * timeout + 2 else 1)

    @property
    def min_attempt(self) -> float:
        """No attempt starts with less time than this left: it could not get an answer."""
        return min(1.0, self.timeout)

    def retries_within(self, left: float) -> int:
        """How many SDK retries of one request fit in ``left`` seconds, each attempt timing out in full."""
        spent, retries = self.timeout, 0
        while retries < self.network_retries:
            spent += sdk_wait(retries + 1) + self.timeout
            if spent > left:
                break
            retries += 1
        return retries

    def worst_request(self) -> float:
        """The longest one request can take with all its retries (the budget still cuts it)."""
        return self.timeout * (self.network_retries + 1) + sum(sdk_wait(n) for n in range(1, self.network_retries + 1))


# What the pledge and manage functions spend on a call: 10 of Lambda's 15 s (template.yaml),
# the rest for a cold start, the store's writes and the answer. One request's worst
# (two attempts of 4 s and the SDK's wait of at most 0.5 s) fits; the budget cuts the rest.
PLEDGE = Budget()
# The settle function (900 s, template.yaml sets CAGNOTTE_STRIPE_BUDGET=60) and ``cagnotte settle``:
# a charge may take a minute; a run cut short is resumed by the next one.
SETTLE = Budget.within(60)


def budget_from(seconds: str | None, default: Budget = PLEDGE) -> Budget:
    """The budget that ``CAGNOTTE_STRIPE_BUDGET`` (seconds, e.g. ``60`` for the settle function) sets."""
    from functions.core.errors import Unavailable

    if not seconds:
        return default
    try:
        value = float(seconds)
        if not 0 < value < 3600:
            raise ValueError
    except ValueError:
        raise Unavailable(f"CAGNOTTE_STRIPE_BUDGET must be a number of seconds (0 to 3600), not {seconds!r}") from None
    return Budget.within(value)


def sdk_wait(retry: int) -> float:
    """The SDK's longest wait before its retry number ``retry`` (1-based): HTTPClient's backoff, jitter at its top."""
    client = stripe.HTTPClient
    return max(client.INITIAL_DELAY, min(client.INITIAL_DELAY * 2 ** (retry - 1), client.MAX_DELAY))


class Deadline:
    """The deadline of the adapter call under way, per thread (serve and settle call from several)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def running(self, seconds: float) -> Iterator[None]:
        outer = getattr(self._local, "at", None)
        if outer is None:  # a call made inside another keeps the outer deadline
            self._local.at = time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.at = outer

    def left(self) -> float:
        """Seconds left to the current call (infinite outside one)."""
        at = getattr(self._local, "at", None)
        return float("inf") if at is None else at - time.monotonic()


class DeadlineSession(requests.Session):
    """The SDK's HTTP session: each attempt's timeout is cut to what is left of the call."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        left = self.deadline.left()
        if left <= 0:
            raise requests.exceptions.Timeout("the time budget of this Stripe call is spent")
        timeout = kwargs.get("timeout")
        if left != float("inf"):
            if isinstance(timeout, tuple):
                kwargs["timeout"] = tuple(min(part, left) for part in timeout)
            else:
                kwargs["timeout"] = left if timeout is None else min(timeout, left)
        return super().request(method, url, *args, **kwargs)


def http_client(budget: Budget, deadline: Deadline) -> stripe.RequestsClient:
    """The SDK's requests client with ``budget.timeout`` per attempt, cut by ``deadline``."""
    return stripe.RequestsClient(timeout=budget.timeout, session=DeadlineSession(deadline))
