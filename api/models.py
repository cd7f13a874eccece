"""Imports every domain's models so Alembic and the tests see all tables."""

from api.accounts.models import Device, User
from api.auth.models import AuthSession, RefreshToken
from api.db import Base
from api.notifications.models import Notification, NotificationSettings
from api.pairing.models import Couple, CoupleMember, Invite

__all__ = [
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
]
