"""What goes on the wire: the two services' error envelopes, replies, and random identifiers.

The envelopes follow docs/research (identity-center.md, 1.3 and 1.5): the AWS SDKs take the error code from
the x-amzn-ErrorType header (OIDC) or from __type (portal), so both must be exact or the SDK mis-types the error.
"""

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field

OIDC_NAMESPACE = "http://internal.amazon.com/coral/com.amazonaws.sso.oidc/"
PORTAL_NAMESPACE = "com.amazonaws.switchboard.portal"


@dataclass
class Reply:
    """One HTTP answer. A dict or list body is sent as JSON, a str as text, None as an empty body."""

    status: int = 200
    body: object = None
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"


class ServiceError(Exception):
    """An error answer; each subclass renders its service's envelope."""

    def __init__(self, status, name, message):
        super().__init__(message)
        self.status, self.name, self.message = status, name, message

    def reply(self):
        raise NotImplementedError


class OidcError(ServiceError):
    """SSO OIDC: {"error": snake_case, "error_description"} plus the coral x-amzn-ErrorType header.

    `name` is the short name ("AuthorizationPending"); InvalidClient is 401 and InternalServer 500, the rest 400.
    """

    STATUS = {"InvalidClient": 401, "InternalServer": 500}

    def __init__(self, name, description):
        super().__init__(self.STATUS.get(name, 400), name + "Exception", description)
        self.short = name

    def reply(self):
        body = {"error": oidc_code(self.short), "error_description": self.message}
        return Reply(self.status, body, {"x-amzn-ErrorType": f"{self.name}:{OIDC_NAMESPACE}"})


class PortalError(ServiceError):
    """SSO portal: {"message", "__type": "com.amazonaws.switchboard.portal#XxxException"}."""

    def reply(self):
        body = {"message": self.message, "__type": f"{PORTAL_NAMESPACE}#{self.name}"}
        return Reply(self.status, body, {"x-amzn-ErrorType": self.name})


class ControlError(ServiceError):
    """A refused /_fake/ call. Same body shape as OIDC errors so one helper reads both, but no coral header."""

    def __init__(self, status, code, description):
        super().__init__(status, code, description)

    def reply(self):
        return Reply(self.status, {"error": self.name, "error_description": self.message})


def oidc_code(short_name):
    """AuthorizationPending -> authorization_pending; InternalServer is the OAuth server_error."""
    if short_name == "InternalServer":
        return "server_error"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", short_name).lower()


# Identifiers. Only their shape matters to clients; the prefixes make a leaked fake token easy to recognise.
USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels: no words, no 0/O or 1/I confusion
KEY_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def client_id():
    return secrets.token_urlsafe(24)


def client_secret():
    return "fakesecret" + secrets.token_urlsafe(96)


def device_code():
    return secrets.token_urlsafe(48)


def user_code():
    pick = lambda: "".join(secrets.choice(USER_CODE_LETTERS) for _ in range(4))  # noqa: E731
    return f"{pick()}-{pick()}"


def access_token():
    return "aoafake" + secrets.token_urlsafe(96)


def refresh_token():
    return "aorfake" + secrets.token_urlsafe(96)


def auth_code():
    return secrets.token_urlsafe(32)


def role_keys():
    """ASIA... keys in the shape STS gives out; no service checks them unless --moto is used instead."""
    key_id = "ASIA" + "".join(secrets.choice(KEY_LETTERS) for _ in range(16))
    secret = base64.b64encode(secrets.token_bytes(30)).decode()
    session = base64.b64encode(b"fake-sso-session:" + secrets.token_bytes(180)).decode()
    return key_id, secret, session


def s256(verifier):
    """PKCE S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def encode_page_token(listing, offset):
    """An opaque nextToken: clients must not parse it, so a random salt keeps it from looking like an offset."""
    raw = json.dumps({"l": listing, "o": offset, "s": secrets.token_hex(4)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_page_token(token, listing):
    """The offset a nextToken stands for, or None if it is not one of ours for this listing."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["l"] == listing and isinstance(data["o"], int) and data["o"] >= 0:
            return data["o"]
    except (ValueError, KeyError, TypeError):
        pass
    return None


@dataclass
class Request:
    method: str
    path: str
    query: dict  # name -> first value
    headers: object  # http.client.HTTPMessage: case-insensitive get()
    body: bytes

    def json(self):
        """The body as a JSON object. A bad body is answered 400 invalid_request on every endpoint."""
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise OidcError("InvalidRequest", "The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise OidcError("InvalidRequest", "The request body must be a JSON object")
        return data
