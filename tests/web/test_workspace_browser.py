"""The workspace in a real browser: Debian's Chromium, headless, driven by Playwright, against
the app served on 127.0.0.1 by a real WSGI server (werkzeug) on the test database and clock.

Every request the pages make is recorded: none may leave 127.0.0.1, and the console must stay
free of errors (a Content-Security-Policy violation would show there). A screenshot of the
couple page is saved under the test's temporary directory for debugging.
"""

from __future__ import annotations

import os
import re
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from api.web.routes import CONTENT_SECURITY_POLICY
from api.web.series import SERIES
from tests.factories import PASSWORD, pair
from tests.therapists.test_therapists_routes import grant_access

CHROMIUM = "/usr/bin/chromium"
# Without the networking switches Chromium calls home, which this machine refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium); "
        "CI installs it and runs these",
    ),
]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it with apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(app):
    """The app behind a real HTTP server on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


# Chromium logs every 4xx answer as a console error; the tests check those statuses directly.
HTTP_STATUS_MESSAGE = "Failed to load resource: the server responded with a status of"


class Recorder:
    """Every request a browser context makes, and every console or page error other than an
    HTTP status (a Content-Security-Policy violation, a script error)."""

    def __init__(self, context) -> None:
        self.urls: list[str] = []
        self.errors: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("console", self._console)
        context.on("weberror", lambda e: self.errors.append(str(e.error)))

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith(HTTP_STATUS_MESSAGE):
            self.errors.append(message.text)

    def assert_stayed_home(self, base: str) -> None:
        assert self.urls, "the pages made no request at all?"
        for url in self.urls:
            assert urlsplit(url).hostname == "127.0.0.1" and url.startswith(base), url
        assert self.errors == []


@pytest.fixture
def tab(browser, live):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    recorder = Recorder(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page, recorder
    context.close()
    recorder.assert_stayed_home(live)


@pytest.fixture
def couple_with_history(client, factory, clock):
    """Maya and Sam, a few days of history, and Dr. Rivera with content access."""
    maya = factory.partner(display_name="Maya")
    sam = factory.partner(display_name="Sam")
    first, second, couple_id = pair(factory, maya, sam)
    therapist = factory.therapist(display_name="Dr. Rivera", timezone="Europe/Paris")
    clock.advance(days=-10)
    grant_access(client, (first, second, couple_id), therapist, scope="summary_and_content")
    for day in range(10):
        clock.advance(days=1)
        client.post("/v1/couple/gratitude", headers=first.headers, json={"text": "Thank you"})
        if day % 3:
            client.post("/v1/couple/gratitude", headers=second.headers, json={"text": "Merci"})
        asked = client.post("/v1/couple/rounds", headers=first.headers, json={"kind": "check_in"})
        round_id = asked.get_json()["id"]
        client.post(
            f"/v1/couple/rounds/{round_id}/answers",
            headers=second.headers,
            json={"rating": 3 + day % 3, "text": "Close today"},
        )
        if day % 2:
            client.post(
                f"/v1/couple/rounds/{round_id}/answers",
                headers=first.headers,
                json={"rating": 4},
            )
    commitment = client.post(
        "/v1/couple/commitments",
        headers=second.headers,
        json={"title": "Text when I leave work", "due_time": "18:00"},
    ).get_json()
    client.post(
        f"/v1/couple/commitments/{commitment['id']}/checks",
        headers=second.headers,
        json={"date": "2026-11-23", "status": "kept"},
    )
    return first, second, str(couple_id), therapist


def sign_in(page, base: str, email: str, password: str = PASSWORD):
    response = page.goto(f"{base}/therapist/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.stacked button[type=submit]")
    return response


def test_a_therapist_prepares_a_session(tab, live, client, couple_with_history, tmp_path):
    page, _ = tab
    first, second, couple_id, therapist = couple_with_history

    # Signed out, any page leads to the form; the form answers with the security headers.
    page.goto(f"{live}/therapist/")
    assert urlsplit(page.url).path == "/therapist/login"
    login = sign_in(page, live, therapist.user.email)
    assert login.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert login.headers["x-content-type-options"] == "nosniff"
    assert login.headers["referrer-policy"] == "same-origin"
    page.wait_for_url(f"{live}/therapist/")

    # The overview: the couple by name, with the last four weeks.
    card = page.locator("article.card")
    assert card.locator("h3").inner_text() == "Maya and Sam"
    assert "The last four weeks" in card.inner_text()

    # The couple page: six charts drawn, each with its numbers as a table.
    card.locator("h3 a").click()
    page.wait_for_url(f"{live}/therapist/couples/{couple_id}")
    assert page.locator("h1").inner_text() == "Maya and Sam"
    charts = page.locator("svg.chart")
    assert charts.count() == len(SERIES)
    gratitude = page.locator("#gratitude_sent")
    box = gratitude.locator("svg.chart").bounding_box()
    assert box["width"] > 400 and box["height"] > 100
    assert gratitude.locator("svg.chart path").count() >= 2  # a line for each partner
    headers = gratitude.locator("table.numbers thead th").all_inner_texts()
    assert [h.strip() for h in headers] == ["Week of", "Maya", "Sam"]
    last_week = gratitude.locator("table.numbers tbody tr").last.locator("td").all_inner_texts()
    assert last_week == ["1", "0"]  # this week so far: Maya's one note today, none from Sam
    assert "Text when I leave work" in page.locator("table.commitments").inner_text()
    assert "Close today" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "couple.png"), full_page=True)
    assert (tmp_path / "couple.png").stat().st_size > 10_000

    # The printable report: laid out for A4, two pages for eight weeks.
    page.click("text=Session report")
    page.wait_for_url(re.compile(r".*/report\?weeks=8$"))
    assert page.locator("h1").inner_text() == "Session report: Maya and Sam"
    assert page.locator("svg.chart").count() == len(SERIES)
    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden()
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert 1 <= pages <= 2, pages
    page.emulate_media(media="screen")

    # The CSV, downloaded as a file.
    page.goto(f"{live}/therapist/couples/{couple_id}")
    with page.expect_download() as download_info:
        page.click("text=Weekly figures (CSV)")
    download = download_info.value
    assert download.suggested_filename.startswith("steady-maya-sam-")
    text = open(download.path(), encoding="utf-8-sig").read()
    lines = text.strip().splitlines()
    assert lines[0].startswith("week_start,partner,gratitude_sent")
    assert len(lines) == 1 + 8 * 2
    assert {line.split(",")[1] for line in lines[1:]} == {"Maya", "Sam"}

    # A link code for the next couple.
    page.goto(f"{live}/therapist/")
    page.click("text=Create a link code")
    page.wait_for_url(f"{live}/therapist/#link-codes")
    code = page.locator("code.code").first.inner_text()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code)

    # An assignment, through the form.
    page.goto(f"{live}/therapist/couples/{couple_id}")
    page.check("input[name=kind][value=gratitude]")
    page.fill("#assignment-text", "What did your partner do for you this week?")
    page.check("input[name=days][value=sun]")
    page.fill("#assignment-time", "18:30")
    page.click("form.assignment-form button[type=submit]")
    page.wait_for_url(f"{live}/therapist/couples/{couple_id}#assignments")
    assignments = page.locator("ul.assignments").inner_text()
    assert "What did your partner do for you this week?" in assignments
    assert "Sun at 18:30 (Europe/Paris)" in assignments
    made = client.get(f"/v1/therapist/couples/{couple_id}/assignments", headers=therapist.headers)
    assert made.get_json()["items"][0]["schedule"]["days"] == ["sun"]

    # Signing out ends the session: the couple page leads back to the form.
    page.click("header.site button[type=submit]")
    page.wait_for_url(f"{live}/therapist/login?signed_out=1")
    assert "You are signed out." in page.inner_text("main")
    page.goto(f"{live}/therapist/couples/{couple_id}")
    assert urlsplit(page.url).path == "/therapist/login"


def test_wrong_passwords_and_partners_are_refused(tab, live, couple_with_history):
    page, _ = tab
    first, _, _, therapist = couple_with_history

    sign_in(page, live, therapist.user.email, password="not the password")
    assert page.locator("p.error").inner_text() == "The email or password is wrong."
    sign_in(page, live, "nobody@example.com")
    assert page.locator("p.error").inner_text() == "The email or password is wrong."
    sign_in(page, live, first.user.email)
    assert page.locator("p.error").inner_text() == "This space is for therapists."
    assert urlsplit(page.url).path == "/therapist/login"


def test_a_post_without_its_csrf_token_is_refused(tab, live, client, couple_with_history):
    page, _ = tab
    _, _, couple_id, therapist = couple_with_history
    sign_in(page, live, therapist.user.email)
    page.wait_for_url(f"{live}/therapist/")
    page.goto(f"{live}/therapist/couples/{couple_id}")
    page.evaluate(
        "document.querySelector('form.assignment-form input[name=csrf_token]').remove()"
    )
    page.fill("#assignment-text", "Sneaky question")
    page.fill("#assignment-time", "09:00")

    with page.expect_response(re.compile(r".*/assignments$")) as answer:
        page.click("form.assignment-form button[type=submit]")

    assert answer.value.status == 400
    assert "Nothing was changed" in page.inner_text("main")
    listed = client.get(f"/v1/therapist/couples/{couple_id}/assignments", headers=therapist.headers)
    assert listed.get_json()["items"] == []


def test_a_revoked_grant_is_a_404_on_reload(tab, live, client, couple_with_history):
    page, _ = tab
    first, _, couple_id, therapist = couple_with_history
    sign_in(page, live, therapist.user.email)
    page.wait_for_url(f"{live}/therapist/")
    assert page.goto(f"{live}/therapist/couples/{couple_id}").status == 200

    grant_id = client.get("/v1/couple/therapists", headers=first.headers).get_json()["items"][0]
    client.delete(f"/v1/couple/therapists/{grant_id['id']}", headers=first.headers)
    reloaded = page.reload()

    assert reloaded.status == 404
    assert "no longer shared with you" in page.inner_text("main")
    assert "Maya" not in page.inner_text("main")
