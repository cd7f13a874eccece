"""A local stand-in for the FCM HTTP v1 send endpoint (and Google's OAuth token endpoint), and
the one seam that points the SDK at it.

The real firebase-admin code runs unmodified against this server: `fcm_sender_for` only
redirects `_MessagingService.FCM_URL` (read once, when an app's messaging service is created)
and gives the app a fixed bearer token whose "refresh" never leaves the process.
`service_account_sender_for` instead gives it a real service-account file whose `token_uri` is
this server, so google-auth signs and posts its JWT grant here as it would to Google.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import re
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import firebase_admin
import google.oauth2.credentials
from firebase_admin.messaging import _MessagingService
from sqlalchemy import insert

from api.accounts.models import Device, User
from api.auth.tokens import hash_token
from api.notifications.models import Notification
from api.notifications.push import FcmSender

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
SEND_PATH_RE = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
TOKEN_PATH = "/token"
JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"

# google.rpc status names FCM uses for each HTTP status, when a rule does not name one.
_DEFAULT_ERROR_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One POST as received. Header names are lower-cased (HTTP treats them case-blind)."""

    path: str
    project: str | None
    headers: dict[str, str]
    body: Any
    # time.monotonic() on arrival, for latency figures (bench/dispatch.py).
    received_at: float = field(default=0.0, compare=False)

    @property
    def message(self) -> dict[str, Any]:
        return self.body["message"]


@dataclass
class _Rule:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    remaining: int | None


class FakeFcmServer:
    """Answers POST /v1/projects/{project}/messages:send per token from a programmable table.

    Tokens without a rule succeed. Error bodies follow Google's error shape, including the
    FcmError detail firebase-admin uses to pick UnregisteredError, QuotaExceededError etc.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._token_requests: list[RecordedRequest] = []
        self._rules: dict[str, _Rule] = {}
        self._ids = itertools.count(1)
        self._tokens = itertools.count(1)
        self._token_error: str | None = None
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeFcmServer:
        if self._httpd is not None:
            return self
        httpd = _HttpServer(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeFcmServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("FakeFcmServer is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def fcm_url_template(self) -> str:
        """Same shape as _MessagingService.FCM_URL: formatted with the project id."""
        return self.base_url + "/v1/projects/{0}/messages:send"

    # -- programming responses -------------------------------------------------------------

    def respond(
        self,
        token: str,
        status: int,
        error_status: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = None,
        *,
        fcm_error_code: str | None = None,
    ) -> None:
        """Answer sends to `token` with `status`; after `times` answers, go back to success."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        if status < 400:
            body: dict[str, Any] = {}
        else:
            error: dict[str, Any] = {
                "code": status,
                "message": message or HTTPStatus(status).phrase,
                "status": error_status or _DEFAULT_ERROR_STATUS.get(status, "UNKNOWN"),
            }
            if fcm_error_code:
                error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": fcm_error_code}]
            body = {"error": error}
        with self._lock:
            self._rules[token] = _Rule(status, body, dict(headers or {}), times)

    def unregistered(self, token: str, *, times: int | None = None) -> None:
        self.respond(
            token,
            404,
            "NOT_FOUND",
            "Requested entity was not found.",
            times=times,
            fcm_error_code="UNREGISTERED",
        )

    def invalid_argument(self, token: str, *, times: int | None = None) -> None:
        self.respond(
            token,
            400,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            times=times,
            fcm_error_code="INVALID_ARGUMENT",
        )

    def quota(
        self, token: str, *, retry_after: str | None = "120", times: int | None = None
    ) -> None:
        self.respond(
            token,
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Send requests'.",
            headers={"Retry-After": retry_after} if retry_after is not None else None,
            times=times,
            fcm_error_code="QUOTA_EXCEEDED",
        )

    def unavailable(
        self, token: str, *, retry_after: str | None = None, times: int | None = None
    ) -> None:
        self.respond(
            token,
            503,
            "UNAVAILABLE",
            "The service is currently unavailable.",
            headers={"Retry-After": retry_after} if retry_after is not None else None,
            times=times,
            fcm_error_code="UNAVAILABLE",
        )

    def internal(self, token: str, *, times: int | None = None) -> None:
        self.respond(
            token,
            500,
            "INTERNAL",
            "Internal error encountered.",
            times=times,
            fcm_error_code="INTERNAL",
        )

    def refuse_tokens(self, error: str | None = "invalid_grant") -> None:
        """Answer token requests with a 400 and this OAuth error (None: grant them again)."""
        with self._lock:
            self._token_error = error

    # -- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def token_requests(self) -> list[RecordedRequest]:
        """Every OAuth token request received (kept apart from the sends), in arrival order."""
        with self._lock:
            return list(self._token_requests)

    @property
    def token_uri(self) -> str:
        return self.base_url + TOKEN_PATH

    def requests_for(self, token: str) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if isinstance(r.body, dict) and r.body.get("message", {}).get("token") == token
        ]

    # -- request handling (server threads) -------------------------------------------------

    def _handle(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        received_at = time.monotonic()
        if path == TOKEN_PATH:
            return self._grant_token(headers, raw, received_at)
        match = SEND_PATH_RE.match(path)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        with self._lock:
            self._requests.append(
                RecordedRequest(path, match and match["project"], headers, body, received_at)
            )
            if match is None:
                return 404, _google_error(404, "NOT_FOUND", f"Unknown path {path}"), {}
            message = body.get("message") if isinstance(body, dict) else None
            if not isinstance(message, dict):
                return 400, _google_error(400, "INVALID_ARGUMENT", "Missing message"), {}
            token = message.get("token")
            rule = self._rules.get(token) if isinstance(token, str) else None
            if rule is not None:
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        del self._rules[token]
                if rule.status >= 400:
                    return rule.status, rule.body, rule.headers
            name = f"projects/{match['project']}/messages/{next(self._ids)}"
            return 200, {"name": name}, rule.headers if rule else {}


    def _grant_token(
        self, headers: dict[str, str], raw: bytes, received_at: float
    ) -> tuple[int, Any, dict[str, str]]:
        # What google-auth's service-account credential posts (RFC 7523): a signed JWT. The
        # fake does not check the signature; a fresh access token answers every grant.
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        with self._lock:
            self._token_requests.append(
                RecordedRequest(TOKEN_PATH, None, headers, form, received_at)
            )
            if form.get("grant_type") != JWT_GRANT_TYPE or not form.get("assertion"):
                return 400, {"error": "invalid_grant"}, {}
            if self._token_error:
                return 400, {"error": self._token_error}, {}
            token = f"fake-access-token-{next(self._tokens)}"
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}, {}


def _google_error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # send_each opens one connection per message, all at once; the default backlog of 5
    # makes the kernel drop SYNs and the client stalls for a second on retransmit.
    request_queue_size = 1024
    fake: FakeFcmServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, conn: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        # Keep-alive handler threads otherwise sit in readline until the client's pooled
        # connection is garbage-collected, long after the test is over.
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a reused keep-alive
    # connection waits ~40 ms for the client's delayed ACK on every response.
    disable_nagle_algorithm = True
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        super().finish()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        received = {k.lower(): v for k, v in self.headers.items()}
        status, body, headers = self.server.fake._handle(self.path, received, raw)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


# -- the seam ------------------------------------------------------------------------------


class StaticTokenCredentials(google.oauth2.credentials.Credentials):
    """Bearer token "x" that never expires and whose refresh is a no-op.

    A plain Credentials(token="x") is enough until the fake answers 401 (FCM's status for
    THIRD_PARTY_AUTH_ERROR): google-auth's AuthorizedSession then refreshes the credential and
    re-sends, up to twice, and a token-only credential raises RefreshError, which send_each
    turns into an UnknownError for the whole batch. Production credentials do refresh, so the
    no-op keeps the fake faithful to what FCM clients actually see.
    """

    def refresh(self, request: object) -> None:
        pass


_ORIGINAL_FCM_URL = _MessagingService.FCM_URL
_app_names = itertools.count(1)
_created_apps: list[str] = []


def fcm_sender_for(
    server: FakeFcmServer, project_id: str = "steady-test", *, http_retries: bool = True
) -> FcmSender:
    """An FcmSender whose firebase app will talk to `server`.

    The URL patch is process-wide and is read when the sender's messaging service is created
    (its first send), so use one fake server at a time and call `cleanup_fcm_senders()`
    afterwards (or use `fake_fcm()`, which does both).
    """
    _MessagingService.FCM_URL = server.fcm_url_template
    app_name = f"steady-push-test-{next(_app_names)}"
    _created_apps.append(app_name)
    return FcmSender(
        project_id=project_id,
        # No expiry, so google-auth sees it as valid and never reaches for the network.
        credential=StaticTokenCredentials(token="x"),
        app_name=app_name,
        http_retries=http_retries,
    )


@functools.cache
def _private_key_pem() -> str:
    # One RSA key per test run: generating it costs far more than signing with it.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def service_account_file(server: FakeFcmServer, directory: Path, project_id: str) -> Path:
    """A service-account key file like Google's, except that its token_uri is the fake."""
    path = directory / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": project_id,
                "private_key_id": "fake-key-1",
                "private_key": _private_key_pem(),
                "client_email": f"steady-push@{project_id}.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": server.token_uri,
            }
        )
    )
    return path


def service_account_sender_for(
    server: FakeFcmServer,
    directory: Path,
    project_id: str = "steady-test",
    *,
    http_retries: bool = True,
) -> FcmSender:
    """An FcmSender configured as in production (a service-account file), talking to `server`
    for both its access tokens and its sends. Same clean-up rules as `fcm_sender_for`."""
    _MessagingService.FCM_URL = server.fcm_url_template
    app_name = f"steady-push-test-{next(_app_names)}"
    _created_apps.append(app_name)
    return FcmSender(
        credentials_file=str(service_account_file(server, directory, project_id)),
        app_name=app_name,
        http_retries=http_retries,
    )


def cleanup_fcm_senders() -> None:
    """Delete every firebase app fcm_sender_for created and restore the real FCM URL."""
    while _created_apps:
        name = _created_apps.pop()
        if name in firebase_admin._apps:
            firebase_admin.delete_app(firebase_admin.get_app(name))
    _MessagingService.FCM_URL = _ORIGINAL_FCM_URL


@contextlib.contextmanager
def fake_fcm() -> Iterator[FakeFcmServer]:
    """Running fake server; on exit, tears down senders made for it. Suits a pytest fixture."""
    with FakeFcmServer() as server:
        try:
            yield server
        finally:
            cleanup_fcm_senders()


def seed_deliveries(
    engine,
    n: int,
    *,
    now: datetime,
    kind: str = "prompt",
    title: str = "A question for you both",
    body: str = "What made you smile today?",
    ttl: timedelta = timedelta(hours=2),
    token_prefix: str = "token",
) -> None:
    """n recipients with one Android device each and one notification each, due at `now`:
    the outbox the delivery tests and the dispatch benchmark send to this fake. Written
    straight into the tables, in one transaction, so thousands take a moment."""
    users, devices, notifications = [], [], []
    for i in range(n):
        user_id = uuid.uuid4()
        token = f"{token_prefix}-{i}"
        users.append(
            {
                "id": user_id,
                "email": f"{token_prefix}{i}-{user_id.hex[:6]}@example.com",
                "display_name": f"Recipient {i}",
                "role": "partner",
                "timezone": "UTC",
                "locale": "en",
                "created_at": now,
            }
        )
        devices.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "token": token,
                "token_hash": hash_token(token),
                "platform": "android",
                "created_at": now,
                "last_seen_at": now,
            }
        )
        notifications.append(
            {
                "id": uuid.uuid4(),
                "recipient_id": user_id,
                "kind": kind,
                "title": title,
                "body": body,
                "data": {},
                "dedupe_key": f"{token_prefix}:{i}:{user_id}",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "expires_at": now + ttl,
                "created_at": now,
            }
        )
    with engine.begin() as conn:
        for model, rows in ((User, users), (Device, devices), (Notification, notifications)):
            for start in range(0, n, 5000):
                conn.execute(insert(model), rows[start : start + 5000])
