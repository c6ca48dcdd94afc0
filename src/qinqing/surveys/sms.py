"""The SMS channel of the outbox for survey invitations (behind demands.notifications' interface).

POSTs {"to", "text", "id"} as JSON to settings.SMS_GATEWAY_URL (the office's gateway); without a gateway
configured the message fails and stays visible in the outbox (it is never reported as sent).
"""

from __future__ import annotations

import json
import urllib.request

from django.conf import settings

from qinqing.demands.models import Outbox


class SmsChannel:
    def send(self, message: Outbox) -> None:
        url = getattr(settings, "SMS_GATEWAY_URL", "")
        if not url:
            raise RuntimeError("未配置短信网关（SMS_GATEWAY_URL）")
        body = json.dumps({"to": message.address, "text": message.body, "id": message.delivery_key}).encode()
        request = urllib.request.Request(  # noqa: S310 - configured by the office
            url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")
