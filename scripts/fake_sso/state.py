"""The fake's model: settings, the assignment directory, clients, device codes, sign-ins and tokens.

Everything lives in one State guarded by one lock. Handlers take the lock for the whole decision (check and
update together, so two racing CreateToken calls cannot both exchange one device code) and release it before
slow work (moto, injected delays).
"""

import dataclasses
import itertools
import threading
import time
from dataclasses import dataclass

from . import wire


@dataclass
class Settings:
    """What POST /_fake/config may change at runtime. Field types drive its validation."""

    token_seconds: int = 3600  # access token life (expiresIn)
    legacy_token_seconds: int = 0  # life of tokens that come without a refresh token; 0 = token_seconds (AWS: 28800)
    refresh_token_seconds: int = 28800  # the Identity Center session: refresh works this long after the sign-in
    client_seconds: int = 90 * 86400  # registration life (clientSecretExpiresAt)
    code_seconds: int = 300  # authorization code life
    device_interval: int = 1  # the interval StartDeviceAuthorization announces
    device_expires: int = 600  # device code life (expiresIn)
    approve_after_polls: int = 0  # >0: a device code approves itself after this many pending polls
    auto_approve: bool = False  # /device and /authorize approve at once (a browser "clicking Allow")
    rotate: bool = True  # each refresh returns a new refresh token and burns the old one
    wrong_state: bool = False  # /authorize redirects with a state that differs from the one sent
    rate: float = 0.0  # portal calls per second per access token; 0 = unlimited
    burst: int = 20  # token bucket size

    def as_dict(self):
        return dataclasses.asdict(self)

    def access_seconds(self, refreshable):
        if refreshable or self.legacy_token_seconds <= 0:
            return self.token_seconds
        return self.legacy_token_seconds


@dataclass
class Account:
    account_id: str
    name: str
    email: str
    roles: dict  # role name -> session duration in seconds, in assignment order


@dataclass
class Client:
    client_id: str
    secret: str
    name: str
    scopes: list
    grant_types: list  # empty: registered without grantTypes, as the AWS CLI's device flow does
    redirect_uris: list
    issued_at: int
    expires_at: int

    def refreshable(self):
        """Refresh tokens only for sso:account:access clients that may use the refresh grant (research 2.5)."""
        return "sso:account:access" in self.scopes and (not self.grant_types or "refresh_token" in self.grant_types)


@dataclass
class Device:
    device_code: str
    user_code: str
    client_id: str
    start_url: str
    expires_at: float
    interval: int
    status: str = "pending"  # pending | approved | denied | exchanged
    last_poll: float = None
    polls: int = 0


@dataclass
class AuthRequest:
    """A GET /authorize that passed the checks and waits for the user's (or the test's) approval."""

    request_id: int
    client_id: str
    redirect_uri: str
    state: str
    challenge: str
    scopes: list


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires_at: float
    used: bool = False


@dataclass
class SignIn:
    """One sign-in: every access and refresh token it led to dies with it (Logout, /_fake/revoke-all)."""

    client_id: str
    ends_at: float  # refresh stops working then (the Identity Center session length)
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    sign_in: SignIn
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    sign_in: SignIn
    client_id: str
    used: bool = False


class Bucket:
    """A token bucket. Uses the monotonic clock so /_fake/advance does not refill it."""

    def __init__(self, burst):
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self, rate, burst):
        now = time.monotonic()
        self.tokens = min(float(burst), self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def new_stats():
    return {
        "registrations": 0,
        "device_authorizations": 0,
        "authorizations": 0,
        "tokens_issued": 0,
        "refreshes": 0,
        "role_credentials": 0,
        "throttled": 0,
        "logouts": 0,
        "faults_injected": 0,
        "max_result_seen": None,
        "requests_by_path": {},
    }


class State:
    def __init__(self, settings, accounts, start_urls, user_name, base_url, moto_url=None):
        self.lock = threading.Lock()
        self.settings = settings
        self.accounts = {a.account_id: a for a in accounts}  # insertion order = listing order
        self.start_urls = list(start_urls)
        self.user_name = user_name
        self.base_url = base_url
        self.moto_url = moto_url
        self.clients = {}
        self.devices = {}  # device code -> Device
        self.user_codes = {}  # user code -> Device
        self.auth_requests = {}  # request id -> AuthRequest, oldest first
        self.request_ids = itertools.count(1)
        self.codes = {}  # authorization code -> AuthCode
        self.sign_ins = []
        self.access = {}  # access token -> AccessToken
        self.refresh = {}  # refresh token -> RefreshToken
        self.buckets = {}  # access token -> Bucket
        self.faults = []  # see server.Fault
        self.stats = new_stats()
        self.clock_offset = 0.0  # moved by /_fake/advance so tests can expire things without sleeping

    def now(self):
        return time.time() + self.clock_offset

    def start_url_ok(self, url):
        return "*" in self.start_urls or url in self.start_urls

    def count_request(self, path):
        paths = self.stats["requests_by_path"]
        paths[path] = paths.get(path, 0) + 1

    def new_sign_in(self, client):
        sign_in = SignIn(client.client_id, self.now() + self.settings.refresh_token_seconds)
        self.sign_ins.append(sign_in)
        return sign_in

    def issue_tokens(self, client, sign_in, keep_refresh=None):
        """CreateToken's answer. keep_refresh: the refresh token to hand back again when rotation is off."""
        refreshable = client.refreshable()
        seconds = self.settings.access_seconds(refreshable)
        access = AccessToken(_unique(self.access, "access"), sign_in, self.now() + seconds)
        self.access[access.token] = access
        self.stats["tokens_issued"] += 1
        body = {"accessToken": access.token, "tokenType": "Bearer", "expiresIn": seconds}
        if refreshable:
            refresh = keep_refresh or RefreshToken(_unique(self.refresh, "refresh"), sign_in, client.client_id)
            self.refresh[refresh.token] = refresh
            body["refreshToken"] = refresh.token
        return body

    def valid_access(self, token):
        """The AccessToken for a bearer token, or None if unknown, expired or revoked."""
        record = self.access.get(token) if token else None
        if record is None or record.sign_in.revoked or self.now() >= record.expires_at:
            return None
        return record

    def take_throttle(self, token):
        """False when this access token's bucket is empty (counted as a 429)."""
        rate, burst = self.settings.rate, self.settings.burst
        if rate <= 0:
            return True
        bucket = self.buckets.setdefault(token, Bucket(burst))
        if bucket.take(rate, burst):
            return True
        self.stats["throttled"] += 1
        return False

    def revoke_all(self):
        for sign_in in self.sign_ins:
            sign_in.revoked = True
        return len(self.sign_ins)


def _unique(table, kind):
    make = wire.access_token if kind == "access" else wire.refresh_token
    while True:
        value = make()
        if value not in table:
            return value


def field_types():
    """Settings field name -> Python type, for validating /_fake/config."""
    return {f.name: f.type for f in dataclasses.fields(Settings)}

