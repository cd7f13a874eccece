"""Structured logs (one JSON line per request and per worker pass) and Prometheus metrics.

Logs carry ids, routes, statuses and durations - never bodies, tokens, passwords or the words
partners write to each other.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import REGISTRY, GaugeMetricFamily

request_log = logging.getLogger("steady.request")

HTTP_REQUESTS = Counter(
    "steady_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "steady_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"]
)
PUSH_SENDS = Counter("steady_push_sends_total", "Notifications settled by the worker", ["outcome"])
PUSH_LATENCY = Histogram(
    "steady_push_call_duration_seconds", "Time of one call to the push sender (FCM)", ["sender"]
)
SCHEDULES_MATERIALISED = Counter(
    "steady_schedules_materialised_total", "Rounds and reminders created by the worker"
)
WORKER_PASS_SECONDS = Histogram("steady_worker_pass_duration_seconds", "One worker pass")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; structured fields come from `extra={"fields": {...}}`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_configured = False


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for everything, once per process."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    _configured = True


def _start_timer() -> None:
    g.started_at = time.perf_counter()


def _log_request(response: Response) -> Response:
    duration = time.perf_counter() - g.get("started_at", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "<unmatched>"
    HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    HTTP_LATENCY.labels(request.method, route).observe(duration)
    request_log.info(
        "request",
        extra={
            "fields": {
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
                "request_id": g.get("request_id"),
                "user_id": g.get("user_id"),
            }
        },
    )
    return response


class OutboxCollector:
    """Outbox depth by status and the age of the oldest pending notification, read from the
    database at scrape time, so every API process reports the same truth."""

    def __init__(self, session_factory, clock) -> None:
        self._session_factory = session_factory
        self._clock = clock

    def collect(self):
        from api.notifications import service as notifications_service
        from api.notifications.models import STATUSES

        depth = GaugeMetricFamily(
            "steady_outbox_notifications", "Notifications in the outbox", labels=["status"]
        )
        oldest = GaugeMetricFamily(
            "steady_outbox_oldest_pending_age_seconds",
            "Age of the oldest notification waiting to be pushed",
        )
        try:
            with self._session_factory() as session:
                counts, first = notifications_service.outbox_depth(session=session)
        except Exception:  # a scrape must not fail because the database is briefly away
            return
        for status in STATUSES:
            depth.add_metric([status], counts.get(status, 0))
        yield depth
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=UTC)
        oldest.add_metric([], (self._clock() - first).total_seconds() if first else 0.0)
        yield oldest


def _metrics_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        presented = request.headers.get("Authorization", "")
        return hmac.compare_digest(presented.encode(), f"Bearer {token}".encode())
    if current_app.config["STEADY_ENV"] == "production":
        # Start-up refuses production without a token; never fall back to trusting addresses.
        return False
    # Without a token, only the machine itself (a local Prometheus, an SSH tunnel) may scrape.
    # Behind a proxy on the same host every connection comes from loopback, so the client the
    # trusted proxies name (remote_addr after ProxyFix) must be local as well as the peer.
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    return _is_loopback(request.remote_addr) and _is_loopback(peer or request.remote_addr)


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _metrics() -> Response:
    if not _metrics_allowed():
        # Not found rather than forbidden: the endpoint is not advertised to the public.
        from api.errors import NotFound

        raise NotFound()
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    body = generate_latest(registry) + generate_latest(current_app.extensions["steady_outbox"])
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    from api.db import utcnow

    outbox = CollectorRegistry(auto_describe=True)
    outbox.register(OutboxCollector(app.extensions["steady_db"], app.config.get("CLOCK") or utcnow))
    app.extensions["steady_outbox"] = outbox
    app.before_request(_start_timer)
    app.after_request(_log_request)
    app.add_url_rule("/metrics", "metrics", _metrics)
