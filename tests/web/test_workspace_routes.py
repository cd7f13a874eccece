"""The workspace through Flask's test client: sign-in, sessions, CSRF, headers, access, pages
and the CSV. The same flows run in a real browser in test_workspace_browser.py."""

from __future__ import annotations

import csv
import io
import uuid

from sqlalchemy import func, select

from api import create_app
from api.therapists.models import AccessLogEntry, Assignment
from api.web.models import WebSession
from api.web.routes import CONTENT_SECURITY_POLICY
from api.web.series import SERIES
from tests.factories import PASSWORD, pair
from tests.therapists.test_therapists_routes import add, grant_access, link_code
from tests.web.conftest import csrf_token, sign_in, signed_in


def page(response) -> str:
    return response.get_data(as_text=True)


def log_actions(session, couple_id) -> list[tuple[str, str, str]]:
    session.commit()
    return [
        (e.action, e.outcome, e.path)
        for e in session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.couple_id == couple_id)
            .order_by(AccessLogEntry.at, AccessLogEntry.action)
        )
    ]


def open_sessions(session) -> int:
    session.commit()
    return session.scalar(select(func.count(WebSession.id)).where(WebSession.ended_at.is_(None)))


# --- signing in -------------------------------------------------------------------------------


def test_a_therapist_signs_in_to_a_server_side_session(client, session, therapist):
    response = sign_in(client, therapist.user)

    assert response.status_code == 303
    assert response.headers["Location"] == "/therapist/"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "steady_workspace=" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/therapist" in cookie
    assert "Secure" not in cookie  # plain http in development and test
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43  # 256 random bits
    session.commit()
    stored = session.scalars(select(WebSession.token_hash)).all()
    assert stored and token not in stored  # only its hash is kept
    overview = client.get("/therapist/")
    assert overview.status_code == 200 and "Your couples" in page(overview)


def test_the_cookie_is_secure_in_production(app_config, factory):
    app = create_app({**app_config, "STEADY_ENV": "production", "METRICS_TOKEN": "a-scrape-token"})
    client = app.test_client()
    user = factory.therapist().user
    response = sign_in(client, user)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "steady_workspace=" in c)
    assert "Secure" in cookie


def test_wrong_password_and_unknown_email_get_one_generic_message(client, session, therapist):
    wrong = sign_in(client, therapist.user, password="not the password")
    unknown = client.post(
        "/therapist/login",
        data={
            "csrf_token": csrf_token(client.get("/therapist/login")),
            "email": "nobody@example.com",
            "password": PASSWORD,
        },
    )

    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "The email or password is wrong." in page(response)
        assert not any("steady_workspace=" in c for c in response.headers.getlist("Set-Cookie"))
    assert open_sessions(session) == 0


def test_a_partner_is_told_this_space_is_for_therapists(client, session, couple):
    first, _, _ = couple
    response = sign_in(client, first.user)
    assert response.status_code == 403
    assert "This space is for therapists." in page(response)
    assert open_sessions(session) == 0
    # The message appears only once the password was right: a wrong one is the generic one.
    assert "The email or password is wrong." in page(sign_in(client, first.user, "wrong pass"))


def test_signing_in_needs_the_forms_csrf_token(client, session, therapist):
    client.get("/therapist/login")
    response = client.post(
        "/therapist/login", data={"email": therapist.user.email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Nothing was changed" in page(response)
    assert open_sessions(session) == 0


def test_the_login_limit_is_shared_with_the_api(client, factory):
    user = factory.therapist().user
    for _ in range(10):
        failed = client.post(
            "/v1/auth/login", json={"email": user.email, "password": "wrong password"}
        )
        assert failed.status_code == 401
    limited = sign_in(client, user)  # even with the right password
    assert limited.status_code == 429
    assert "Too many attempts" in page(limited)
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_workspaces_failures_count_for_the_api_too(client, factory):
    user = factory.therapist().user
    for _ in range(10):
        assert sign_in(client, user, password="wrong password").status_code == 401
    api = client.post("/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert api.status_code == 429
    assert api.get_json()["reason"] == "rate_limited"


def test_pages_send_a_signed_out_visitor_to_the_form_and_back(client, therapist, couple):
    path = f"/therapist/couples/{couple[2]}?weeks=4"
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/therapist/login?next=")
    grant_access(client, couple, therapist)
    back = sign_in(client, therapist.user, next_=f"/therapist/couples/{couple[2]}")
    assert back.headers["Location"] == f"/therapist/couples/{couple[2]}"


def test_next_never_leaves_the_workspace(app, therapist):
    for target in ("//evil.example/x", "https://evil.example/", "/v1/me", "/\\evil.example"):
        response = sign_in(app.test_client(), therapist.user, next_=target)
        assert response.headers["Location"] == "/therapist/", target


# --- sessions ---------------------------------------------------------------------------------


def test_thirty_idle_minutes_end_the_session(client, session, therapist, clock):
    signed_in(client, therapist.user)
    clock.advance(minutes=29)
    assert client.get("/therapist/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/therapist/").status_code == 200  # activity keeps it open
    clock.advance(minutes=30)

    response = client.get("/therapist/")

    assert response.status_code == 303
    assert response.headers["Location"] == "/therapist/login?ended=idle"
    session.commit()
    assert session.scalars(select(WebSession.end_reason)).all() == ["idle"]
    assert "30 minutes without activity" in page(client.get(response.headers["Location"]))
    assert client.get("/therapist/").status_code == 303  # the cookie opens nothing any more


def test_twelve_hours_end_the_session_however_active(client, session, therapist, clock):
    signed_in(client, therapist.user)
    for _ in range(35):
        clock.advance(minutes=20)
        assert client.get("/therapist/").status_code == 200
    clock.advance(minutes=20)  # 12 hours since signing in

    response = client.get("/therapist/")

    assert response.headers["Location"] == "/therapist/login?ended=expired"
    session.commit()
    assert session.scalars(select(WebSession.end_reason)).all() == ["expired"]


def test_signing_out_ends_the_session_at_once(client, session, therapist):
    response = sign_in(client, therapist.user)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "steady_workspace=" in c)
    token = cookie.split(";")[0].split("=", 1)[1]
    overview = client.get("/therapist/")

    out = client.post("/therapist/logout", data={"csrf_token": csrf_token(overview)})

    assert out.status_code == 303 and out.headers["Location"] == "/therapist/login?signed_out=1"
    assert open_sessions(session) == 0
    # The old cookie, replayed, opens nothing.
    client.set_cookie("steady_workspace", token, path="/therapist")
    assert client.get("/therapist/").status_code == 303


def test_workspace_sessions_are_in_the_therapists_export(client, therapist):
    response = sign_in(client, therapist.user)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "steady_workspace=" in c)
    token = cookie.split(";")[0].split("=", 1)[1]
    client.post("/therapist/logout", data={"csrf_token": csrf_token(client.get("/therapist/"))})

    export = client.get("/v1/me/export", headers=therapist.headers)

    [exported] = export.get_json()["workspace_sessions"]
    assert exported["end_reason"] == "logout" and exported["ended_at"]
    assert token not in export.get_data(as_text=True)
    assert "token_hash" not in exported


def test_a_deleted_account_has_no_session(client, session, therapist):
    signed_in(client, therapist.user)
    assert client.delete("/v1/me", headers=therapist.headers).status_code == 204
    assert client.get("/therapist/").status_code == 303
    session.commit()
    assert session.scalar(select(func.count(WebSession.id))) == 0


# --- CSRF and headers -------------------------------------------------------------------------


def test_a_post_without_a_valid_csrf_token_changes_nothing(client, session, therapist, couple):
    grant_access(client, couple, therapist)
    signed_in(client, therapist.user)
    body = {"kind": "check_in", "text": "How was the week?", "time": "19:00"}
    path = f"/therapist/couples/{couple[2]}/assignments"

    missing = client.post(path, data=body)
    forged = client.post(path, data={**body, "csrf_token": "forged"})
    other_client = signed_in(client.application.test_client(), therapist.user)
    someone_elses = client.post(
        path, data={**body, "csrf_token": csrf_token(other_client.get("/therapist/"))}
    )

    for response in (missing, forged, someone_elses):
        assert response.status_code == 400
        assert "Nothing was changed" in page(response)
    session.commit()
    assert session.scalar(select(func.count(Assignment.id))) == 0
    assert not any(
        action == "web.assignments.create" for action, *_ in log_actions(session, couple[2])
    )
    assert client.post("/therapist/logout").status_code == 400
    assert client.get("/therapist/").status_code == 200  # still signed in


def test_security_headers_are_on_every_workspace_response(client, therapist, couple):
    grant_access(client, couple, therapist)
    anonymous = [
        client.get("/therapist/login"),
        client.get("/therapist/"),
        client.get("/therapist/static/workspace.css"),
    ]
    signed_in(client, therapist.user)
    responses = anonymous + [
        client.get("/therapist/"),
        client.get(f"/therapist/couples/{couple[2]}"),
        client.get(f"/therapist/couples/{couple[2]}/report.csv"),
        client.get(f"/therapist/couples/{uuid.uuid4()}"),
        client.get("/therapist/no-such-page"),
        client.post("/therapist/logout"),
    ]
    for response in responses:
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert responses[-1].status_code == 400 and responses[-3].status_code == 404
    assert responses[4].headers["Cache-Control"] == "no-store"
    # The API keeps its own headers.
    assert "Content-Security-Policy" not in client.get("/healthz").headers


def test_pages_carry_no_inline_script_or_style(client, therapist, couple):
    grant_access(client, couple, therapist, scope="summary_and_content")
    signed_in(client, therapist.user)
    for path in (
        "/therapist/",
        f"/therapist/couples/{couple[2]}",
        f"/therapist/couples/{couple[2]}/report",
    ):
        html = page(client.get(path))
        assert "style=" not in html and "<style" not in html, path
        assert "<script>" not in html and "onclick" not in html, path
        assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', ""), path
        assert "https://" not in html, path


# --- access -----------------------------------------------------------------------------------


def test_couple_pages_are_logged_like_api_reads(client, session, therapist, couple, clock):
    couple_id = couple[2]
    grant_access(client, couple, therapist)
    signed_in(client, therapist.user)

    for path in (
        f"/therapist/couples/{couple_id}",
        f"/therapist/couples/{couple_id}/report",
        f"/therapist/couples/{couple_id}/report.csv",
        "/therapist/",
    ):
        clock.advance(seconds=1)
        assert client.get(path).status_code == 200, path

    assert log_actions(session, couple_id) == [
        ("web.couple.read", "allowed", f"/therapist/couples/{couple_id}"),
        ("web.report.read", "allowed", f"/therapist/couples/{couple_id}/report"),
        ("web.csv.read", "allowed", f"/therapist/couples/{couple_id}/report.csv"),
        ("web.overview.read", "allowed", "/therapist/"),
    ]
    # The couple reads the same log through the API.
    first = couple[0]
    grant_id = client.get("/v1/couple/therapists", headers=first.headers).get_json()["items"][0][
        "id"
    ]
    log = client.get(f"/v1/couple/therapists/{grant_id}/access-log", headers=first.headers)
    assert {e["action"] for e in log.get_json()["items"]} >= {"web.couple.read", "web.csv.read"}


def test_no_active_grant_is_a_404_page_at_once(client, session, factory, therapist, couple):
    first, second, couple_id = couple
    signed_in(client, therapist.user)
    paths = [
        f"/therapist/couples/{couple_id}",
        f"/therapist/couples/{couple_id}/report",
        f"/therapist/couples/{couple_id}/report.csv",
    ]

    def all_404() -> bool:
        return all(client.get(path).status_code == 404 for path in paths)

    assert all_404()  # no grant
    grant = add(client, first, link_code(client, therapist)).get_json()
    assert all_404()  # pending
    client.post(f"/v1/couple/therapists/{grant['id']}/approve", headers=second.headers)
    assert client.get(paths[0]).status_code == 200
    client.delete(f"/v1/couple/therapists/{grant['id']}", headers=second.headers)
    assert all_404()  # revoked
    other = factory.therapist()
    theirs = pair(factory)
    grant_access(client, theirs, other)
    assert client.get(f"/therapist/couples/{theirs[2]}").status_code == 404  # another's couple
    response = client.get(paths[0])
    assert "no longer shared with you" in page(response)
    denied = [a for a in log_actions(session, couple_id) if a[1] == "denied"]
    assert len(denied) == 10


def test_unpairing_ends_the_workspace_view(client, therapist, couple):
    first, _, couple_id = couple
    grant_access(client, couple, therapist)
    signed_in(client, therapist.user)
    assert client.get(f"/therapist/couples/{couple_id}").status_code == 200
    client.delete("/v1/couple", headers=first.headers)
    assert client.get(f"/therapist/couples/{couple_id}").status_code == 404
    assert couple[0].user.display_name not in page(client.get("/therapist/"))


# --- pages ------------------------------------------------------------------------------------


def test_the_overview_lists_couples_pending_grants_and_link_codes(
    client, factory, therapist, couple
):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)
    waiting_first, waiting_second, _ = pair(factory)
    add(client, waiting_first, link_code(client, therapist))
    signed_in(client, therapist.user)

    html = page(client.get("/therapist/"))

    assert f"{first.user.display_name} and {second.user.display_name}" in html
    assert f"/therapist/couples/{couple_id}" in html
    assert "Waiting for approval" in html
    assert f"waiting for {waiting_second.user.display_name} to approve" in html
    for actor in (first, second, waiting_first, waiting_second):
        assert actor.id not in html  # names, never ids
    assert "The last four weeks" in html


def test_creating_a_link_code(client, therapist, couple):
    signed_in(client, therapist.user)
    before = client.get("/therapist/")
    response = client.post("/therapist/link-codes", data={"csrf_token": csrf_token(before)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/therapist/#link-codes"
    html = page(client.get("/therapist/"))
    code = html.split('<code class="code">')[1].split("</code>")[0]
    first, _, _ = couple
    added = client.post(
        "/v1/couple/therapists", headers=first.headers, json={"code": code}
    ).get_json()
    assert added["therapist"]["display_name"] == "Dr. Rivera"


def test_the_couple_page_shows_figures_with_names(client, therapist, couple, clock):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)
    client.post("/v1/couple/gratitude", headers=first.headers, json={"text": "Thanks for dinner"})
    client.post(
        "/v1/couple/commitments",
        headers=second.headers,
        json={"title": "Call at lunch", "due_time": "12:30"},
    )
    signed_in(client, therapist.user)

    html = page(client.get(f"/therapist/couples/{couple_id}"))

    assert html.count('<svg class="chart"') == len(SERIES)
    assert html.count('<table class="numbers">') == len(SERIES)
    for title in ("Gratitude notes sent", "Questions answered", "Mean check-in rating"):
        assert title in html
    assert first.user.display_name in html and second.user.display_name in html
    assert first.id not in html and second.id not in html
    assert "Shared with content access only" in html  # the title is content
    assert "Call at lunch" not in html and "Thanks for dinner" not in html
    assert "This couple shares figures only" in html


def test_content_scope_shows_titles_answers_and_notes(client, therapist, couple):
    first, second, couple_id = couple
    grant_access(client, couple, therapist, scope="summary_and_content")
    client.post("/v1/couple/gratitude", headers=first.headers, json={"text": "Thanks <b>you</b>"})
    client.post(
        "/v1/couple/commitments",
        headers=second.headers,
        json={"title": "Call at lunch", "due_time": "12:30"},
    )
    round_ = client.post("/v1/couple/rounds", headers=first.headers, json={"kind": "check_in"})
    round_id = round_.get_json()["id"]
    for actor, rating in ((first, 4), (second, 5)):
        client.post(
            f"/v1/couple/rounds/{round_id}/answers", headers=actor.headers, json={"rating": rating}
        )
    signed_in(client, therapist.user)

    html = page(client.get(f"/therapist/couples/{couple_id}"))

    assert "Call at lunch" in html
    assert "Thanks &lt;b&gt;you&lt;/b&gt;" in html  # escaped, never markup
    assert "Latest questions both answered" in html and "5 of 5" in html


def test_weeks_are_chosen_from_the_offered_periods(client, therapist, couple):
    grant_access(client, couple, therapist)
    signed_in(client, therapist.user)
    path = f"/therapist/couples/{couple[2]}"
    assert page(client.get(f"{path}?weeks=12")).count('<tr><th scope="row">') >= 12
    for bad in ("5", "0", "x", "53"):
        response = client.get(f"{path}?weeks={bad}")
        assert response.status_code == 400, bad


def test_adding_an_assignment_from_the_form(client, session, therapist, couple):
    couple_id = couple[2]
    grant_access(client, couple, therapist)
    signed_in(client, therapist.user)
    form = client.get(f"/therapist/couples/{couple_id}")

    response = client.post(
        f"/therapist/couples/{couple_id}/assignments",
        data={
            "csrf_token": csrf_token(form),
            "kind": "gratitude",
            "text": "What did your partner do for you this week?",
            "days": ["mon", "thu"],
            "time": "19:30",
            "timezone": "",
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/therapist/couples/{couple_id}#assignments"
    [made] = client.get(
        f"/v1/therapist/couples/{couple_id}/assignments", headers=therapist.headers
    ).get_json()["items"]
    assert made["prompt"]["text"] == "What did your partner do for you this week?"
    assert made["schedule"]["days"] == ["mon", "thu"]
    assert made["schedule"]["time"] == "19:30"
    assert made["schedule"]["timezone"] == "Europe/Paris"
    assert ("web.assignments.create", "allowed") in [a[:2] for a in log_actions(session, couple_id)]
    assert "What did your partner do for you this week?" in page(
        client.get(f"/therapist/couples/{couple_id}")
    )


def test_an_invalid_assignment_is_shown_back_with_its_errors(client, session, therapist, couple):
    couple_id = couple[2]
    grant_access(client, couple, therapist)
    signed_in(client, therapist.user)
    token = csrf_token(client.get(f"/therapist/couples/{couple_id}"))

    response = client.post(
        f"/therapist/couples/{couple_id}/assignments",
        data={"csrf_token": token, "kind": "check_in", "text": "x" * 501, "time": "7pm"},
    )

    assert response.status_code == 422
    html = page(response)
    assert "Write the question, in at most 500 characters." in html
    assert "Give the time as HH:MM." in html
    assert "x" * 501 in html  # what was typed is kept
    session.commit()
    assert session.scalar(select(func.count(Assignment.id))) == 0


def test_an_unknown_workspace_path_is_a_page_not_json(client, therapist):
    signed_in(client, therapist.user)
    response = client.get("/therapist/nothing/here")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- the CSV ----------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_week_and_partner_with_quoted_names(
    client, factory, therapist, clock
):
    first = factory.partner(display_name='Ana "Bea", Jr')
    second = factory.partner(display_name="=HYPERLINK(1)")
    couple = pair(factory, first, second)
    grant_access(client, couple, therapist)
    client.post("/v1/couple/gratitude", headers=first.headers, json={"text": "Thank you"})
    signed_in(client, therapist.user)

    response = client.get(f"/therapist/couples/{couple[2]}/report.csv?weeks=4")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="steady-') and disposition.endswith('.csv"')
    text = response.get_data().decode("utf-8-sig")
    assert '"Ana ""Bea"", Jr"' in text  # proper CSV quoting
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 8
    assert [r["week_start"] for r in rows[::2]] == [
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
    ]
    assert {r["partner"] for r in rows} == {'Ana "Bea", Jr', "'=HYPERLINK(1)"}
    this_week = [r for r in rows if r["week_start"] == "2026-11-23"]
    assert [r["gratitude_sent"] for r in this_week] == ["1", "0"]
    assert this_week[0]["answer_rate"] == "" and this_week[0]["kept_rate"] == ""  # no data
    assert list(rows[0])[:4] == [
        "week_start",
        "partner",
        "gratitude_sent",
        "gratitude_acknowledged",
    ]


# --- the API stays the API --------------------------------------------------------------------


def test_the_api_authentication_leaves_the_pages_alone(client, app, therapist):
    # A bearer header means nothing to the workspace: its own session decides.
    response = client.get("/therapist/login", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    with app.app_context():
        from api.extensions import api

        paths = api.spec.to_dict()["paths"]
    assert not [path for path in paths if path.startswith("/therapist")]
    # And a workspace session opens nothing in the API.
    signed_in(client, therapist.user)
    assert client.get("/v1/me").status_code == 401


def test_the_couple_page_shows_agreements_and_only_the_shared_journal_entries(
    client, therapist, couple
):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)  # figures only
    client.post(
        "/v1/couple/agreements",
        headers=second.headers,
        json={"title": "Text after the meeting", "time": "12:30", "window_minutes": 20},
    )
    shared = client.post(
        "/v1/me/journal",
        headers=first.headers,
        json={
            "kind": "thought_record",
            "situation": "No reply by lunch",
            "thought": "They are pulling away",
            "feelings": [{"name": "worried", "intensity": 80}],
            "balanced_thought": "They were in a meeting",
            "feelings_after": [{"name": "worried", "intensity": 30}],
            "shared_with_therapist": True,
        },
    ).get_json()
    client.post(
        "/v1/me/journal", headers=first.headers, json={"kind": "note", "text": "Private page"}
    )
    signed_in(client, therapist.user)

    html = page(client.get(f"/therapist/couples/{couple_id}"))

    agreements = html.split('id="agreements-heading"')[1].split("</section>")[0]
    assert second.user.display_name in agreements and "20 minutes" in agreements
    assert "Text after the meeting" not in html  # a title is content
    journal = html.split('id="journal-heading"')[1].split("</section>")[0]
    assert "Thought record" in journal and first.user.display_name in journal
    for text in ("No reply by lunch", "They are pulling away", "worried (80)", "worried (30)"):
        assert text in journal
    assert "Private page" not in html

    # Taking the entry back takes it off the page at once.
    client.patch(
        f"/v1/me/journal/{shared['id']}",
        headers=first.headers,
        json={"shared_with_therapist": False},
    )
    html = page(client.get(f"/therapist/couples/{couple_id}"))
    assert "No reply by lunch" not in html
    assert "Neither partner has shared a journal entry with you." in html
