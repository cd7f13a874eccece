"""A delivery worker in its own process, pointed at a fake FCM server (for the PostgreSQL
multi-process tests). Exits after a few passes that find nothing to do."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

from firebase_admin.messaging import _MessagingService

from api.db import get_engine, make_session_factory
from api.notifications.dispatch import dispatch_once
from api.notifications.push import FcmSender
from tests.fcm_fake import StaticTokenCredentials


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--fcm-url", required=True)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--lease-seconds", type=float, default=300)
    parser.add_argument("--idle-passes", type=int, default=20)
    parser.add_argument("--hang-after-send", action="store_true")
    args = parser.parse_args()

    _MessagingService.FCM_URL = args.fcm_url
    sender = FcmSender(
        project_id="steady-test",
        credential=StaticTokenCredentials(token="x"),
        app_name="worker-process",
        http_retries=False,
    )
    if args.hang_after_send:
        real_send = sender.send

        def send_then_hang(messages, *, now):
            results = real_send(messages, now=now)
            print("SENT", len(messages), flush=True)
            time.sleep(3600)  # killed here: sent, never recorded
            return results

        sender.send = send_then_hang  # type: ignore[method-assign]

    session_factory = make_session_factory(get_engine(args.database_url))
    idle = claimed = 0
    while idle < args.idle_passes:
        stats = dispatch_once(
            session_factory=session_factory,
            sender=sender,
            now=datetime.now(UTC),
            batch_size=args.batch,
            lease=timedelta(seconds=args.lease_seconds),
        )
        claimed += stats.claimed
        if stats.claimed:
            idle = 0
        else:
            idle += 1
            time.sleep(0.05)
    print("CLAIMED", claimed, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
