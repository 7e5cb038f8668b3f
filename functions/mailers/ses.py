"""Amazon SES v2 through boto3: the production transport.

The raw MIME message is sent with ``SendEmail`` (``Content.Raw``) so the text
and HTML parts and headers such as ``List-Unsubscribe`` arrive exactly as built.

Messages are paced to the account's sending rate (``GetSendQuota``'s
``MaxSendRate``: 1 a second in the sandbox, 14 by default in production), read
once per process; an update to 10,000 backers is sent in about 12 minutes at 14
a second, within the settle function's 15. When the rate cannot be read (no
permission), nothing is paced and SES's own throttling answers are retried
later, the row left due.
"""

from __future__ import annotations

import time

from functions.core.mail import MailError, Message
from functions.mailers.outbox import build


AUTO = "auto"


class SES:
    def __init__(self, sender: str, configuration_set: str | None = None, client=None,
                 max_rate: float | str | None = AUTO):
        self.sender = sender
        self.configuration_set = configuration_set
        self._client = client
        self._rate = max_rate  # messages a second; AUTO: SES's MaxSendRate; None: not paced
        self._next = 0.0  # the monotonic moment the next message may leave

    def _pace(self) -> None:
        if self._rate == AUTO:
            self._rate = self._account_rate()
        if not self._rate:
            return
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
        self._next = max(now, self._next) + 1.0 / float(self._rate)

    def _account_rate(self) -> float | None:
        try:
            import boto3

            client = boto3.client("ses", region_name=self.client.meta.region_name,
                                  endpoint_url=self.client.meta.endpoint_url)
            rate = float(client.get_send_quota()["MaxSendRate"])
            return rate if rate > 0 else None
        except Exception:  # no permission or no answer: SES's throttling errors pace us instead
            return None

    @property
    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client("sesv2")
        return self._client

    def send(self, message: Message) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        params = {"FromEmailAddress": self.sender, "Destination": {"ToAddresses": [message.to]},
                  "Content": {"Raw": {"Data": bytes(build(message, self.sender))}}}
        if self.configuration_set:
            params["ConfigurationSetName"] = self.configuration_set
        self._pace()
        try:
            return self.client.send_email(**params)["MessageId"]
        except (ClientError, BotoCoreError) as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
            raise MailError(f"SES refused the message ({code})") from None
