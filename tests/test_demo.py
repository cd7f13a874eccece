"""The demo command: a couple and their therapist with history written through the services."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from api import create_app
from api.accounts.models import User
from api.demo import DEMO_EMAILS, MAYA_EMAIL, SAM_EMAIL, THERAPIST_EMAIL, demo_command
from api.notifications.models import Notification
from api.web.series import SERIES
from tests.conftest import empty_tables


def run_demo(app, *args: str):
    # api/__init__.py registers the command for `flask --app wsgi demo`; a test app may not.
    if "demo" not in app.cli.commands:
        app.cli.add_command(demo_command)
    return app.test_cli_runner().invoke(args=["demo", *args])


def printed_password(output: str, email: str) -> str:
    match = re.search(rf"{re.escape(email)}\s+(\S+)", output)
    assert match, output
    return match.group(1)


def login(client, email: str, password: str) -> dict[str, str]:
    response = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def demo_users(session) -> int:
    session.commit()  # a fresh snapshot: the command wrote through its own session
    return session.scalar(select(func.count(User.id)).where(User.email.in_(DEMO_EMAILS)))


def test_demo_writes_a_consistent_history(app, client, session):
    result = run_demo(app, "--weeks", "3")

    assert result.exit_code == 0, result.output
    for email in DEMO_EMAILS:
        assert email in result.output
    assert "/docs" in result.output and "GET /v1/couple/progress" in result.output
    password = printed_password(result.output, MAYA_EMAIL)
    assert len(password) >= 10

    maya = login(client, MAYA_EMAIL, password)
    me = client.get("/v1/me", headers=maya).get_json()
    progress = client.get("/v1/couple/progress?weeks=3", headers=maya).get_json()
    assert [w["week_start"] for w in progress["weeks"]] == [
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
    ]
    past = [week["partners"][me["id"]] for week in progress["weeks"][:-1]]
    for figure in ("gratitude_sent", "gratitude_acknowledged", "rounds_answered"):
        assert all(week[figure] > 0 for week in past), (figure, past)
    assert sum(week["commitments_kept"] for week in past) > 0
    assert all(week["mean_check_in_rating"] is not None for week in past)
    summary = progress["summary"][me["id"]]
    assert all(value is not None for value in summary.values()), summary
    assert 0 < summary["answer_rate_28d"] <= 1 and 0 < summary["kept_rate_28d"] <= 1

    partner_id = client.get("/v1/couple", headers=maya).get_json()["partner"]["id"]
    sams_weeks = [week["partners"][partner_id] for week in progress["weeks"][:-1]]
    assert sum(week["commitments_kept"] for week in sams_weeks) > 0
    assert sum(week["commitments_confirmed"] for week in sams_weeks) > 0

    # Check-in agreements for both: mostly on time, with some word sent and some missed.
    assert sum(week["check_ins_due"] for week in past) > 0
    assert sum(week["check_ins_due"] for week in sams_weeks) > 0
    for who in (me["id"], partner_id):
        rates = progress["summary"][who]
        assert 0.5 <= rates["on_time_rate_28d"] <= rates["informed_rate_28d"] <= 1, rates
    agreements = client.get("/v1/couple/agreements", headers=maya).get_json()["items"]
    assert {a["owner_id"] for a in agreements} == {me["id"], partner_id}
    lunch = next(a for a in agreements if a["owner_id"] == partner_id)
    statuses = {
        o["status"]
        for o in client.get(
            f"/v1/couple/agreements/{lunch['id']}/occurrences?limit=100", headers=maya
        ).get_json()["items"]
    }
    assert "on_time" in statuses and statuses & {"late", "late_notice", "missed"}, statuses
    # Reassurance asked and answered in the partner's own words.
    requests = client.get("/v1/couple/reassurance-requests?limit=100", headers=maya).get_json()
    assert any(r["answer"] for r in requests["items"])
    assert sum(week["reassurance_asked"] for week in past) > 0
    assert sum(week["reassurance_answered"] for week in sams_weeks) > 0

    commitments = client.get("/v1/couple/commitments", headers=maya).get_json()["items"]
    assert {c["title"] for c in commitments} >= {"Text when I leave work", "Sunday walk together"}
    assert len(commitments) == 3
    notes = client.get("/v1/couple/gratitude?limit=100", headers=maya).get_json()["items"]
    acknowledged = [n for n in notes if n["acknowledged_at"]]
    assert len(acknowledged) > len(notes) * 0.7
    assert any(n["reaction"] for n in acknowledged)
    assert len({n["text"] for n in notes}) > len(notes) * 0.6  # varied, not one line repeated

    # Sam signs in with the same printed password and sees the same couple.
    sam = login(client, SAM_EMAIL, printed_password(result.output, SAM_EMAIL))
    assert client.get("/v1/couple", headers=sam).get_json()["partner"]["id"] == me["id"]

    therapist = login(client, THERAPIST_EMAIL, printed_password(result.output, THERAPIST_EMAIL))
    couples = client.get("/v1/therapist/couples", headers=therapist).get_json()["items"]
    assert len(couples) == 1
    assert couples[0]["scope"] == "summary_and_content"
    assert {p["display_name"] for p in couples[0]["partners"]} == {"Maya", "Sam"}
    couple_id = couples[0]["id"]
    seen = client.get(f"/v1/therapist/couples/{couple_id}/progress?weeks=3", headers=therapist)
    assert seen.status_code == 200
    assert seen.get_json()["summary"] == progress["summary"]
    rounds = client.get(f"/v1/therapist/couples/{couple_id}/rounds", headers=therapist)
    assert rounds.status_code == 200 and rounds.get_json()["items"]
    assignments = client.get(f"/v1/therapist/couples/{couple_id}/assignments", headers=therapist)
    assert len(assignments.get_json()["items"]) == 1
    assert assignments.get_json()["items"][0]["completion"]

    seen_agreements = client.get(
        f"/v1/therapist/couples/{couple_id}/agreements", headers=therapist
    ).get_json()["items"]
    assert {a["title"] for a in seen_agreements} == {a["title"] for a in agreements}
    assert all(a["on_time_rate_28d"] is not None for a in seen_agreements)

    # Maya's journal: notes and thought records over the weeks, two of them shared.
    journal = client.get("/v1/me/journal?limit=100", headers=maya).get_json()["items"]
    assert {e["kind"] for e in journal} == {"note", "thought_record"} and len(journal) >= 5
    assert all(e["feelings"] for e in journal)
    assert all(e["feelings_after"] for e in journal if e["kind"] == "thought_record")
    mine = {e["id"] for e in journal if e["shared_with_therapist"]}
    shared = client.get(f"/v1/therapist/couples/{couple_id}/journal", headers=therapist)
    assert shared.status_code == 200
    assert {e["id"] for e in shared.get_json()["items"]} == mine and len(mine) == 2
    assert {e["author_id"] for e in shared.get_json()["items"]} == {me["id"]}
    assert client.get("/v1/me/journal", headers=sam).get_json()["items"] == []
    patterns = client.get("/v1/me/journal/patterns?weeks=3", headers=maya).get_json()
    assert sum(w["entries"] for w in patterns["weeks"]) == len(journal)
    assert any(f["mean_intensity_after"] for w in patterns["weeks"] for f in w["feelings"])


def test_the_demo_therapist_prepares_a_session_in_the_workspace(app, client):
    from tests.web.conftest import csrf_token

    result = run_demo(app)  # the default eight weeks
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/therapist/" in result.output
    form = client.get("/therapist/login")
    signed_in = client.post(
        "/therapist/login",
        data={
            "csrf_token": csrf_token(form),
            "email": THERAPIST_EMAIL,
            "password": printed_password(result.output, THERAPIST_EMAIL),
        },
    )
    assert signed_in.status_code == 303

    overview = client.get("/therapist/").get_data(as_text=True)
    assert "Maya and Sam" in overview
    couple_path = re.search(r'href="(/therapist/couples/[0-9a-f-]{36})"', overview).group(1)
    page = client.get(couple_path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('<svg class="chart"') == len(SERIES)
    # Eight weeks of real-looking figures: every chart has drawn lines, none is empty.
    assert "No data in these weeks" not in html
    assert html.count("<path ") >= 12
    assert "Before our next session" in html  # the assignment, with its completion
    assert "Both answered" in html
    csv = client.get(couple_path + "/report.csv").get_data().decode("utf-8-sig")
    assert len(csv.strip().splitlines()) == 1 + 8 * 2


def test_history_notifications_are_not_pushed_later(app, session):
    assert run_demo(app, "--weeks", "2").exit_code == 0

    session.commit()
    pending = session.scalar(
        select(func.count(Notification.id)).where(Notification.status == "pending")
    )
    assert pending == 0
    worker = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert worker.exit_code == 0, worker.output


def test_a_second_run_changes_nothing(app, session):
    assert run_demo(app, "--weeks", "2").exit_code == 0
    users = session.scalar(select(func.count(User.id)))

    again = run_demo(app, "--weeks", "2")

    assert again.exit_code == 1
    assert "already exist" in again.output
    assert demo_users(session) == 3
    assert session.scalar(select(func.count(User.id))) == users


def test_a_given_password_is_used(app, client):
    result = run_demo(app, "--weeks", "2", "--password", "steady-demo-2026")

    assert result.exit_code == 0, result.output
    assert printed_password(result.output, MAYA_EMAIL) == "steady-demo-2026"
    login(client, SAM_EMAIL, "steady-demo-2026")
    assert run_demo(app, "--password", "short").exit_code == 2


def test_the_same_seed_writes_the_same_history(app, engine):
    first = run_demo(app, "--weeks", "2", "--seed", "3")
    empty_tables(engine)  # as the autouse fixture does between tests
    second = run_demo(app, "--weeks", "2", "--seed", "3")

    # The first line sums up the history: same counts of everything, whatever the ids.
    assert first.output.splitlines()[0] == second.output.splitlines()[0]
    assert printed_password(first.output, MAYA_EMAIL) != printed_password(second.output, MAYA_EMAIL)


def test_production_is_refused(app_config, session):
    app = create_app({**app_config, "STEADY_ENV": "production", "METRICS_TOKEN": "scrape"})

    result = run_demo(app, "--weeks", "2")

    assert result.exit_code == 1
    assert "STEADY_ENV=production" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert demo_users(session) == 0
