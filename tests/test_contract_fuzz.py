"""Contract fuzzing: the app, in process, against the checked-in openapi.yaml.

Schemathesis generates valid and invalid requests for every operation (the examples, coverage
and fuzzing phases) and checks each answer: never a 5xx, only documented status codes and
content types, bodies matching their response schema, invalid input refused. Stateful runs,
one per chain of links (a note created → read → acknowledged), then use ids from real answers.

Callers are real: a paired partner for partner and shared paths, a therapist with an active
grant for /v1/therapist paths, and an unpaired partner for /v1/invites. The data they see is
seeded through the API (tests/world.py), and path parameters point at those real objects some
of the time, so the fuzzer exercises found objects as well as 404s.

Bounded and deterministic: a fixed seed, derandomised generation, no example database, a few
examples per operation. Security parameters are not generated: every call carries a real
token, and missing or bad tokens are covered by the auth tests.
"""

from __future__ import annotations

import json
import os
import zlib
from datetime import UTC, datetime

import pytest
import schemathesis
import yaml
from hypothesis import settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import ensure_resource_availability, positive_data_acceptance
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from api import create_app
from api.db import get_engine, make_session_factory
from tests.conftest import FakeClock, empty_tables
from tests.factories import Factory, pair
from tests.world import TODAY, World, build_couple, build_world

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPENAPI = os.path.join(ROOT, "openapi.yaml")

# What `positive_data_acceptance` reports that JSON Schema cannot say, class by class: each is
# a 422 for a request the schema allows, decided by data the schema does not have.
# - invalid_cursor: a cursor is signed by the server; a generated one never is.
# - idempotency_key_reused: the generator sends one key again with another body; refusing
#   that is the point of the key (the key is valid, the pairing of key and body is not).
# - an unknown time zone: the server accepts IANA names only; as an enum they would put ~600
#   names beside every timezone field, for a check a client makes with its own zone database.
# - text with NUL or a lone surrogate: valid JSON strings no database here can store.
# - a journal entry's kind: it cannot change, a fact of the stored entry, not of the body;
#   and which texts an entry needs follows from its kind (a note's text, a thought record's
#   situation and thought), a rule between fields the schema states in words.
# - not_due: a check or late notice for a time that is not due on the clock of the request;
#   date_in_future: a commitment check for a day that has not come yet on that clock.
# - rating_not_allowed, rating_required, text_required: what an answer holds follows from
#   the round's kind.
# - a commitment with both days and a date, and a feeling name of spaces only (names are
#   trimmed): rules between fields and after trimming, stated in words in the schema.
# - prompt_not_found (`ensure_resource_availability`): a body naming a prompt id the generator
#   made up answers 404 about that prompt, not about the schedule just created.
# - invite_not_found (`ensure_resource_availability`, stateful): an invite is open until it
#   is accepted or withdrawn, which the chain may already have done.
REJECTED_BEYOND_THE_SCHEMA = {
    "reasons": {
        "invalid_cursor",
        "idempotency_key_reused",
        "not_due",
        "date_in_future",
        "rating_not_allowed",
        "rating_required",
        "text_required",
        "invite_not_found",
        "prompt_not_found",
    },
    "messages": {
        "Not a known IANA time zone name.",
        "Contains characters that cannot be stored (NUL or a lone surrogate).",
        "The kind of an entry cannot change; write a new one.",
        "Required for a note.",
        "Required for a thought record.",
        "Not part of a thought record.",
        "Not part of a note.",
        "Give either days or a date, not both.",
        "A feeling needs a name.",
    },
}


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


def rejected_beyond_the_schema(response) -> bool:
    if response.status_code not in (404, 422):
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    if body.get("reason") in REJECTED_BEYOND_THE_SCHEMA["reasons"]:
        return True
    messages = _messages(body.get("errors") or {})
    return bool(messages) and set(messages) <= REJECTED_BEYOND_THE_SCHEMA["messages"]


@schemathesis.check
def positive_data_accepted(ctx, response, case):
    """`positive_data_acceptance`, less the documented classes above."""
    if rejected_beyond_the_schema(response):
        return None
    return positive_data_acceptance(ctx, response, case)


@schemathesis.check
def created_resource_available(ctx, response, case):
    """`ensure_resource_availability`, less the documented class above."""
    if rejected_beyond_the_schema(response):
        return None
    return ensure_resource_availability(ctx, response, case)


# Every check schemathesis has (`--checks all`), nothing switched off per operation;
# `positive_data_acceptance` runs as `positive_data_accepted` (see above). `ignored_auth` is
# left out: it sends requests of its own over HTTP, which an in-process app cannot answer
# (schemathesis passes it `app=` and fails); tests/auth and tests/test_authorization_matrix.py
# send every protected operation without and with bad tokens instead.
OUT_OF_PROCESS_ONLY = {"ignored_auth"}
CHECKS = [
    check
    for check in REGISTERED_CHECKS.get_all()
    if check.__name__ not in OUT_OF_PROCESS_ONLY
    and check
    not in (
        positive_data_acceptance,
        positive_data_accepted,
        ensure_resource_availability,
        created_resource_available,
    )
] + [positive_data_accepted, created_resource_available]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261123,
        "generation": {
            "max-examples": 10,
            "deterministic": True,
            "database": "none",
            # Every call carries a real bearer token (see `Fuzz.headers_for`); generated ones
            # would only ever be refused with 401, which tests/auth covers.
            "with-security-parameters": False,
        },
        "phases": {
            # Only the links declared below (CHAINS): each scenario stays one readable chain,
            # and inferred links would change whenever the contract does.
            "stateful": {"max-steps": 6, "inference": {"algorithms": []}},
        },
    }
)

schema = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)

# Operations that destroy what other operations point at (the couple's only schedule, the
# therapist's grant, the invites) get a world of their own, so the order tests run in changes
# nothing for the others.
OWN_WORLD = {
    ("DELETE", "/v1/couple/commitments/{commitment_id}"),
    ("DELETE", "/v1/couple/agreements/{agreement_id}"),
    ("DELETE", "/v1/couple/schedules/{schedule_id}"),
    ("DELETE", "/v1/couple/therapists/{grant_id}"),
    ("DELETE", "/v1/me/journal/{entry_id}"),
    ("DELETE", "/v1/invites/{code}"),
    ("POST", "/v1/invites/{code}/accept"),
}
# Operations that end the caller (session, account, couple): each example gets a fresh caller
# instead of being filtered out, so they are fuzzed like the rest.
FRESH_CALLER = {
    ("POST", "/v1/auth/logout"),
    ("DELETE", "/v1/me"),
    ("DELETE", "/v1/couple"),
}


class Fuzz:
    """The app under test and the worlds the fuzzer acts in, shared by the whole module:
    building a world takes about a second, once per operation would dominate the run."""

    def __init__(self, database_url: str) -> None:
        self.clock = FakeClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
        self.app = create_app(
            {
                "STEADY_ENV": "test",
                "DATABASE_URL": database_url,
                "CLOCK": self.clock,
                "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                "RATELIMIT_STORAGE_URI": "memory://",
                # Hundreds of generated logins and sign-ups from one address would hit the
                # limits and turn every later answer into a (documented) 429.
                "RATELIMIT_ENABLED": False,
                # Cheap hashes: the fuzzer signs in and registers many times.
                "ARGON2_MEMORY_KIB": 1024,
                "ARGON2_TIME_COST": 1,
            }
        )
        self.session = make_session_factory(get_engine(database_url, sqlite_immediate=False))()
        self.factory = Factory(app=self.app, session=self.session, clock=self.clock)
        self.client = self.app.test_client()
        self._shared: World | None = None
        self._own: dict[tuple[str, str], World] = {}

    def world_for(self, method: str, path: str) -> World:
        key = (method, path)
        if key in OWN_WORLD:
            if key not in self._own:
                self._own[key] = build_world(self.client, self.factory)
            return self._own[key]
        if self._shared is None:
            self._shared = build_world(self.client, self.factory)
        return self._shared

    def headers_for(self, method: str, path: str, world: World) -> dict[str, str]:
        if (method, path) == ("POST", "/v1/auth/logout"):
            return self.factory.actor(user=world.first.user).headers
        if (method, path) in FRESH_CALLER:
            return pair(self.factory)[0].headers
        if path.startswith("/v1/therapist"):
            return world.therapist.headers
        if path.startswith("/v1/invites"):
            # Unpaired: a paired partner is refused every invite with 409 already_paired, so
            # creating, withdrawing and accepting would never be reached.
            return world.solo.headers
        return world.first.headers


def point_at_real_objects(case, world: World) -> None:
    """Swaps generated ids for ids of seeded objects in about two valid cases out of three.

    Only cases whose path parameters are valid anyway: an invalid one stays invalid, so the
    negative checks still see what was generated. The choice hashes the generated values, so
    it is as deterministic as the generation.
    """
    real = world.path_ids.get(case.operation.path)
    component = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if not real or component is None or component.mode != GenerationMode.POSITIVE:
        return
    pick = zlib.crc32(json.dumps(case.path_parameters, sort_keys=True).encode())
    chosen = [None, *real][pick % (len(real) + 1)]
    if chosen is not None:
        case.path_parameters = dict(chosen)


@pytest.fixture(autouse=True)
def _clean_tables():
    """Replaces conftest's per-test cleaning: the worlds outlive a test (see `Fuzz`)."""
    yield


@pytest.fixture(scope="module")
def fuzz(database_url, engine):
    fuzz = Fuzz(database_url)
    yield fuzz
    fuzz.session.close()
    empty_tables(engine)


@schema.parametrize()
def test_every_operation_honours_the_contract(case, fuzz):
    method, path = case.method.upper(), case.operation.path
    world = fuzz.world_for(method, path)
    point_at_real_objects(case, world)
    case.call_and_validate(
        app=fuzz.app, headers=fuzz.headers_for(method, path, world), checks=CHECKS
    )


# --- stateful: follow links from what was created ---------------------------------------------

# flask-smorest emits no OpenAPI links, so they are declared here, on a copy of the contract.
# One chain per kind of object, each run as its own state machine: with every link in one
# machine, a few dozen scenarios never reached some chains. A link is
# (source path, method, status) -> name -> (target path, method, parameters[, request body]).
#
# Devices are left out: a push token is global (seen again, it moves to the caller with 200),
# so a token generated again in a later scenario would answer differently, and Hypothesis needs
# a replayed scenario to answer alike. The stateless run covers registering and removing them.
BODY_ID = "$response.body#/id"
CHAINS = {
    "gratitude": {
        ("/v1/couple/gratitude", "post", "201"): {
            "ShowNote": ("/v1/couple/gratitude/{note_id}", "get", {"note_id": BODY_ID}),
            "AcknowledgeNote": (
                "/v1/couple/gratitude/{note_id}/acknowledge",
                "post",
                {"note_id": BODY_ID},
            ),
        },
    },
    "rounds": {
        ("/v1/couple/rounds", "post", "201"): {
            "ShowRound": ("/v1/couple/rounds/{round_id}", "get", {"round_id": BODY_ID}),
            "AnswerRound": (
                "/v1/couple/rounds/{round_id}/answers",
                "post",
                {"round_id": BODY_ID},
            ),
        },
    },
    "schedules": {
        ("/v1/couple/schedules", "post", "201"): {
            f"{verb.capitalize()}Schedule": (
                "/v1/couple/schedules/{schedule_id}",
                verb,
                {"schedule_id": BODY_ID},
            )
            for verb in ("get", "patch", "delete")
        },
    },
    "commitments": {
        ("/v1/couple/commitments", "post", "201"): {
            **{
                f"{verb.capitalize()}Commitment": (
                    "/v1/couple/commitments/{commitment_id}",
                    verb,
                    {"commitment_id": BODY_ID},
                )
                for verb in ("get", "patch", "delete")
            },
            # A generated date is hardly ever the one due occurrence (today, on the test clock).
            "RecordCheck": (
                "/v1/couple/commitments/{commitment_id}/checks",
                "post",
                {"commitment_id": BODY_ID},
                {"date": TODAY},
            ),
            "ListChecks": (
                "/v1/couple/commitments/{commitment_id}/checks",
                "get",
                {"commitment_id": BODY_ID},
            ),
        },
        ("/v1/couple/commitments/{commitment_id}/checks", "post", "201"): {
            "ConfirmCheck": (
                "/v1/couple/commitments/{commitment_id}/checks/{check_id}/confirm",
                "post",
                {"commitment_id": "$response.body#/commitment_id", "check_id": BODY_ID},
            ),
        },
    },
    "agreements": {
        ("/v1/couple/agreements", "post", "201"): {
            **{
                f"{verb.capitalize()}Agreement": (
                    "/v1/couple/agreements/{agreement_id}",
                    verb,
                    {"agreement_id": BODY_ID},
                )
                for verb in ("get", "patch", "delete")
            },
            # A generated time is rarely near the test clock's now: most answers are not_due.
            "CheckIn": (
                "/v1/couple/agreements/{agreement_id}/check-ins",
                "post",
                {"agreement_id": BODY_ID},
            ),
            "RunningLate": (
                "/v1/couple/agreements/{agreement_id}/late",
                "post",
                {"agreement_id": BODY_ID},
            ),
            "ListOccurrences": (
                "/v1/couple/agreements/{agreement_id}/occurrences",
                "get",
                {"agreement_id": BODY_ID},
            ),
        },
    },
    "reassurance": {
        ("/v1/couple/reassurance-requests", "post", "201"): {
            "ShowRequest": (
                "/v1/couple/reassurance-requests/{request_id}",
                "get",
                {"request_id": BODY_ID},
            ),
            "AnswerRequest": (
                "/v1/couple/reassurance-requests/{request_id}/answer",
                "post",
                {"request_id": BODY_ID},
            ),
            "WithdrawRequest": (
                "/v1/couple/reassurance-requests/{request_id}/withdraw",
                "post",
                {"request_id": BODY_ID},
            ),
        },
    },
    "journal": {
        ("/v1/me/journal", "post", "201"): {
            f"{verb.capitalize()}JournalEntry": (
                "/v1/me/journal/{entry_id}",
                verb,
                {"entry_id": BODY_ID},
            )
            for verb in ("get", "patch", "delete")
        },
    },
    "therapists": {
        ("/v1/therapist/link-codes", "post", "201"): {
            "AddTherapist": (
                "/v1/couple/therapists",
                "post",
                {},
                {"code": "$response.body#/code"},
            ),
        },
        ("/v1/couple/therapists", "post", "201"): {
            "ShowGrant": ("/v1/couple/therapists/{grant_id}", "get", {"grant_id": BODY_ID}),
            "ApproveGrant": (
                "/v1/couple/therapists/{grant_id}/approve",
                "post",
                {"grant_id": BODY_ID},
            ),
            "GrantAccessLog": (
                "/v1/couple/therapists/{grant_id}/access-log",
                "get",
                {"grant_id": BODY_ID},
            ),
            "EndGrant": ("/v1/couple/therapists/{grant_id}", "delete", {"grant_id": BODY_ID}),
        },
    },
    "assignments": {
        ("/v1/therapist/couples/{couple_id}/assignments", "post", "201"): {
            "StopAssignment": (
                "/v1/therapist/couples/{couple_id}/assignments/{assignment_id}",
                "delete",
                {"couple_id": "$request.path.couple_id", "assignment_id": BODY_ID},
            ),
        },
    },
    "invites": {
        ("/v1/invites", "post", "201"): {
            "WithdrawInvite": ("/v1/invites/{code}", "delete", {"code": "$response.body#/code"}),
            "AcceptInvite": (
                "/v1/invites/{code}/accept",
                "post",
                {"code": "$response.body#/code"},
            ),
        },
    },
}


def _pointer(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def contract_with_links(links: dict) -> dict:
    """The contract with `links` added, narrowed to the operations they connect: a scenario
    is about the objects it makes and uses."""
    with open(OPENAPI) as fh:
        spec = yaml.safe_load(fh)
    linked = {(path, method) for path, method, _ in links}
    for (path, method, status), named in links.items():
        response = spec["paths"][path][method]["responses"][status]
        response["links"] = {}
        for name, (target, verb, parameters, *body) in named.items():
            link = {"operationRef": _pointer(target, verb), "parameters": parameters}
            if body:
                link["requestBody"] = body[0]
            response["links"][name] = link
            linked.add((target, verb))
    spec["paths"] = {
        path: {
            verb: operation
            for verb, operation in operations.items()
            if verb == "parameters" or (path, verb) in linked
        }
        for path, operations in spec["paths"].items()
        if any((path, verb) in linked for verb in operations)
    }
    return spec


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_linked_operations_honour_the_contract(fuzz, chain):
    client, factory = fuzz.client, fuzz.factory
    linked = schemathesis.openapi.from_dict(contract_with_links(CHAINS[chain]), config=CONFIG)

    class LinkedOperations(linked.as_state_machine()):
        def setup(self):
            # Each scenario starts from its own people, so no scenario sees what an earlier one
            # left behind: Hypothesis replays scenarios and needs them to answer alike. Objects
            # are not seeded; the scenario makes them and follows the links.
            self.world = build_couple(client, factory)
            # A therapist not yet added, so adding and approving can succeed in the scenario.
            self.new_therapist = factory.therapist()

        def headers_for(self, case) -> dict[str, str]:
            path, world = case.operation.path, self.world
            if path == "/v1/therapist/link-codes":
                return self.new_therapist.headers
            if path.startswith("/v1/therapist"):
                return world.therapist.headers
            if path == "/v1/invites/{code}/accept":
                return factory.partner().headers  # someone new accepts each invite
            if path.startswith("/v1/invites"):
                return world.solo.headers
            if path.endswith(("/acknowledge", "/confirm", "/approve", "/answers", "/answer")):
                # The other partner: the one who receives, sees kept, consents second or
                # answers what the first asked.
                return world.second.headers
            return world.first.headers

        def before_call(self, case):
            # The therapist sees one couple; a generated couple id would only ever be 404.
            component = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
            if "couple_id" in case.path_parameters and component is not None:
                if component.mode == GenerationMode.POSITIVE:
                    case.path_parameters = {
                        **case.path_parameters,
                        "couple_id": self.world.couple_id,
                    }

        def get_call_kwargs(self, case):
            return {"app": fuzz.app, "headers": self.headers_for(case)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response, checks=CHECKS, transport_kwargs=kwargs, recorder=self.recorder
            )

    LinkedOperations.run(
        settings=settings(
            max_examples=6,
            stateful_step_count=CONFIG.projects.get_default().phases.stateful.max_steps,
            derandomize=True,
            database=None,
            deadline=None,
        )
    )
