"""SSO OIDC: RegisterClient, StartDeviceAuthorization, CreateToken, and the browser pages /authorize and /device.

Rules and messages follow identity-center.md 1.1, 2.1, 2.2 and 7. Where AWS's exact message is unknown the text
here is a plausible one; clients must branch on `error`, never on `error_description`.
"""

import html
import re
from urllib.parse import urlencode, urlsplit

from . import wire
from .state import AuthCode, AuthRequest, Client, Device
from .wire import OidcError, Reply

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRANTS = (DEVICE_GRANT, "authorization_code", "refresh_token")
CALLBACK = "http://127.0.0.1/oauth/callback"  # the only redirect URI AWS registers (mairu PR #17)
SCOPE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._/-]*$")
CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of 32 bytes, unpadded


def register_client(state, req):
    body = req.json()
    name, client_type = body.get("clientName"), body.get("clientType")
    if name is None or client_type is None:
        raise OidcError("InvalidRequest", "clientName and clientType are required")
    if not isinstance(name, str) or not name.isascii() or not 1 <= len(name) <= 128:
        raise OidcError("InvalidClientMetadata", "Invalid client name provided")
    if client_type != "public":
        raise OidcError("InvalidClientMetadata", "Invalid client type provided")
    scopes, grants, redirects = (_strings(body, key) for key in ("scopes", "grantTypes", "redirectUris"))
    if not all(SCOPE_RE.match(s) for s in scopes):
        raise OidcError("InvalidScope", "Invalid scope provided")
    if any(g not in GRANTS for g in grants):
        raise OidcError("UnsupportedGrantType", "Unsupported grant type provided")
    if any(uri != CALLBACK for uri in redirects):
        raise OidcError("InvalidRedirectUri", "Invalid redirect URI provided")
    if "authorization_code" in grants and not redirects:
        raise OidcError("InvalidRedirectUri", "A redirect URI is required for the authorization_code grant")
    with state.lock:
        now = int(state.now())
        client = Client(wire.client_id(), wire.client_secret(), name, scopes, grants, redirects, now,
                        now + state.settings.client_seconds)
        state.clients[client.client_id] = client
        state.stats["registrations"] += 1
        base = state.base_url
    return Reply(body={
        "clientId": client.client_id,
        "clientSecret": client.secret,
        "clientIdIssuedAt": client.issued_at,
        "clientSecretExpiresAt": client.expires_at,
        "authorizationEndpoint": base + "/authorize",
        "tokenEndpoint": base + "/token",
    })


def start_device_authorization(state, req):
    body = req.json()
    with state.lock:
        client = _authenticate(state, body)
        start_url = _required(body, "startUrl")
        if not state.start_url_ok(start_url):
            raise OidcError("InvalidRequest", "Invalid start url")
        # A client registered for PKCE only may not use the device grant (the CLI skips such registrations).
        if client.grant_types and DEVICE_GRANT not in client.grant_types:
            raise OidcError("UnauthorizedClient", "Client is not authorized to use the device code grant")
        settings = state.settings
        device = Device(_unique(state.devices, wire.device_code), _unique(state.user_codes, wire.user_code),
                        client.client_id, start_url, state.now() + settings.device_expires, settings.device_interval)
        state.devices[device.device_code] = device
        state.user_codes[device.user_code] = device
        state.stats["device_authorizations"] += 1
        verify = state.base_url + "/device"
    return Reply(body={
        "deviceCode": device.device_code,
        "userCode": device.user_code,
        "verificationUri": verify,
        "verificationUriComplete": f"{verify}?{urlencode({'user_code': device.user_code})}",
        "expiresIn": settings.device_expires,
        "interval": settings.device_interval,
    })


def create_token(state, req):
    body = req.json()
    grant = body.get("grantType")
    with state.lock:
        client = _authenticate(state, body)
        if grant is None:
            raise OidcError("InvalidRequest", "grantType is required")
        handler = {DEVICE_GRANT: _device_grant, "authorization_code": _code_grant,
                   "refresh_token": _refresh_grant}.get(grant)
        if handler is None:
            raise OidcError("UnsupportedGrantType", f"Unsupported grant type: {grant}")
        # Registered without grantTypes (the CLI's device flow): device code, and refresh if refreshable.
        if client.grant_types and grant not in client.grant_types:
            raise OidcError("UnauthorizedClient", f"Client is not authorized to use the {grant} grant")
        if any(scope not in client.scopes for scope in _strings(body, "scope")):
            raise OidcError("InvalidScope", "Invalid scope requested")
        return Reply(body=handler(state, client, body))


def _device_grant(state, client, body):
    device = state.devices.get(_required(body, "deviceCode"))
    if device is None or device.client_id != client.client_id:
        raise OidcError("InvalidGrant", "Invalid device code provided")
    if device.status == "exchanged":  # checked first: a second exchange is invalid_grant even when early
        raise OidcError("InvalidGrant", "Device code has already been exchanged")
    now = state.now()
    if now >= device.expires_at:
        raise OidcError("ExpiredToken", "Device code has expired")
    too_soon = device.last_poll is not None and now - device.last_poll < device.interval
    device.last_poll = now
    if too_soon:
        device.interval += 5  # RFC 8628 3.5: the client must now wait 5 s more, and so does this code
        raise OidcError("SlowDown", "Client is polling too quickly")
    if device.status == "denied":
        raise OidcError("AccessDenied", "Access denied by the user")
    limit = state.settings.approve_after_polls
    if device.status == "pending" and limit > 0 and device.polls >= limit:
        device.status = "approved"
    if device.status == "pending":
        device.polls += 1
        raise OidcError("AuthorizationPending", "Authorization is still pending")
    device.status = "exchanged"
    return state.issue_tokens(client, state.new_sign_in(client))


def _code_grant(state, client, body):
    record = state.codes.get(_required(body, "code"))
    redirect_uri, verifier = _required(body, "redirectUri"), _required(body, "codeVerifier")
    if record is None or record.client_id != client.client_id or record.used:
        raise OidcError("InvalidGrant", "Invalid authorization code provided")
    if state.now() >= record.expires_at:
        raise OidcError("InvalidGrant", "Authorization code has expired")
    if redirect_uri != record.redirect_uri:
        raise OidcError("InvalidGrant", "Redirect URI does not match the one used to authorize")
    if wire.s256(verifier) != record.challenge:
        raise OidcError("InvalidGrant", "Code verifier does not match the code challenge")
    record.used = True
    return state.issue_tokens(client, state.new_sign_in(client))


def _refresh_grant(state, client, body):
    record = state.refresh.get(_required(body, "refreshToken"))
    if record is None or record.client_id != client.client_id:
        raise OidcError("InvalidGrant", "Invalid refresh token provided")
    if record.used:
        raise OidcError("InvalidGrant", "Refresh token has already been used")
    if record.sign_in.revoked:
        raise OidcError("InvalidGrant", "Refresh token has been revoked")
    if state.now() >= record.sign_in.ends_at:
        raise OidcError("InvalidGrant", "Refresh token has expired")
    rotate = state.settings.rotate
    record.used = rotate
    state.stats["refreshes"] += 1
    return state.issue_tokens(client, record.sign_in, keep_refresh=None if rotate else record)


def authorize(state, req):
    """GET /authorize, the browser leg of PKCE (2.2). Refusals are JSON errors, never a redirect to an
    unchecked redirect_uri (RFC 6749 4.1.2.1)."""
    q = req.query
    if q.get("response_type") != "code":
        raise OidcError("InvalidRequest", "response_type must be code")
    with state.lock:
        client = state.clients.get(q.get("client_id") or "")
        if client is None or state.now() >= client.expires_at:
            raise OidcError("InvalidClient", "Invalid client")
        if "authorization_code" not in client.grant_types:
            raise OidcError("UnauthorizedClient", "Client is not authorized to use the authorization_code grant")
        redirect_uri = q.get("redirect_uri") or ""
        if not _loopback_callback(redirect_uri):
            raise OidcError("InvalidRedirectUri", "Invalid redirect URI provided")
        if q.get("code_challenge_method") != "S256":
            raise OidcError("InvalidRequest", "code_challenge_method must be S256")
        if not CHALLENGE_RE.match(q.get("code_challenge") or ""):
            raise OidcError("InvalidRequest", "Invalid code_challenge")
        scopes = [s for s in re.split(r"[ ,]+", q.get("scopes") or q.get("scope") or "") if s]
        if any(scope not in client.scopes for scope in scopes):
            raise OidcError("InvalidScope", "Invalid scope requested")
        pending = AuthRequest(next(state.request_ids), client.client_id, redirect_uri, q.get("state"),
                              q["code_challenge"], scopes)
        state.stats["authorizations"] += 1
        if state.settings.auto_approve:
            return Reply(302, "", {"Location": approve_request(state, pending)}, "text/plain")
        state.auth_requests[pending.request_id] = pending
    return _page("Sign-in requested", f"Request {pending.request_id} waits for approval: "
                 "POST /_fake/authorize/approve to get the redirect URL.")


def approve_request(state, pending):
    """Issues a code for an /authorize request; returns the callback URL the browser goes to. Caller holds the lock."""
    record = AuthCode(_unique(state.codes, wire.auth_code), pending.client_id, pending.redirect_uri,
                      pending.challenge, state.now() + state.settings.code_seconds)
    state.codes[record.code] = record
    params = {"code": record.code}
    if state.settings.wrong_state:
        params["state"] = "not-" + (pending.state or "the-state-sent")
    elif pending.state is not None:
        params["state"] = pending.state
    return _with_query(pending.redirect_uri, params)


def deny_request(pending):
    params = {"error": "access_denied", "error_description": "The user denied the request"}
    if pending.state is not None:
        params["state"] = pending.state
    return _with_query(pending.redirect_uri, params)


def device_page(state, req):
    """GET /device, where verificationUriComplete points. With auto_approve, opening it approves the code (the
    sandbox points $BROWSER at a command that opens it); otherwise it only shows the code."""
    code = (req.query.get("user_code") or "").strip().upper()
    with state.lock:
        device = state.user_codes.get(code)
        if device is None:
            return _page("Device sign-in", "Unknown or missing user code.")
        if device.status == "pending" and state.now() < device.expires_at and state.settings.auto_approve:
            device.status = "approved"
        status = device.status
    if status == "approved":
        return _page("Device approved", f"Code {code} is approved. You can close this window.")
    return _page("Device sign-in", f"Code {code}: {status}. Approve it with POST /_fake/approve.")


def _authenticate(state, body):
    client_id, secret = _required(body, "clientId"), _required(body, "clientSecret")
    client = state.clients.get(client_id)
    if client is None or client.secret != secret:
        raise OidcError("InvalidClient", "Invalid client")
    if state.now() >= client.expires_at:
        raise OidcError("InvalidClient", "Client registration has expired")
    return client


def _required(body, key):
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise OidcError("InvalidRequest", f"{key} is required")
    return value


def _strings(body, key):
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OidcError("InvalidRequest", f"{key} must be a list of strings")
    return value


def _loopback_callback(uri):
    """http://127.0.0.1[:any port]/oauth/callback: the registered URI plus the listener's port (RFC 8252 7.3)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        return False
    return (parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.path == "/oauth/callback"
            and not parts.query and not parts.fragment and "@" not in parts.netloc)


def _with_query(uri, params):
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def _unique(table, make):
    while True:
        value = make()
        if value not in table:
            return value


def _page(title, text):
    body = (f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>")
    return Reply(200, body, content_type="text/html; charset=utf-8")
