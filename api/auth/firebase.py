"""Verification of Firebase ID tokens, behind a small seam the tests replace."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from api.errors import Unauthorized

FirebaseVerifier = Callable[[str], dict[str, Any]]

_APP_NAME = "steady-auth"
_lock = threading.Lock()


class FirebaseAdminVerifier:
    """Verifies ID tokens with firebase-admin; the Firebase app is created on first use."""

    def __init__(
        self,
        *,
        project_id: str | None,
        credentials_file: str | None,
        check_revoked: bool,
        verify: Callable[..., dict[str, Any]] | None = None,
    ) -> None:
        self._project_id = project_id
        self._credentials_file = credentials_file
        self._check_revoked = check_revoked
        self._app = None
        # Tests pass a stand-in for auth.verify_id_token to produce expiry and revocation.
        self._verify = verify

    def _firebase_app(self):
        import firebase_admin
        from firebase_admin import credentials

        with _lock:
            if self._app is None:
                try:
                    self._app = firebase_admin.get_app(_APP_NAME)
                except ValueError:
                    credential = (
                        credentials.Certificate(self._credentials_file)
                        if self._credentials_file
                        else credentials.ApplicationDefault()
                    )
                    options = {"projectId": self._project_id} if self._project_id else {}
                    self._app = firebase_admin.initialize_app(credential, options, name=_APP_NAME)
        return self._app

    def __call__(self, token: str) -> dict[str, Any]:
        from firebase_admin import auth

        try:
            if self._verify is not None:
                return self._verify(token, check_revoked=self._check_revoked)
            return auth.verify_id_token(
                token, app=self._firebase_app(), check_revoked=self._check_revoked
            )
        except auth.ExpiredIdTokenError as exc:
            raise Unauthorized("token_expired", "The ID token has expired.") from exc
        except auth.RevokedIdTokenError as exc:
            raise Unauthorized("session_revoked", "The ID token has been revoked.") from exc
        except (auth.InvalidIdTokenError, auth.UserDisabledError, ValueError) as exc:
            raise Unauthorized("invalid_token", "The ID token is not valid.") from exc
        except auth.CertificateFetchError as exc:
            raise Unauthorized("invalid_token", "The ID token cannot be checked now.") from exc
