"""Amazon SES v2 through boto3: the production transport.

The raw MIME message is sent with ``SendEmail`` (``Content.Raw``) so the text
and HTML parts and headers such as ``List-Unsubscribe`` arrive exactly as built.
"""

from __future__ import annotations

from functions.core.mail import MailError, Message
from functions.mailers.outbox import build


class SES:
    def __init__(self, sender: str, configuration_set: str | None = None, client=None):
        self.sender = sender
        self.configuration_set = configuration_set
        self._client = client

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
        try:
            return self.client.send_email(**params)["MessageId"]
        except (ClientError, BotoCoreError) as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
            raise MailError(f"SES refused the message ({code})") from None
