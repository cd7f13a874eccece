"""Imports every domain's models so Alembic and the tests see all tables."""

from api.accounts.models import Device, User
from api.auth.models import AuthSession, RefreshToken
from api.db import Base

__all__ = ["AuthSession", "Base", "Device", "RefreshToken", "User"]
