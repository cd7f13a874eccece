"""Imports every domain's models so Alembic and the tests see all tables."""

from api.accounts.models import Device, User
from api.agreements.models import Agreement, CheckIn, LateNotice
from api.auth.models import AuthSession, RefreshToken
from api.commitments.models import Commitment, CommitmentCheck
from api.db import Base
from api.gratitude.models import GratitudeNote
from api.idempotency.models import IdempotencyRecord
from api.journal.models import JournalEntry, JournalFeeling
from api.notifications.models import Notification, NotificationSettings
from api.pairing.models import Couple, CoupleMember, Invite
from api.prompts.models import Answer, Prompt, PromptTranslation, Round, Schedule
from api.reassurance.models import CoupleSettings, ReassuranceAnswer, ReassuranceRequest
from api.therapists.models import AccessLogEntry, Assignment, Grant, GrantApproval, LinkCode
from api.web.models import WebSession

__all__ = [
    "Agreement",
    "CheckIn",
    "LateNotice",
    "CoupleSettings",
    "ReassuranceAnswer",
    "ReassuranceRequest",
    "AccessLogEntry",
    "Assignment",
    "Grant",
    "IdempotencyRecord",
    "JournalEntry",
    "JournalFeeling",
    "GrantApproval",
    "LinkCode",
    "Commitment",
    "CommitmentCheck",
    "Answer",
    "GratitudeNote",
    "Prompt",
    "PromptTranslation",
    "Round",
    "Schedule",
    "AuthSession",
    "Base",
    "Couple",
    "CoupleMember",
    "Device",
    "Invite",
    "Notification",
    "NotificationSettings",
    "RefreshToken",
    "User",
    "WebSession",
]
