"""Chooses the push sender from the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.notifications.push import FcmSender, LogSender, PushSender


def make_sender(config: Mapping[str, Any]) -> PushSender:
    if config["PUSH_BACKEND"] == "fcm":
        return FcmSender(
            credentials_file=config.get("FIREBASE_CREDENTIALS_FILE"),
            project_id=config.get("FIREBASE_PROJECT_ID"),
            # The worker owns retries: the SDK's own would sleep out a quota Retry-After
            # (minutes) inside send_each and stall every other notification behind it.
            http_retries=False,
        )
    return LogSender()
