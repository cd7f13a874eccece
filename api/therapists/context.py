"""The one way therapist routes (API and workspace) reach a couple: consent checked, logged."""

from __future__ import annotations

import uuid

from flask import request

from api.auth.context import current_user
from api.db import now, write_session
from api.therapists import service
from api.therapists.models import Grant


def couple_access(couple_id: uuid.UUID, action: str, *, content: bool = False) -> Grant:
    """The calling therapist's active grant on this couple, after writing this request to the
    couple's access log (allowed or denied); 404 without a grant, 403 `scope_denied` when
    `content` is asked for under a summary-only grant."""
    return service.check_access(
        session=write_session(),
        therapist=current_user(),
        couple_id=couple_id,
        action=action,
        path=request.path,
        now=now(),
        content=content,
    )
