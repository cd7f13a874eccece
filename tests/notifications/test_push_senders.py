"""Push senders against real firebase-admin code talking to a local fake FCM server.

How the SDK's own HTTP retries interact with these tests (firebase-admin 7.7 / urllib3 2.x):
each message is its own HTTP request, retried by urllib3 up to 4 times on 500/503 with sleeps
of 0, 1, 2 and 4 seconds, and on 429/503 carrying Retry-After by sleeping that long each time.
A permanently failing 503 therefore takes ~7 s and a 429 with "Retry-After: 120" ~8 minutes
before the SDK reports it. Tests that need the final classification use
`http_retries=False` (one attempt); tests of the default policy use `times=1` on the fake, so
the single retry happens immediately (urllib3 does not sleep before its first retry).
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import firebase_admin
import pytest
from firebase_admin import messaging

from api.notifications.push import (
    FcmSender,
    LogSender,
    PushMessage,
    PushResult,
    PushSender,
    build_message,
)
from tests.fcm_fake import (
    FakeFcmServer,
    fake_fcm,
    fcm_sender_for,
    service_account_sender_for,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def fcm() -> Iterator[FakeFcmServer]:
    with fake_fcm() as server:
        yield server


def push(
    token: str,
    *,
    n: int = 1,
    platform: str = "android",
    kind: str = "gratitude_received",
    expires_at: datetime | None = None,
    data: dict[str, str] | None = None,
) -> PushMessage:
    return PushMessage(
        notification_id=f"00000000-0000-4000-8000-{n:012d}",
        device_id=f"device-{n}",
        token=token,
        platform=platform,
        kind=kind,
        title="Sam said thank you",
        body="For making dinner tonight",
        data={"couple_id": "c-1"} if data is None else data,
        expires_at=NOW + timedelta(hours=1) if expires_at is None else expires_at,
    )


def test_senders_satisfy_protocol() -> None:
    senders: list[PushSender] = [LogSender(), FcmSender(project_id="p")]
    assert [s.name for s in senders] == ["log", "fcm"]


# -- wire format ---------------------------------------------------------------------------


def test_success_and_request_body(fcm: FakeFcmServer) -> None:
    sender = fcm_sender_for(fcm)
    msg = push("tok-android")

    [result] = sender.send([msg], now=NOW)

    assert result.outcome == "sent"
    assert result.message_id is not None
    assert result.message_id.startswith("projects/steady-test/messages/")
    [request] = fcm.requests
    assert request.project == "steady-test"
    assert request.headers["authorization"] == "Bearer x"
    assert "validate_only" not in request.body
    body = request.message
    assert body["token"] == "tok-android"
    assert body["notification"] == {
        "title": "Sam said thank you",
        "body": "For making dinner tonight",
    }
    assert body["data"] == {
        "couple_id": "c-1",
        "notification_id": msg.notification_id,
        "kind": "gratitude_received",
    }
    assert all(isinstance(v, str) for v in body["data"].values())
    assert body["android"] == {
        "priority": "high",
        "ttl": "3600s",
        "collapse_key": msg.notification_id,
        "notification": {"tag": msg.notification_id},
    }
    assert body["apns"]["headers"] == {
        "apns-priority": "10",
        "apns-collapse-id": msg.notification_id,
        "apns-expiration": str(int((NOW + timedelta(hours=1)).timestamp())),
        "apns-push-type": "alert",
    }
    assert body["apns"]["payload"] == {
        "aps": {"sound": "default", "thread-id": "gratitude_received"}
    }
    assert "webpush" not in body


def test_web_gets_webpush_ttl_header(fcm: FakeFcmServer) -> None:
    sender = fcm_sender_for(fcm)
    msg = push("tok-web", platform="web", expires_at=NOW + timedelta(minutes=10, seconds=0.7))

    assert sender.send([msg], now=NOW)[0].outcome == "sent"

    body = fcm.requests[0].message
    # Since web pushes carry a collapse identity, the config holds Topic and a tag too.
    assert body["webpush"] == {
        "headers": {"TTL": "600", "Topic": "00000000000040008000000000000001"},
        "notification": {"tag": msg.notification_id},
    }
    assert body["android"]["ttl"] == "600s"


def test_a_repeat_replaces_the_first_on_every_platform(fcm: FakeFcmServer) -> None:
    # A worker that died after sending gets its batch re-sent by another: the same
    # notification reaches each device twice and must replace, not stack.
    sender = fcm_sender_for(fcm)
    first = [push(f"tok-{p}", n=7, platform=p) for p in ("android", "ios", "web")]
    other = push("tok-web", n=8, platform="web")
    for attempt in (first, first, [other]):
        assert [r.outcome for r in sender.send(attempt, now=NOW)] == ["sent"] * len(attempt)

    def collapse(message: dict) -> tuple:
        webpush = message.get("webpush", {})
        return (
            message["android"]["collapse_key"],
            message["android"]["notification"]["tag"],
            message["apns"]["headers"]["apns-collapse-id"],
            webpush.get("headers", {}).get("Topic"),
            webpush.get("notification", {}).get("tag"),
        )

    for token in ("tok-android", "tok-ios"):
        once, again = (collapse(r.message) for r in fcm.requests_for(token))
        assert once == again
    web = [collapse(r.message) for r in fcm.requests_for("tok-web")]
    assert web[0] == web[1] != web[2]
    notification_id = first[0].notification_id
    topic = web[0][3]
    assert web[0][4] == notification_id
    # RFC 8030: at most 32 characters of the URL- and filename-safe base64 alphabet.
    assert len(topic) <= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", topic)
    assert topic == uuid.UUID(notification_id).hex


def test_the_web_push_topic_is_valid_for_any_id() -> None:
    from api.notifications.push import web_push_topic

    for notification_id in ("not-a-uuid", "x" * 200, "é/+="):
        topic = web_push_topic(notification_id)
        assert len(topic) == 32 and re.fullmatch(r"[A-Za-z0-9_-]+", topic)
        assert topic == web_push_topic(notification_id)
    assert web_push_topic("a") != web_push_topic("b")


def test_expired_message_gets_zero_ttl(fcm: FakeFcmServer) -> None:
    sender = fcm_sender_for(fcm)
    expired = NOW - timedelta(minutes=5)
    msg = push("tok-late", platform="web", expires_at=expired)

    assert sender.send([msg], now=NOW)[0].outcome == "sent"

    body = fcm.requests[0].message
    assert body["android"]["ttl"] == "0s"
    assert body["webpush"]["headers"]["TTL"] == "0"
    assert body["apns"]["headers"]["apns-expiration"] == str(int(expired.timestamp()))


def test_build_message_does_not_leak_token_deprecation_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = build_message(push("tok"), now=NOW)
    assert message.token == "tok"


def test_our_keys_win_over_caller_data() -> None:
    message = build_message(push("tok", data={"kind": "spoofed", "x": "1"}), now=NOW)
    assert message.data == {
        "kind": "gratitude_received",
        "x": "1",
        "notification_id": push("tok").notification_id,
    }


def test_firebase_app_created_on_first_send_only(fcm: FakeFcmServer) -> None:
    sender = fcm_sender_for(fcm)
    assert sender.app_name not in firebase_admin._apps

    assert sender.send([], now=NOW) == []
    assert sender.app_name not in firebase_admin._apps

    sender.send([push("tok")], now=NOW)
    assert sender.app_name in firebase_admin._apps
    assert firebase_admin.get_app(sender.app_name).project_id == "steady-test"


# -- classification ------------------------------------------------------------------------


def test_unregistered_is_invalid_token(fcm: FakeFcmServer) -> None:
    fcm.unregistered("tok-dead")

    [result] = fcm_sender_for(fcm).send([push("tok-dead")], now=NOW)

    assert result == PushResult(
        "invalid_token", error="UNREGISTERED: Requested entity was not found."
    )


def test_invalid_argument_about_token_is_invalid_token(fcm: FakeFcmServer) -> None:
    fcm.invalid_argument("tok-garbage")

    [result] = fcm_sender_for(fcm).send([push("tok-garbage")], now=NOW)

    assert result.outcome == "invalid_token"
    assert result.error == (
        "INVALID_ARGUMENT: The registration token is not a valid FCM registration token"
    )


def test_other_invalid_argument_is_failed(fcm: FakeFcmServer) -> None:
    fcm.respond(
        "tok",
        400,
        "INVALID_ARGUMENT",
        "Invalid value at 'message.data[0].value'",
        fcm_error_code="INVALID_ARGUMENT",
    )

    [result] = fcm_sender_for(fcm).send([push("tok")], now=NOW)

    assert result.outcome == "failed"
    assert result.error == "INVALID_ARGUMENT: Invalid value at 'message.data[0].value'"


def test_sender_id_mismatch_is_invalid_token(fcm: FakeFcmServer) -> None:
    fcm.respond(
        "tok", 403, "PERMISSION_DENIED", "SenderId mismatch", fcm_error_code="SENDER_ID_MISMATCH"
    )

    [result] = fcm_sender_for(fcm).send([push("tok")], now=NOW)

    assert result.outcome == "invalid_token"
    assert result.error == "SENDER_ID_MISMATCH: SenderId mismatch"


@pytest.mark.parametrize(
    ("status", "error_status", "fcm_code"),
    [
        (401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"),
        (403, "PERMISSION_DENIED", None),
    ],
)
def test_auth_and_permission_errors_fail(
    fcm: FakeFcmServer, status: int, error_status: str, fcm_code: str | None
) -> None:
    fcm.respond("tok", status, error_status, "nope", fcm_error_code=fcm_code)

    [result] = fcm_sender_for(fcm).send([push("tok")], now=NOW)

    assert result == PushResult("failed", error=f"{fcm_code or error_status}: nope")
    # google-auth refreshes the credential and re-sends twice on a 401 before giving up.
    assert len(fcm.requests) == (3 if status == 401 else 1)


@pytest.mark.parametrize(("header", "expected"), [("120", 120.0), ("5", 60.0)])
def test_quota_exceeded_retries_no_sooner_than_a_minute(
    fcm: FakeFcmServer, header: str, expected: float
) -> None:
    fcm.quota("tok", retry_after=header)

    [result] = fcm_sender_for(fcm, http_retries=False).send([push("tok")], now=NOW)

    assert result.outcome == "retry"
    assert result.retry_after == expected
    assert result.error is not None and result.error.startswith("QUOTA_EXCEEDED: ")
    assert len(fcm.requests) == 1


def test_retry_after_as_http_date_is_relative_to_now(fcm: FakeFcmServer) -> None:
    when = email.utils.format_datetime(NOW + timedelta(seconds=300), usegmt=True)
    fcm.quota("tok", retry_after=when)

    [result] = fcm_sender_for(fcm, http_retries=False).send([push("tok")], now=NOW)

    assert result.retry_after == 300.0


def test_quota_without_retry_after_is_not_retried_by_the_sdk(fcm: FakeFcmServer) -> None:
    # urllib3 only retries a 429 when it carries Retry-After, so the default policy is safe here.
    fcm.quota("tok", retry_after=None)

    [result] = fcm_sender_for(fcm).send([push("tok")], now=NOW)

    assert result == PushResult("retry", error=result.error, retry_after=60.0)
    assert len(fcm.requests) == 1


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        (lambda s: s.unavailable("tok"), "UNAVAILABLE"),
        (lambda s: s.internal("tok"), "INTERNAL"),
    ],
    ids=["503", "500"],
)
def test_server_errors_are_retry(fcm: FakeFcmServer, setup, code: str) -> None:
    setup(fcm)

    started = time.monotonic()
    [result] = fcm_sender_for(fcm, http_retries=False).send([push("tok")], now=NOW)

    assert result.outcome == "retry"
    assert result.retry_after is None
    assert result.error is not None and result.error.startswith(f"{code}: ")
    assert len(fcm.requests) == 1
    assert time.monotonic() - started < 2


def test_unavailable_passes_retry_after_through(fcm: FakeFcmServer) -> None:
    fcm.unavailable("tok", retry_after="30")

    [result] = fcm_sender_for(fcm, http_retries=False).send([push("tok")], now=NOW)

    assert (result.outcome, result.retry_after) == ("retry", 30.0)


@pytest.mark.parametrize("setup", [FakeFcmServer.unavailable, FakeFcmServer.internal])
def test_sdk_retries_a_transient_server_error_by_default(fcm: FakeFcmServer, setup) -> None:
    setup(fcm, "tok", times=1)

    started = time.monotonic()
    [result] = fcm_sender_for(fcm).send([push("tok")], now=NOW)

    assert result.outcome == "sent"
    assert len(fcm.requests_for("tok")) == 2
    assert time.monotonic() - started < 2


def test_unreachable_server_is_retry(fcm: FakeFcmServer) -> None:
    sender = fcm_sender_for(fcm)
    fcm.stop()

    results = sender.send([push("a", n=1), push("b", n=2)], now=NOW)

    assert [r.outcome for r in results] == ["retry", "retry"]
    assert all(r.error and r.error.startswith("UNAVAILABLE: ") for r in results)


def test_mixed_batch_keeps_order(fcm: FakeFcmServer) -> None:
    fcm.unregistered("dead")
    fcm.quota("busy")
    fcm.invalid_argument("garbage")
    fcm.respond("rejected", 400, "INVALID_ARGUMENT", "Message is too big")
    tokens = ["ok-1", "dead", "ok-2", "busy", "garbage", "", "rejected", "ok-3"]

    results = fcm_sender_for(fcm, http_retries=False).send(
        [push(t, n=i) for i, t in enumerate(tokens)], now=NOW
    )

    assert [r.outcome for r in results] == [
        "sent",
        "invalid_token",
        "sent",
        "retry",
        "invalid_token",
        "failed",  # empty token: rejected before sending, without sinking the batch
        "failed",
        "sent",
    ]
    assert results[5].error == "INVALID_MESSAGE: push token is empty"
    assert len(fcm.requests) == 7


def test_large_batches_are_chunked(fcm: FakeFcmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    chunk_sizes: list[int] = []
    real_send_each = messaging.send_each

    def counting_send_each(messages, dry_run=False, app=None):
        chunk_sizes.append(len(messages))
        return real_send_each(messages, dry_run=dry_run, app=app)

    monkeypatch.setattr(messaging, "send_each", counting_send_each)
    # 501 is the smallest batch that needs a second chunk. Sending costs ~3 ms of CPU per
    # message here (send_each starts a thread and an HTTP request per message), so bigger
    # batches only make the test slower.
    msgs = [push(f"tok-{i}", n=i) for i in range(501)]
    fcm.unregistered("tok-500")

    results = fcm_sender_for(fcm).send(msgs, now=NOW)

    assert chunk_sizes == [500, 1]
    assert len(fcm.requests) == 501
    assert {r.message["token"] for r in fcm.requests} == {m.token for m in msgs}
    assert [r.outcome for r in results] == ["sent"] * 500 + ["invalid_token"]
    assert len({r.message_id for r in results[:500]}) == 500


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FcmSender(project_id="p").send([push("tok")], now=NOW.replace(tzinfo=None))


# -- access tokens -------------------------------------------------------------------------
# A service-account file whose token_uri is the fake: google-auth signs a JWT grant and posts
# it there exactly as it would to oauth2.googleapis.com, so these run the real refresh path.


def test_a_cold_batch_fetches_one_token_not_one_per_thread(
    fcm: FakeFcmServer, tmp_path
) -> None:
    sender = service_account_sender_for(fcm, tmp_path)
    first = [push(f"tok-{i}", n=i) for i in range(40)]

    assert [r.outcome for r in sender.send(first, now=NOW)] == ["sent"] * 40

    assert len(fcm.token_requests) == 1
    grant = fcm.token_requests[0]
    assert grant.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert {r.headers["authorization"] for r in fcm.requests} == {"Bearer fake-access-token-1"}
    # While the token is valid, later batches fetch none.
    sender.send([push(f"again-{i}", n=i) for i in range(40)], now=NOW)
    assert len(fcm.token_requests) == 1


def test_an_expired_token_is_fetched_again_once_per_batch(fcm: FakeFcmServer, tmp_path) -> None:
    sender = service_account_sender_for(fcm, tmp_path)
    sender.send([push("warm-up")], now=NOW)
    # An hour later (google-auth keeps expiry as naive UTC).
    credential = firebase_admin.get_app(sender.app_name).credential.get_credential()
    credential.expiry = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)

    results = sender.send([push(f"tok-{i}", n=i) for i in range(30)], now=NOW)

    assert [r.outcome for r in results] == ["sent"] * 30
    assert len(fcm.token_requests) == 2
    later = fcm.requests[1:]
    assert {r.headers["authorization"] for r in later} == {"Bearer fake-access-token-2"}


def test_a_refused_token_retries_the_batch_without_sending(fcm: FakeFcmServer, tmp_path) -> None:
    fcm.refuse_tokens("invalid_grant")
    sender = service_account_sender_for(fcm, tmp_path)

    results = sender.send([push(f"tok-{i}", n=i) for i in range(20)], now=NOW)

    assert {r.outcome for r in results} == {"retry"}
    assert all(r.error and r.error.startswith("RefreshError: ") for r in results)
    assert fcm.requests == [] and len(fcm.token_requests) == 1
    fcm.refuse_tokens(None)
    assert {r.outcome for r in sender.send([push("tok-1")], now=NOW)} == {"sent"}


# -- LogSender -----------------------------------------------------------------------------


def test_log_sender_records_and_logs_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    sender = LogSender()
    msgs = [push("secret-token-1", n=1), push("secret-token-2", n=2, platform="ios")]

    with caplog.at_level(logging.INFO, logger="steady.push"):
        results = sender.send(msgs, now=NOW)

    assert results == [
        PushResult("sent", message_id=f"log-{msgs[0].notification_id}"),
        PushResult("sent", message_id=f"log-{msgs[1].notification_id}"),
    ]
    assert list(sender.sent) == msgs
    records = [r for r in caplog.records if r.name == "steady.push"]
    assert len(records) == 2
    assert msgs[1].notification_id in records[1].getMessage()
    assert "ios" in records[1].getMessage()
    assert "secret-token" not in caplog.text
    assert "dinner" not in caplog.text
