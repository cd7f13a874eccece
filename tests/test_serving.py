"""gunicorn as `make run` and the Dockerfile start it (gunicorn.conf.py): a request line up to
8 KiB reaches Steady, which answers in its JSON error shape."""

from __future__ import annotations

import json
import os
import runpy
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _raw_get(port: int, target: str) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    port = _free_port()
    env = {
        **os.environ,
        "STEADY_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('serving')}/steady.db",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)  # waiting for another process to listen; no clock is involved
    yield port
    process.terminate()
    process.wait(30)


def test_the_configuration_allows_8_kib_request_lines():
    settings = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    # gunicorn's maximum (its default is 4094); 0 would mean unlimited.
    assert settings["limit_request_line"] == 8190


def test_a_query_string_near_8_kib_gets_steadys_json_answer(gunicorn):
    target = "/v1/auth/sessions?cursor=" + "a" * 8000
    assert len(f"GET {target} HTTP/1.1") <= 8190
    status, headers, body = _raw_get(gunicorn, target)
    # It reached the app: the answer is Steady's, in the error shape, with a request id.
    assert headers["Content-Type"] == "application/json"
    assert "X-Request-ID" in headers
    answer = json.loads(body)
    assert (status, answer["code"], answer["reason"]) == (401, 401, "missing_token")
