"""Dummy credentials the sandbox accepts, and the Google access tokens it has issued.

The OAuth stand-in issues access tokens from the refresh token; the Google Ads gRPC stand-in
asks `is_valid_google_access_token` for each call's `authorization: Bearer` value. Tokens can be
expired or the refresh token revoked at runtime to exercise the clients' auth error paths
(see also `expired_credentials` in faults.py).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from dataclasses import dataclass, field

# Google access tokens look like "ya29...."; keep the prefix so log scrubbers recognise them.
GOOGLE_ACCESS_TOKEN_PREFIX = "ya29.sandbox-"
GOOGLE_TOKEN_LIFETIME_SECONDS = 3599


@dataclass
class SandboxCredentials:
    google_client_id: str = "sandbox-client-id.apps.googleusercontent.com"
    google_client_secret: str = "sandbox-client-secret"
    google_refresh_token: str = "1//sandbox-refresh-token"
    google_developer_token: str = "sandbox-developer-token"
    meta_access_token: str = "EAAsandboxMetaAccessToken"
    meta_app_secret: str = "sandbox-meta-app-secret"
    impact_auth_token: str = "sandbox-impact-auth-token"
    cj_access_token: str = "sandbox-cj-personal-access-token"
    awin_access_token: str = "sandbox-awin-oauth-token"
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    _issued: set[str] = field(default_factory=set, init=False, repr=False, compare=False)
    _serial: itertools.count = field(
        default_factory=itertools.count, init=False, repr=False, compare=False
    )
    _refresh_revoked: bool = field(default=False, init=False, repr=False, compare=False)

    # -- Google OAuth --------------------------------------------------------------------------

    def check_google_refresh(self, client_id: str, client_secret: str, refresh_token: str) -> bool:
        return (
            not self._refresh_revoked
            and hmac.compare_digest(client_id, self.google_client_id)
            and hmac.compare_digest(client_secret, self.google_client_secret)
            and hmac.compare_digest(refresh_token, self.google_refresh_token)
        )

    def issue_google_access_token(self) -> str:
        with self._lock:
            n = next(self._serial)
            digest = hashlib.sha256(f"{self.google_refresh_token}|{n}".encode()).hexdigest()[:24]
            token = f"{GOOGLE_ACCESS_TOKEN_PREFIX}{n}-{digest}"
            self._issued.add(token)
            return token

    def is_valid_google_access_token(self, token: str | None) -> bool:
        """True for a token issued by the sandbox and not expired/revoked since."""
        with self._lock:
            return token is not None and token in self._issued

    def expire_google_access_tokens(self) -> None:
        """Every token issued so far stops working (a client must refresh)."""
        with self._lock:
            self._issued.clear()

    def revoke_google_refresh_token(self, revoked: bool = True) -> None:
        """Refreshing fails with invalid_grant (and issued tokens stop working)."""
        with self._lock:
            self._refresh_revoked = revoked
            if revoked:
                self._issued.clear()

    # -- Meta ----------------------------------------------------------------------------------

    def meta_appsecret_proof(self, access_token: str | None = None) -> str:
        """HMAC-SHA256 of the access token keyed by the app secret, as the SDK computes it."""
        token = access_token or self.meta_access_token
        return hmac.new(self.meta_app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
