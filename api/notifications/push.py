"""Push delivery: turns stored notifications into FCM sends and classifies the outcome.

This module knows nothing about the database. Callers hand in `PushMessage`s and get back one
`PushResult` per message, in the same order, and decide what to do with dead tokens and
retryable failures themselves.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import itertools
import logging
import threading
import uuid
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

import firebase_admin
import google.auth.exceptions
import google.auth.transport.requests
import requests
import requests.adapters
from firebase_admin import credentials, exceptions, messaging
from google.auth.credentials import Credentials as GoogleCredentials
from urllib3.util.retry import Retry

logger = logging.getLogger("steady.push")

# send_each refuses larger lists with ValueError (FCM's own per-batch ceiling).
MAX_BATCH_SIZE = 500

# FCM asks for at least a minute of backoff after QUOTA_EXCEEDED, whatever Retry-After says.
QUOTA_MIN_RETRY_AFTER = 60.0

# Error texts end up in delivery records; an unexpected HTTP body can be arbitrarily long.
_MAX_ERROR_LENGTH = 500

_FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"

Outcome = Literal["sent", "invalid_token", "retry", "failed"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class PushMessage:
    notification_id: str
    device_id: str
    token: str
    platform: str
    kind: str
    title: str
    body: str
    data: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    message_id: str | None = None
    error: str | None = None
    retry_after: float | None = None


class PushSender(Protocol):
    name: str

    def send(self, messages: Sequence[PushMessage], *, now: datetime) -> list[PushResult]: ...


class LogSender:
    """Development/test sender: delivers nothing, remembers everything."""

    name = "log"

    def __init__(self, *, keep: int = 1000) -> None:
        # Bounded: a long-running worker on the log backend must not grow without end.
        self.sent: deque[PushMessage] = deque(maxlen=keep)

    def send(self, messages: Sequence[PushMessage], *, now: datetime) -> list[PushResult]:
        results = []
        for msg in messages:
            self.sent.append(msg)
            # Tokens are credentials for a device and bodies are user content: neither belongs
            # in logs.
            logger.info(
                "push (log sender) kind=%s notification_id=%s platform=%s",
                msg.kind,
                msg.notification_id,
                msg.platform,
            )
            results.append(PushResult("sent", message_id=f"log-{msg.notification_id}"))
        return results


def ttl_seconds(expires_at: datetime, *, now: datetime) -> int:
    """Whole seconds left before `expires_at`, never negative."""
    return max(0, int((expires_at - now).total_seconds()))


def web_push_topic(notification_id: str) -> str:
    """The Web Push `Topic` header for a notification: at most 32 characters of the URL-safe
    base64 alphabet (RFC 8030), which a UUID's 32 hex digits are."""
    try:
        return uuid.UUID(notification_id).hex
    except ValueError:
        # Not a UUID (our ids always are): a digest keeps the header valid and the id's own.
        digest = hashlib.sha256(notification_id.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()[:32]


def build_message(msg: PushMessage, *, now: datetime) -> messaging.Message:
    """The single place that maps a PushMessage onto FCM's wire format.

    Raises ValueError for messages FCM would reject before sending, so one bad row cannot take
    a whole batch down with it (the SDK validates the entire batch up front).
    """
    if not msg.token:
        raise ValueError("push token is empty")
    if msg.expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    bad_keys = sorted(k for k, v in msg.data.items() if not isinstance(v, str))
    if bad_keys:
        raise ValueError(f"data values must be strings: {', '.join(bad_keys)}")

    ttl = ttl_seconds(msg.expires_at, now=now)
    data = {**msg.data, "notification_id": msg.notification_id, "kind": msg.kind}
    webpush = None
    if msg.platform == "web":
        # The web's collapse identity, like Android's tag and APNs' collapse id: the browser
        # replaces a shown notification with the same tag, and the push service replaces an
        # undelivered message with the same Topic, so a repeat never shows twice.
        webpush = messaging.WebpushConfig(
            headers={"TTL": str(ttl), "Topic": web_push_topic(msg.notification_id)},
            notification=messaging.WebpushNotification(tag=msg.notification_id),
        )
    with warnings.catch_warnings():
        # firebase-admin 7.5 deprecated Message(token=...) in favour of Firebase installation
        # IDs, but clients register FCM registration tokens with us and the v1 API still takes
        # them. Silence only that warning so anything else the SDK says stays visible.
        warnings.filterwarnings(
            "ignore", message=r"Message\.token is deprecated", category=DeprecationWarning
        )
        return messaging.Message(
            token=msg.token,
            notification=messaging.Notification(title=msg.title, body=msg.body),
            data=data,
            android=messaging.AndroidConfig(
                priority="high",
                ttl=timedelta(seconds=ttl),
                collapse_key=msg.notification_id,
                notification=messaging.AndroidNotification(tag=msg.notification_id),
            ),
            apns=messaging.APNSConfig(
                headers={
                    "apns-priority": "10",
                    "apns-collapse-id": msg.notification_id,
                    "apns-expiration": str(int(msg.expires_at.timestamp())),
                    "apns-push-type": "alert",
                },
                payload=messaging.APNSPayload(
                    aps=messaging.Aps(sound="default", thread_id=msg.kind)
                ),
            ),
            webpush=webpush,
        )


class FcmSender:
    """Sends through Firebase Cloud Messaging with firebase-admin's synchronous send_each.

    Credentials, in order of preference: `credential` (a google.auth credential or a
    firebase_admin credential), `credentials_file` (service account JSON), else Application
    Default Credentials (GOOGLE_APPLICATION_CREDENTIALS).

    The firebase app is created on the first send, not here, so constructing a sender (app
    start-up, tests, CLI tools) never touches credentials. Senders built with the same
    `app_name` share one firebase app. Misconfiguration (unreadable credentials, no project
    id) is raised from `send` before anything goes out; per-message and per-batch delivery
    problems come back as results. The access token is fetched before a batch when needed, so
    the batch's send threads never each fetch one.

    About the SDK's own HTTP retries (firebase-admin 7.7, urllib3 2.x): every request goes
    through a urllib3 Retry(status=4, status_forcelist=[500, 503], backoff_factor=0.5). send_each
    sends each message as its own request in a thread, so each message is retried on its own:
    a 500/503 is re-sent up to 4 more times, sleeping 0, 1, 2, 4 s (about 7 s) before the
    error is surfaced. urllib3 also honours Retry-After on 413/429/503, sleeping for the full
    value on each of those retries, so a QUOTA_EXCEEDED with "Retry-After: 120" blocks the
    send for about 8 minutes before the SDK reports it. `http_retries=False` replaces that
    policy with a single attempt and leaves all retrying to the caller via `retry_after`.
    """

    name = "fcm"

    def __init__(
        self,
        *,
        credentials_file: str | None = None,
        project_id: str | None = None,
        credential: credentials.Base | GoogleCredentials | None = None,
        app_name: str = "steady-push",
        http_retries: bool = True,
    ) -> None:
        self.app_name = app_name
        self._credentials_file = credentials_file
        self._project_id = project_id
        self._credential = credential
        self._http_retries = http_retries
        self._app: firebase_admin.App | None = None
        self._init_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._token_request = google.auth.transport.requests.Request()

    def send(self, messages: Sequence[PushMessage], *, now: datetime) -> list[PushResult]:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        results: list[PushResult | None] = [None] * len(messages)
        pending: list[tuple[int, messaging.Message]] = []
        for index, msg in enumerate(messages):
            try:
                pending.append((index, build_message(msg, now=now)))
            except ValueError as exc:
                results[index] = PushResult("failed", error=_truncate(f"INVALID_MESSAGE: {exc}"))

        if pending:
            app = self._get_app()
            for chunk in _chunks(pending, MAX_BATCH_SIZE):
                if refresh_error := self._refresh_credential(app):
                    # Sending would repeat the failure once per message: retry them all later.
                    chunk_results = [PushResult("retry", error=refresh_error)] * len(chunk)
                else:
                    chunk_results = self._send_chunk(chunk, app, now)
                for (index, _), result in zip(chunk, chunk_results, strict=True):
                    results[index] = result

        final = [r for r in results if r is not None]
        assert len(final) == len(messages)
        self._log_results(messages, final)
        return final

    def _send_chunk(
        self, chunk: list[tuple[int, messaging.Message]], app: firebase_admin.App, now: datetime
    ) -> list[PushResult]:
        try:
            batch = messaging.send_each([m for _, m in chunk], app=app)
        except ValueError as exc:
            # The SDK validates the whole batch before sending anything; build_message checks
            # the cases we know about, so this is a payload FCM can never accept.
            return [PushResult("failed", error=_describe(exc))] * len(chunk)
        except (
            exceptions.FirebaseError,
            requests.RequestException,
            google.auth.exceptions.GoogleAuthError,
        ) as exc:
            # Per-message HTTP errors come back inside the BatchResponse; send_each raises only
            # when one of its worker threads raised something that is not a requests error,
            # in practice a failed credential refresh (google-auth refreshes and re-sends on
            # 401). It then reports UnknownError for the whole chunk although other messages
            # in it may have been delivered, so a retry can repeat some of them; the collapse
            # keys in build_message make a repeat replace the earlier copy on the device.
            return [PushResult("retry", error=_describe(exc))] * len(chunk)
        return [classify_response(resp, now=now) for resp in batch.responses]

    def _refresh_credential(self, app: firebase_admin.App) -> str | None:
        """Fetches an access token before a chunk when the credential has no valid one;
        returns why that failed, if it did.

        send_each sends every message from its own thread, and each thread's request asks
        google-auth for a token: on a cold or expired credential all of them refresh at once,
        one OAuth request per message. Refreshed here first, behind a lock, the threads find
        a valid token, so a chunk makes at most one token request (none while it is valid).
        """
        # The same object the messaging client authorises its requests with.
        credential = app.credential.get_credential()
        with self._token_lock:
            if credential.valid:
                return None
            try:
                credential.refresh(self._token_request)
            except (google.auth.exceptions.GoogleAuthError, requests.RequestException) as exc:
                return _describe(exc)
        return None

    def _get_app(self) -> firebase_admin.App:
        with self._init_lock:
            if self._app is None:
                app = self._existing_or_new_app()
                # Creating the messaging service here rather than inside send_each surfaces a
                # missing project id or unloadable credentials before any chunk is sent.
                # firebase-admin has no public accessor for it.
                service = messaging._get_messaging_service(app)
                if not self._http_retries:
                    _disable_sdk_http_retries(service)
                self._app = app
            return self._app

    def _existing_or_new_app(self) -> firebase_admin.App:
        try:
            return firebase_admin.get_app(self.app_name)
        except ValueError:
            pass
        options = {"projectId": self._project_id} if self._project_id else {}
        try:
            return firebase_admin.initialize_app(self._make_credential(), options, self.app_name)
        except ValueError:
            # Another sender sharing this app name won the race to create it.
            if self.app_name in firebase_admin._apps:
                return firebase_admin.get_app(self.app_name)
            raise

    def _make_credential(self) -> credentials.Base | GoogleCredentials:
        if self._credential is not None:
            # firebase_admin.App wraps plain google.auth credentials itself.
            return self._credential
        if self._credentials_file:
            return credentials.Certificate(self._credentials_file)
        return credentials.ApplicationDefault()

    def _log_results(self, messages: Sequence[PushMessage], results: list[PushResult]) -> None:
        counts: dict[str, int] = {}
        for msg, result in zip(messages, results, strict=True):
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
            if result.outcome != "sent":
                # Dead tokens are routine (uninstalls, reinstalls); the rest deserve attention.
                level = logging.INFO if result.outcome == "invalid_token" else logging.WARNING
                logger.log(
                    level,
                    "push %s kind=%s notification_id=%s platform=%s error=%s",
                    result.outcome,
                    msg.kind,
                    msg.notification_id,
                    msg.platform,
                    result.error,
                )
        if results:
            logger.info(
                "fcm batch of %d: %s",
                len(results),
                ", ".join(f"{k}={v}" for k, v in sorted(counts.items())),
            )


def _disable_sdk_http_retries(service: Any) -> None:
    # Relies on firebase-admin internals (_MessagingService._client.session, a requests
    # Session with adapters mounted per URL prefix); there is no public retry option.
    session = service._client.session
    once = Retry(total=0, read=False, redirect=False, raise_on_status=False)
    for prefix in list(session.adapters):
        session.mount(
            prefix,
            requests.adapters.HTTPAdapter(pool_connections=100, pool_maxsize=100, max_retries=once),
        )


def classify_response(resp: messaging.SendResponse, *, now: datetime) -> PushResult:
    if resp.success:
        return PushResult("sent", message_id=resp.message_id)
    exc = resp.exception
    error = _describe(exc)
    if isinstance(exc, messaging.UnregisteredError | messaging.SenderIdMismatchError):
        return PushResult("invalid_token", error=error)
    if isinstance(exc, exceptions.InvalidArgumentError):
        if "registration token" in str(exc).lower():
            return PushResult("invalid_token", error=error)
        return PushResult("failed", error=error)
    if isinstance(exc, exceptions.ResourceExhaustedError):
        # QuotaExceededError, and a bare RESOURCE_EXHAUSTED, which is the same throttling.
        header = _retry_after_seconds(exc, now=now)
        floor = QUOTA_MIN_RETRY_AFTER
        return PushResult("retry", error=error, retry_after=max(floor, header or 0.0))
    if isinstance(
        exc,
        exceptions.UnavailableError | exceptions.InternalError | exceptions.DeadlineExceededError,
    ):
        # UnavailableError also covers connection failures, which have no HTTP response.
        return PushResult("retry", error=error, retry_after=_retry_after_seconds(exc, now=now))
    return PushResult("failed", error=error)


def _retry_after_seconds(exc: BaseException | None, *, now: datetime) -> float | None:
    response = getattr(exc, "http_response", None)
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _fcm_error_code(exc: exceptions.FirebaseError) -> str:
    """FCM's own errorCode (e.g. UNREGISTERED) when present, else the platform code."""
    response = exc.http_response
    if response is not None:
        try:
            details = response.json().get("error", {}).get("details", [])
        except (ValueError, AttributeError):
            details = []
        for detail in details if isinstance(details, list) else []:
            if isinstance(detail, dict) and detail.get("@type") == _FCM_ERROR_TYPE:
                code = detail.get("errorCode")
                if isinstance(code, str) and code:
                    return code
    return str(exc.code)


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, exceptions.FirebaseError):
        text = f"{_fcm_error_code(exc)}: {exc}"
    elif exc is None:
        text = "UNKNOWN: no exception recorded"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _truncate(text)


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_ERROR_LENGTH else text[: _MAX_ERROR_LENGTH - 3] + "..."


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
