"""gunicorn settings for Steady: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (WEB_CONCURRENCY, GUNICORN_THREADS, HOST,
PORT, GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS); the configuration is checked before any worker
starts.
"""

import multiprocessing
import os

from api.config import ConfigError, check_serving, load_config

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Requests mostly wait on the database: a few processes per core, a few threads each.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# SIGTERM lets requests in flight finish for this long before workers are stopped.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Request lines up to 8 KiB (gunicorn's maximum) reach the app, so a long query string is
# answered by Steady in its JSON error shape, not refused by gunicorn with an HTML page.
limit_request_line = 8190
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
# Access lines come from the app itself as JSON (method, route, status, request id).
accesslog = None
errorlog = "-"
# Behind a reverse proxy: gunicorn believes X-Forwarded-Proto only from these addresses (set it
# to the proxy's), and the app takes the client's address from X-Forwarded-For only when
# TRUSTED_PROXIES says how many proxies append to it. Neither checks who sent X-Forwarded-For,
# so listen where only the proxy can connect (HOST), or any client can name its own address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

try:
    check_serving(load_config(), workers=workers)
except ConfigError as error:
    raise SystemExit(f"steady: {error}") from None


def child_exit(server, worker):
    # With PROMETHEUS_MULTIPROC_DIR set, a dead worker's live gauges must be dropped.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
