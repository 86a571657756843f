"""Google OAuth token endpoint stand-in: `POST /token` with a refresh-token grant.

Form fields `grant_type=refresh_token`, `client_id`, `client_secret`, `refresh_token` (what
google-auth sends). Success: `{"access_token", "expires_in", "scope", "token_type": "Bearer"}`;
a wrong, revoked or (by fault) expired refresh token: HTTP 400 `invalid_grant`. Issued tokens are
remembered by the sandbox's Google Ads credentials (sandbox.py), which the stand-in consults.
"""

from __future__ import annotations

from perfmkt_pipeline.platforms.google_ads.standin.sandbox import TOKEN_LIFETIME_SECONDS, TOKEN_PATH
from perfmkt_pipeline.sandbox.http_server import PlatformApp, Request, Response

ADWORDS_SCOPE = "https://www.googleapis.com/auth/adwords"
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "Token has been expired or revoked.",
}


class OAuthApp(PlatformApp):
    platform = "google_oauth"

    def handle(self, request: Request) -> Response:
        kind = "google_oauth.token" if request.path == TOKEN_PATH else "google_oauth.unknown"
        decision = self.guard(kind, None)
        if decision == "auth":
            return Response.json(INVALID_GRANT, 400)
        if decision in ("rate_limit", "limit_exceeded"):
            return Response.json(
                {"error": "rate_limit_exceeded", "error_description": "Rate limit exceeded"}, 429
            )
        if decision == "server_error":
            return Response.json(
                {"error": "internal_failure", "error_description": "Backend Error"},
                self.faults.server_error_status,
            )
        if kind == "google_oauth.unknown" or request.method != "POST":
            return Response.json({"error": "not_found"}, 404)
        form = {k: v[-1] for k, v in request.form().items()}
        grant = form.get("grant_type")
        if grant != "refresh_token":
            return Response.json(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Invalid grant_type: {grant}",
                },
                400,
            )
        creds = self.credentials.google_ads
        if (
            form.get("client_id") != creds.client_id
            or form.get("client_secret") != creds.client_secret
        ):
            return Response.json(
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                401,
            )
        if not creds.check_refresh(
            form.get("client_id", ""), form.get("client_secret", ""), form.get("refresh_token", "")
        ):
            return Response.json(INVALID_GRANT, 400)
        return Response.json(
            {
                "access_token": creds.issue_access_token(),
                "expires_in": TOKEN_LIFETIME_SECONDS,
                "scope": ADWORDS_SCOPE,
                "token_type": "Bearer",
            }
        )
