#!/usr/bin/env python3
"""Self-test of scripts/fake_sso.py: starts the fake (and a moto server) on free ports and checks every modelled
behaviour over HTTP, then once more through botocore's own sso-oidc and sso clients (which type errors the way
the AWS SDKs do).

    .venv/bin/python scripts/test_fake_sso.py [-k NAME]

Exit status 0 when every check passes; on a failure, prints the traceback and the fakes' stderr.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from urllib.parse import parse_qs, urlencode, urlsplit

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE = os.path.join(REPO, "scripts", "fake_sso.py")
MOTO_SERVER = os.path.join(REPO, ".venv", "bin", "moto_server")
CORAL = ":http://internal.amazon.com/coral/com.amazonaws.sso.oidc/"
PORTAL_TYPE = "com.amazonaws.switchboard.portal#"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CALLBACK = "http://127.0.0.1/oauth/callback"
START_URL = "https://sandbox.awsapps.com/start"
RESULT_SIZE = "ResultSize parameter must be within the valid limits of: 1-100"


# Plumbing ------------------------------------------------------------------------------------------------

class Resp:
    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw

    @property
    def json(self):
        return json.loads(self.raw)

    def __repr__(self):
        return f"<{self.status} {self.raw[:300]!r}>"


class Fake:
    """One fake_sso process on a free port."""

    def __init__(self, *args):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--quiet", *args],
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline() if ready else ""
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))", line.strip())
        assert match, f"first stdout line was {line!r}"
        self.url, self.port = match.group(1), int(match.group(2))

    def call(self, method, path, body=None, headers=None, raw=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            resp = Resp(response.status, response.headers, response.read())
        finally:
            conn.close()
        assert resp.headers.get("x-amzn-RequestId"), f"{method} {path}: no x-amzn-RequestId"
        return resp

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body if body is not None else {}, **kw)

    def get(self, path, token=None, **kw):
        headers = {"x-amz-sso_bearer_token": token} if token else {}
        return self.call("GET", path, headers=headers, **kw)

    def control(self, path, body=None):
        resp = self.call("GET", path) if body is None else self.post(path, body)
        assert resp.status == 200, (path, resp)
        return resp.json

    def stats(self):
        return self.control("/_fake/stats")

    def log(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def oidc_error(resp, status, error, exception, description=None):
    expect(resp.status == status, f"want {status} {error}, got {resp}")
    body = resp.json
    expect(body["error"] == error, f"want error {error}, got {body}")
    expect(isinstance(body.get("error_description"), str), f"no error_description: {body}")
    if description is not None:
        expect(body["error_description"] == description, f"want {description!r}, got {body}")
    header = resp.headers.get("x-amzn-ErrorType")
    expect(header == exception + CORAL, f"x-amzn-ErrorType {header!r}")


def portal_error(resp, status, name, message):
    expect(resp.status == status, f"want {status} {name}, got {resp}")
    expect(resp.json == {"message": message, "__type": PORTAL_TYPE + name}, f"body {resp.json}")
    expect(resp.headers.get("x-amzn-ErrorType") == name, f"x-amzn-ErrorType {resp.headers.get('x-amzn-ErrorType')}")


def ok(resp):
    expect(resp.status == 200, f"want 200, got {resp}")
    return resp.json if resp.raw else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Flows ---------------------------------------------------------------------------------------------------

def register(fake, **extra):
    return ok(fake.post("/client/register", {"clientName": "test-client", "clientType": "public", **extra}))


def creds(client):
    return {"clientId": client["clientId"], "clientSecret": client["clientSecret"]}


def start_device(fake, client):
    return ok(fake.post("/device_authorization", {**creds(client), "startUrl": START_URL}))


def poll(fake, client, device):
    return fake.post("/token", {**creds(client), "grantType": DEVICE_GRANT, "deviceCode": device["deviceCode"]})


def device_sign_in(fake, client=None):
    """A full device sign-in, approved through the control endpoint; returns (client, tokens)."""
    client = client or register(fake, scopes=["sso:account:access"])
    device = start_device(fake, client)
    fake.control("/_fake/approve", {"userCode": device["userCode"]})
    return client, ok(poll(fake, client, device))


def pkce_client(fake):
    return register(fake, grantTypes=["authorization_code", "refresh_token"], redirectUris=[CALLBACK],
                    scopes=["sso:account:access"], issuerUrl=START_URL)


def pkce_pair():
    verifier = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
                       for _ in range(64))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_path(client, redirect_uri, state, challenge, method="S256", scopes="sso:account:access"):
    return "/authorize?" + urlencode({
        "response_type": "code", "client_id": client["clientId"], "redirect_uri": redirect_uri, "state": state,
        "code_challenge_method": method, "scopes": scopes, "code_challenge": challenge})


def code_token(fake, client, code, redirect_uri, verifier):
    return fake.post("/token", {**creds(client), "grantType": "authorization_code", "code": code,
                                "redirectUri": redirect_uri, "codeVerifier": verifier})


def refresh(fake, client, refresh_token):
    return fake.post("/token", {**creds(client), "grantType": "refresh_token", "refreshToken": refresh_token})


def callback_params(url, redirect_uri):
    expect(url.startswith(redirect_uri + "?"), f"redirect {url} is not to {redirect_uri}")
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def clock(fake):
    """The fake's idea of now (tests move its clock with /_fake/advance)."""
    return time.time() + fake.control("/_fake/advance", {"seconds": 0})["clockOffset"]


# Tests: SSO OIDC -----------------------------------------------------------------------------------------

def test_startup(a, b, **_):
    stats = a.stats()
    for key in ("registrations", "device_authorizations", "tokens_issued", "refreshes", "role_credentials",
                "throttled", "requests_by_path", "logouts", "max_result_seen"):
        expect(key in stats, f"stats lack {key}")
    with open(b.port_file) as handle:
        expect(int(handle.read()) == b.port, "port file")
    settings = a.control("/_fake/config")
    expect(settings["token_seconds"] == 3600 and settings["device_interval"] == 1 and settings["device_expires"] == 600,
           f"defaults {settings}")


def test_register_client(a, **_):
    before = a.stats()["registrations"]
    client = register(a, scopes=["sso:account:access"])
    for key in ("clientId", "clientSecret", "clientIdIssuedAt", "clientSecretExpiresAt"):
        expect(key in client, f"no {key}")
    expect(client["clientSecretExpiresAt"] - client["clientIdIssuedAt"] == 90 * 86400, "90-day registration")
    expect(client["authorizationEndpoint"] == a.url + "/authorize", "authorizationEndpoint")
    expect(client["tokenEndpoint"] == a.url + "/token", "tokenEndpoint")
    register(a, clientName="x" * 128)
    for name in ("", "x" * 129, "naïve", 42):
        oidc_error(a.post("/client/register", {"clientName": name, "clientType": "public"}), 400,
                   "invalid_client_metadata", "InvalidClientMetadataException", "Invalid client name provided")
    oidc_error(a.post("/client/register", {"clientName": "n", "clientType": "confidential"}), 400,
               "invalid_client_metadata", "InvalidClientMetadataException")
    oidc_error(a.post("/client/register", {"clientName": "n"}), 400, "invalid_request", "InvalidRequestException")
    for uri in ("http://127.0.0.1:8080/oauth/callback", "http://[::1]/oauth/callback", "http://127.0.0.1/callback",
                "http://localhost/oauth/callback"):
        oidc_error(a.post("/client/register", {"clientName": "n", "clientType": "public", "redirectUris": [uri],
                                               "grantTypes": ["authorization_code"]}),
                   400, "invalid_redirect_uri", "InvalidRedirectUriException")
    oidc_error(a.post("/client/register", {"clientName": "n", "clientType": "public", "grantTypes": ["password"]}),
               400, "unsupported_grant_type", "UnsupportedGrantTypeException")
    oidc_error(a.post("/client/register", {"clientName": "n", "clientType": "public", "scopes": ["bad scope"]}),
               400, "invalid_scope", "InvalidScopeException")
    oidc_error(a.post("/client/register", raw=b"{not json"), 400, "invalid_request", "InvalidRequestException")
    oidc_error(a.post("/client/register", raw=b"[1, 2]"), 400, "invalid_request", "InvalidRequestException")
    expect(a.stats()["registrations"] == before + 2, "registrations counted")


def test_device_flow(a, **_):
    client = register(a)  # no scopes: the legacy device flow, no refresh token
    bad = {"clientId": client["clientId"], "clientSecret": "wrong", "startUrl": START_URL}
    oidc_error(a.post("/device_authorization", bad), 401, "invalid_client", "InvalidClientException")
    oidc_error(a.post("/device_authorization", {**bad, "clientId": "nope"}), 401, "invalid_client",
               "InvalidClientException")
    oidc_error(a.post("/device_authorization", {**creds(client), "startUrl": "https://other.awsapps.com/start"}),
               400, "invalid_request", "InvalidRequestException")
    oidc_error(a.post("/device_authorization", creds(client)), 400, "invalid_request", "InvalidRequestException")

    before = a.stats()["device_authorizations"]
    device = start_device(a, client)
    expect(a.stats()["device_authorizations"] == before + 1, "device authorizations counted")
    expect(re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", device["userCode"]), f"userCode {device['userCode']}")
    expect(device["verificationUri"] == a.url + "/device", "verificationUri")
    expect(device["verificationUriComplete"] == f"{a.url}/device?user_code={device['userCode']}", "complete URI")
    expect(device["expiresIn"] == 600 and device["interval"] == 1, "expiresIn 600, interval 1")

    # Pending, then polled too fast: slow_down, and the code's interval grows by 5 s.
    pending = poll(a, client, device)
    oidc_error(pending, 400, "authorization_pending", "AuthorizationPendingException")
    expect(pending.json == {"error": "authorization_pending", "error_description": "Authorization is still pending"},
           "the production body")
    oidc_error(poll(a, client, device), 400, "slow_down", "SlowDownException")
    time.sleep(1.2)
    oidc_error(poll(a, client, device), 400, "slow_down", "SlowDownException")

    # Without --auto-approve the verification page shows the code and approves nothing.
    device = start_device(a, client)
    page = a.get(urlsplit(device["verificationUriComplete"])._replace(scheme="", netloc="").geturl())
    expect(page.status == 200 and b"<html" in page.raw and device["userCode"].encode() in page.raw, f"page {page}")
    oidc_error(poll(a, client, device), 400, "authorization_pending", "AuthorizationPendingException")
    a.control("/_fake/approve", {"userCode": device["userCode"]})
    time.sleep(1.05)
    tokens = ok(poll(a, client, device))
    expect(tokens["tokenType"] == "Bearer" and tokens["expiresIn"] == 3600 and tokens["accessToken"], f"{tokens}")
    expect("refreshToken" not in tokens, "no refresh token without sso:account:access")
    time.sleep(1.05)
    oidc_error(poll(a, client, device), 400, "invalid_grant", "InvalidGrantException")  # exchanged once
    oidc_error(a.post("/token", {"clientId": client["clientId"], "clientSecret": "wrong", "grantType": DEVICE_GRANT,
                                 "deviceCode": device["deviceCode"]}), 401, "invalid_client", "InvalidClientException")
    oidc_error(a.post("/token", {**creds(client), "grantType": "password"}), 400, "unsupported_grant_type",
               "UnsupportedGrantTypeException")
    oidc_error(a.post("/token", {**creds(client), "grantType": DEVICE_GRANT, "deviceCode": "nope"}), 400,
               "invalid_grant", "InvalidGrantException")

    denied = start_device(a, client)
    a.control("/_fake/deny", {"userCode": denied["userCode"]})
    oidc_error(poll(a, client, denied), 400, "access_denied", "AccessDeniedException")

    expired = start_device(a, client)
    a.control("/_fake/advance", {"seconds": 601})
    oidc_error(poll(a, client, expired), 400, "expired_token", "ExpiredTokenException")
    expect(a.post("/_fake/approve", {"userCode": "ZZZZ-ZZZZ"}).status == 404, "approving an unknown code")

    # A device client with sso:account:access gets a refresh token.
    _, tokens = device_sign_in(a)
    expect(tokens.get("refreshToken"), "refresh token for a scoped device client")

    # A PKCE-only registration may not start the device flow.
    oidc_error(a.post("/device_authorization", {**creds(pkce_client(a)), "startUrl": START_URL}), 400,
               "unauthorized_client", "UnauthorizedClientException")


def test_device_knobs(a, **_):
    a.control("/_fake/config", {"approve_after_polls": 2, "device_interval": 0, "legacy_token_seconds": 28800})
    try:
        client = register(a)
        device = start_device(a, client)
        expect(device["interval"] == 0, "interval from /_fake/config")
        for _ in range(2):
            oidc_error(poll(a, client, device), 400, "authorization_pending", "AuthorizationPendingException")
        tokens = ok(poll(a, client, device))
        expect(tokens["expiresIn"] == 28800, "legacy tokens live legacy_token_seconds")
        a.control("/_fake/config", {"client_seconds": 10})
        client = register(a)
        expect(client["clientSecretExpiresAt"] - client["clientIdIssuedAt"] == 10, "client_seconds")
        a.control("/_fake/advance", {"seconds": 11})
        oidc_error(a.post("/device_authorization", {**creds(client), "startUrl": START_URL}), 401, "invalid_client",
                   "InvalidClientException")  # an expired registration
    finally:
        a.control("/_fake/config", {"approve_after_polls": 0, "device_interval": 1, "legacy_token_seconds": 0,
                                    "client_seconds": 90 * 86400})


def test_config_file(**_):
    config = {"startUrls": ["https://d-1234567890.awsapps.com/start"], "userName": "ana@example.com",
              "accounts": [{"accountId": "123456789012", "accountName": "cfg-one", "emailAddress": "one@example.com",
                            "roles": [{"roleName": "Admin", "durationSeconds": 43200}, "Viewer"]}]}
    path = os.path.join(tempfile.mkdtemp(prefix="fake-sso-"), "config.json")
    with open(path, "w") as handle:
        json.dump(config, handle)
    fake = Fake("--config", path, "--accounts", "2", "--roles-per-account", "1")
    try:
        client = register(fake, scopes=["sso:account:access"])
        oidc_error(fake.post("/device_authorization", {**creds(client), "startUrl": START_URL}), 400,
                   "invalid_request", "InvalidRequestException")
        device = ok(fake.post("/device_authorization", {**creds(client), "startUrl": config["startUrls"][0]}))
        fake.control("/_fake/approve", {"userCode": device["userCode"]})
        token = ok(poll(fake, client, device))["accessToken"]
        accounts = ok(fake.get("/assignment/accounts", token))["accountList"]
        expect([a["accountId"] for a in accounts] == ["123456789012", "300000000001", "300000000002"], f"{accounts}")
        roles = ok(fake.get("/assignment/roles?account_id=123456789012", token))["roleList"]
        expect([r["roleName"] for r in roles] == ["Admin", "Viewer"], f"{roles}")
        role = ok(fake.get("/federation/credentials?role_name=Admin&account_id=123456789012", token))["roleCredentials"]
        expect(abs(role["expiration"] - (time.time() + 43200) * 1000) < 10_000, "a 12 h role")
    finally:
        fake.stop()
    with open(path, "w") as handle:
        handle.write('{"accounts": [{"accountId": "12"}]}')
    bad = subprocess.run([sys.executable, FAKE, "--port", "0", "--config", path], capture_output=True, text=True,
                         timeout=15)
    expect(bad.returncode == 2 and "bad configuration" in bad.stderr, f"bad config: {bad.returncode} {bad.stderr}")


def test_pkce(a, **_):
    client = pkce_client(a)
    verifier, challenge = pkce_pair()
    redirect_uri = f"http://127.0.0.1:{free_port()}/oauth/callback"
    page = a.get(authorize_path(client, redirect_uri, "state-1", challenge))
    expect(page.status == 200 and b"<html" in page.raw, f"pending page {page}")
    expect(a.stats()["pending_authorizations"] == 1, "one pending /authorize")

    for uri in ("http://localhost:5000/oauth/callback", "http://[::1]:5000/oauth/callback",
                "http://127.0.0.1:5000/callback", "https://127.0.0.1:5000/oauth/callback"):
        oidc_error(a.get(authorize_path(client, uri, "s", challenge)), 400, "invalid_redirect_uri",
                   "InvalidRedirectUriException")
    oidc_error(a.get(authorize_path(client, redirect_uri, "s", verifier[:43], method="plain")), 400,
               "invalid_request", "InvalidRequestException")
    oidc_error(a.get(authorize_path({"clientId": "nope"}, redirect_uri, "s", challenge)), 401, "invalid_client",
               "InvalidClientException")
    oidc_error(a.get(authorize_path(register(a), redirect_uri, "s", challenge)), 400, "unauthorized_client",
               "UnauthorizedClientException")
    oidc_error(a.get(authorize_path(client, redirect_uri, "s", challenge, scopes="sso:other")), 400, "invalid_scope",
               "InvalidScopeException")

    approved = a.control("/_fake/authorize/approve", {})
    params = callback_params(approved["redirectUrl"], redirect_uri)
    expect(params["state"] == "state-1" and params["code"], f"callback {params}")
    oidc_error(code_token(a, client, params["code"], redirect_uri, pkce_pair()[0]), 400, "invalid_grant",
               "InvalidGrantException")
    oidc_error(code_token(a, client, params["code"], CALLBACK, verifier), 400, "invalid_grant",
               "InvalidGrantException")
    tokens = ok(code_token(a, client, params["code"], redirect_uri, verifier))
    expect(tokens["expiresIn"] == 3600 and tokens["refreshToken"], f"tokens {tokens}")
    oidc_error(code_token(a, client, params["code"], redirect_uri, verifier), 400, "invalid_grant",
               "InvalidGrantException")  # single use

    # The wrong-state switch, for testing a client's state check.
    a.control("/_fake/config", {"wrong_state": True})
    a.get(authorize_path(client, redirect_uri, "state-2", challenge))
    params = callback_params(a.control("/_fake/authorize/approve", {})["redirectUrl"], redirect_uri)
    expect(params["state"] != "state-2", "wrong state")
    a.control("/_fake/config", {"wrong_state": False})

    a.get(authorize_path(client, redirect_uri, "state-3", challenge))
    params = callback_params(a.control("/_fake/authorize/deny", {})["redirectUrl"], redirect_uri)
    expect(params == {"error": "access_denied", "error_description": params.get("error_description"),
                      "state": "state-3"}, f"denied {params}")
    expect(a.post("/_fake/authorize/approve", {}).status == 404, "nothing pending")


def test_auto_approve(b, **_):
    client = pkce_client(b)
    verifier, challenge = pkce_pair()
    redirect_uri = f"http://127.0.0.1:{free_port()}/oauth/callback"
    resp = b.get(authorize_path(client, redirect_uri, "st", challenge))
    expect(resp.status == 302, f"302, got {resp}")
    params = callback_params(resp.headers["Location"], redirect_uri)
    expect(params["state"] == "st", "state echoed")
    ok(code_token(b, client, params["code"], redirect_uri, verifier))

    device_client = register(b)
    device = start_device(b, device_client)
    page = b.get(urlsplit(device["verificationUriComplete"])._replace(scheme="", netloc="").geturl())
    expect(page.status == 200 and b"approved" in page.raw, f"approval page {page}")
    ok(poll(b, device_client, device))


def test_refresh(a, **_):
    grants = {"scopes": ["sso:account:access"], "grantTypes": [DEVICE_GRANT, "refresh_token"]}
    client, other = register(a, **grants), register(a, **grants)
    _, first = device_sign_in(a, client)
    before = a.stats()["refreshes"]
    second = ok(refresh(a, client, first["refreshToken"]))
    expect(second["accessToken"] != first["accessToken"], "new access token")
    expect(second["refreshToken"] != first["refreshToken"], "rotated refresh token")
    expect(a.stats()["refreshes"] == before + 1, "refreshes counted")
    oidc_error(refresh(a, client, first["refreshToken"]), 400, "invalid_grant", "InvalidGrantException")
    oidc_error(refresh(a, other, second["refreshToken"]), 400, "invalid_grant", "InvalidGrantException")
    oidc_error(a.post("/token", {"clientId": client["clientId"], "clientSecret": "x", "grantType": "refresh_token",
                                 "refreshToken": second["refreshToken"]}), 401, "invalid_client",
               "InvalidClientException")
    third = ok(refresh(a, client, second["refreshToken"]))

    a.control("/_fake/config", {"rotate": False})
    fourth = ok(refresh(a, client, third["refreshToken"]))
    expect(fourth["refreshToken"] == third["refreshToken"], "no rotation: the same refresh token")
    ok(refresh(a, client, third["refreshToken"]))
    a.control("/_fake/config", {"rotate": True})

    # Logout ends the sign-in: every access token of it and its refresh chain.
    before = a.stats()["logouts"]
    resp = a.post("/logout", None, headers={"x-amz-sso_bearer_token": fourth["accessToken"]}, raw=b"")
    expect(resp.status == 200 and resp.raw == b"", f"logout {resp}")
    expect(a.stats()["logouts"] == before + 1, "logouts counted")
    for token in (first["accessToken"], fourth["accessToken"]):
        portal_error(a.get("/assignment/accounts", token), 401, "UnauthorizedException",
                     "Session token not found or invalid")
    oidc_error(refresh(a, client, third["refreshToken"]), 400, "invalid_grant", "InvalidGrantException")

    # The Identity Center session ends: refresh stops after refresh_token_seconds.
    a.control("/_fake/config", {"refresh_token_seconds": 100})
    _, tokens = device_sign_in(a, client)
    a.control("/_fake/config", {"refresh_token_seconds": 28800})
    a.control("/_fake/advance", {"seconds": 101})
    oidc_error(refresh(a, client, tokens["refreshToken"]), 400, "invalid_grant", "InvalidGrantException")

    # /_fake/revoke-all: every token issued so far dies.
    _, one = device_sign_in(a, client)
    _, two = device_sign_in(a)
    a.control("/_fake/revoke-all", {})
    for tokens in (one, two):
        portal_error(a.get("/assignment/accounts", tokens["accessToken"]), 401, "UnauthorizedException",
                     "Session token not found or invalid")
    oidc_error(refresh(a, client, one["refreshToken"]), 400, "invalid_grant", "InvalidGrantException")


def test_token_expiry(a, **_):
    a.control("/_fake/config", {"token_seconds": 5})
    _, tokens = device_sign_in(a)
    a.control("/_fake/config", {"token_seconds": 3600})
    expect(tokens["expiresIn"] == 5, "expiresIn from /_fake/config")
    ok(a.get("/assignment/accounts", tokens["accessToken"]))
    a.control("/_fake/advance", {"seconds": 6})
    portal_error(a.get("/assignment/accounts", tokens["accessToken"]), 401, "UnauthorizedException",
                 "Session token not found or invalid")


# Tests: SSO portal ---------------------------------------------------------------------------------------

def test_portal(a, **_):
    _, tokens = device_sign_in(a)
    token = tokens["accessToken"]
    for bad in (None, "nope"):
        portal_error(a.get("/assignment/accounts", bad), 401, "UnauthorizedException",
                     "Session token not found or invalid")
    accounts = ok(a.get("/assignment/accounts", token))
    expect(accounts == {"accountList": [
        {"accountId": "111111111111", "accountName": "sandbox-payments", "emailAddress": "aws+payments@example.com"},
        {"accountId": "222222222222", "accountName": "sandbox-data", "emailAddress": "aws+data@example.com"}]},
        f"default accounts {accounts}")
    roles = ok(a.get("/assignment/roles?account_id=111111111111", token))
    expect(roles == {"roleList": [{"roleName": "AdministratorAccess", "accountId": "111111111111"},
                                  {"roleName": "ReadOnly", "accountId": "111111111111"}]}, f"roles {roles}")
    portal_error(a.get("/assignment/roles", token), 400, "InvalidRequestException", "account_id is required")

    before = a.stats()["role_credentials"]
    body = ok(a.get("/federation/credentials?role_name=ReadOnly&account_id=222222222222", token))
    role = body["roleCredentials"]
    expect(set(role) == {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}, f"{role}")
    expect(re.fullmatch(r"ASIA[A-Z2-7]{16}", role["accessKeyId"]), role["accessKeyId"])
    expect(abs(role["expiration"] - (clock(a) + 3600) * 1000) < 10_000, "expiration in epoch ms, 1 h")
    expect(a.stats()["role_credentials"] == before + 1, "role credentials counted")
    for query in ("role_name=AdministratorAccess&account_id=222222222222",
                  "role_name=ReadOnly&account_id=999999999999"):
        portal_error(a.get("/federation/credentials?" + query, token), 403, "ForbiddenException", "No access")
    portal_error(a.get("/federation/credentials?account_id=222222222222", token), 400, "InvalidRequestException",
                 "role_name is required")

    # Assignments change under a live session.
    a.control("/_fake/assign", {"accountId": "333333333333", "accountName": "sandbox-new", "roleName": "Deploy",
                                "durationSeconds": 7200})
    ids = [x["accountId"] for x in ok(a.get("/assignment/accounts", token))["accountList"]]
    expect(ids == ["111111111111", "222222222222", "333333333333"], f"assigned account listed: {ids}")
    role = ok(a.get("/federation/credentials?role_name=Deploy&account_id=333333333333", token))["roleCredentials"]
    expect(abs(role["expiration"] - (clock(a) + 7200) * 1000) < 10_000, "per-role duration")
    a.control("/_fake/unassign", {"accountId": "333333333333", "roleName": "Deploy"})
    ids = [x["accountId"] for x in ok(a.get("/assignment/accounts", token))["accountList"]]
    expect("333333333333" not in ids, "an account without roles leaves the list")
    portal_error(a.get("/federation/credentials?role_name=Deploy&account_id=333333333333", token), 403,
                 "ForbiddenException", "No access")
    a.control("/_fake/unassign", {"accountId": "111111111111", "roleName": "ReadOnly"})
    names = [x["roleName"] for x in ok(a.get("/assignment/roles?account_id=111111111111", token))["roleList"]]
    expect(names == ["AdministratorAccess"], f"roles after unassign {names}")
    portal_error(a.get("/federation/credentials?role_name=ReadOnly&account_id=111111111111", token), 403,
                 "ForbiddenException", "No access")
    a.control("/_fake/assign", {"accountId": "111111111111", "roleName": "ReadOnly"})
    expect(a.post("/_fake/unassign", {"accountId": "444444444444"}).status == 404, "unassigning nothing")


def test_paging(b, **_):
    _, tokens = device_sign_in(b)
    token = tokens["accessToken"]
    pages, next_token = [], None
    while True:
        path = "/assignment/accounts" + (f"?next_token={next_token}" if next_token else "")
        body = ok(b.get(path, token))
        pages.append(body["accountList"])
        next_token = body.get("nextToken")
        if not next_token:
            break
    expect([len(p) for p in pages] == [20, 20, 5], f"default page of 20: {[len(p) for p in pages]}")
    ids = [x["accountId"] for page in pages for x in page]
    expect(ids == [f"{300000000000 + i:012d}" for i in range(1, 46)], "every generated account once, in order")
    expect(len(ok(b.get("/assignment/accounts?max_result=100", token))["accountList"]) == 45, "max_result 100")
    for bad in ("101", "0", "1000", "abc"):
        portal_error(b.get(f"/assignment/accounts?max_result={bad}", token), 400, "InvalidRequestException",
                     RESULT_SIZE)
    expect(b.stats()["max_result_seen"] == 1000, "max_result_seen")
    portal_error(b.get("/assignment/accounts?next_token=garbage", token), 400, "InvalidRequestException",
                 "Invalid next token")

    first = ok(b.get("/assignment/roles?account_id=300000000001&max_result=2", token))
    expect([r["roleName"] for r in first["roleList"]] == ["AdministratorAccess", "ReadOnly"] and first["nextToken"],
           f"roles page 1 {first}")
    rest = ok(b.get(f"/assignment/roles?account_id=300000000001&max_result=2&next_token={first['nextToken']}", token))
    expect(rest == {"roleList": [{"roleName": "PowerUserAccess", "accountId": "300000000001"}]}, f"page 2 {rest}")
    portal_error(b.get(f"/assignment/roles?account_id=300000000002&next_token={first['nextToken']}", token), 400,
                 "InvalidRequestException", "Invalid next token")  # a token is bound to its listing
    portal_error(b.get("/assignment/roles?account_id=300000000001&max_result=101", token), 400,
                 "InvalidRequestException", RESULT_SIZE)


def test_throttle(b, **_):
    _, one = device_sign_in(b)
    _, two = device_sign_in(b)
    before = b.stats()["throttled"]
    b.control("/_fake/config", {"rate": 1, "burst": 3})
    try:
        for _ in range(3):
            ok(b.get("/assignment/accounts", one["accessToken"]))
        portal_error(b.get("/assignment/accounts", one["accessToken"]), 429, "TooManyRequestsException",
                     "HTTP 429 Unknown Code")
        portal_error(b.get("/federation/credentials?role_name=ReadOnly&account_id=300000000001", one["accessToken"]),
                     429, "TooManyRequestsException", "HTTP 429 Unknown Code")
        expect(b.stats()["throttled"] == before + 2, "429s counted")
        ok(b.get("/assignment/accounts", two["accessToken"]))  # a bucket per access token
        time.sleep(1.1)
        ok(b.get("/assignment/accounts", one["accessToken"]))  # refilled
    finally:
        b.control("/_fake/config", {"rate": 0})
    for _ in range(10):
        ok(b.get("/assignment/accounts", one["accessToken"]))


def test_faults(b, **_):
    before = b.stats()["faults_injected"]
    b.control("/_fake/fail", {"path": "/client/register"})
    resp = b.post("/client/register", {"clientName": "n", "clientType": "public"})
    expect(resp.status == 500 and resp.headers["Content-Type"].startswith("text/html") and b"<html" in resp.raw,
           f"default fault {resp}")
    register(b)  # count 1: the next call is normal

    b.control("/_fake/fail", {"path": "/token", "status": 503, "body": {"message": "busy"}, "count": 2})
    for _ in range(2):
        resp = b.post("/token", {})
        expect(resp.status == 503 and resp.json == {"message": "busy"}, f"503 {resp}")
    oidc_error(b.post("/token", {}), 400, "invalid_request", "InvalidRequestException")

    b.control("/_fake/fail", {"path": "/client/register", "delaySeconds": 1})
    started = time.monotonic()
    register(b)
    expect(time.monotonic() - started >= 1, "latency fault")

    b.control("/_fake/fail", {"path": "/client/register", "delaySeconds": 3, "status": 504})
    try:
        b.post("/client/register", {"clientName": "n", "clientType": "public"}, timeout=1)
        raise AssertionError("a hung request answered")
    except (socket.timeout, TimeoutError):
        pass
    register(b)  # the hang holds one thread only

    b.control("/_fake/fail", {"path": "/logout", "reset": True})
    try:
        b.post("/logout")
        raise AssertionError("a reset request answered")
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        pass

    b.control("/_fake/fail", {"path": "*", "status": 502, "body": "<html>Bad Gateway</html>", "count": -1})
    for path in ("/assignment/accounts", "/device"):
        expect(b.get(path).status == 502, "a fault on every path")
    b.control("/_fake/fail", {"clear": True})
    portal_error(b.get("/assignment/accounts"), 401, "UnauthorizedException", "Session token not found or invalid")
    expect(b.stats()["faults_injected"] == before + 8, f"faults counted {b.stats()['faults_injected'] - before}")
    expect(b.post("/_fake/fail", {"path": "/token", "count": 0}).status == 400, "a bad fault spec")


# Tests: robustness ---------------------------------------------------------------------------------------

def test_robustness(a, **_):
    resp = a.get("/nowhere")
    expect(resp.status == 404, f"unknown path {resp}")
    expect(a.call("PUT", "/token", {}).status == 404, "wrong method")
    oidc_error(a.post("/token", raw=b"\xff\xfe"), 400, "invalid_request", "InvalidRequestException")
    for body in ({"nope": 1}, {"rate": "fast"}, {"auto_approve": 1}, {"burst": -1}):
        expect(a.post("/_fake/config", body).status == 400, f"config {body}")
    expect(a.post("/_fake/config", raw=b"{").status == 400, "bad JSON on a control endpoint")

    # A body the server cannot frame ends that connection with a 400, not the server.
    with socket.create_connection(("127.0.0.1", a.port), timeout=5) as sock:
        sock.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n")
        expect(sock.recv(4096).startswith(b"HTTP/1.1 400"), "bad Content-Length")
    # The stdlib's own refusals carry a request id too.
    with socket.create_connection(("127.0.0.1", a.port), timeout=5) as sock:
        sock.sendall(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
        head = sock.recv(4096)
        expect(head.startswith(b"HTTP/1.1 501") and b"x-amzn-RequestId:" in head, f"unsupported method {head}")
    # Chunked request bodies are read.
    payload = json.dumps({"clientName": "chunky", "clientType": "public"}).encode()
    with socket.create_connection(("127.0.0.1", a.port), timeout=5) as sock:
        sock.sendall(b"POST /client/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/json\r\nConnection: close\r\n\r\n"
                     + f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        expect(answer.startswith(b"HTTP/1.1 200") and b"clientSecret" in answer, f"chunked {answer[:200]}")

    # Many clients at once; and racing exchanges of one device code: exactly one wins.
    _, tokens = device_sign_in(a)
    results = []
    workers = [threading.Thread(target=lambda: results.append(
        a.get("/assignment/accounts", tokens["accessToken"]).status)) for _ in range(40)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    expect(results == [200] * 40, f"concurrent calls {results}")
    a.control("/_fake/config", {"device_interval": 0})
    client = register(a)
    device = start_device(a, client)
    a.control("/_fake/config", {"device_interval": 1})
    a.control("/_fake/approve", {"userCode": device["userCode"]})
    results = []
    workers = [threading.Thread(target=lambda: results.append(poll(a, client, device).status)) for _ in range(20)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    expect(sorted(results) == [200] + [400] * 19, f"one exchange wins: {sorted(results)}")
    stats = a.stats()
    expect(stats["requests_by_path"].get("/token", 0) >= 20 and "/_fake/stats" not in stats["requests_by_path"],
           "requests_by_path counts service calls only")


# Tests: through botocore and against moto ----------------------------------------------------------------

def test_botocore(b, **_):
    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config

    session = botocore.session.get_session()
    config = Config(signature_version=UNSIGNED, retries={"max_attempts": 1})
    oidc = session.create_client("sso-oidc", "eu-west-1", endpoint_url=b.url, config=config)
    sso = session.create_client("sso", "eu-west-1", endpoint_url=b.url, config=config)
    client = oidc.register_client(clientName="botocore-client-test", clientType="public",
                                  scopes=["sso:account:access"])
    device = oidc.start_device_authorization(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                             startUrl=START_URL)
    token_args = {"clientId": client["clientId"], "clientSecret": client["clientSecret"], "grantType": DEVICE_GRANT,
                  "deviceCode": device["deviceCode"]}
    try:
        oidc.create_token(**token_args)
        raise AssertionError("token before approval")
    except oidc.exceptions.AuthorizationPendingException as err:
        expect(err.response["error"] == "authorization_pending", f"{err.response}")
    b.get(urlsplit(device["verificationUriComplete"])._replace(scheme="", netloc="").geturl())  # auto-approve
    time.sleep(1.05)
    token = oidc.create_token(**token_args)
    try:
        oidc.create_token(**token_args)
        raise AssertionError("second exchange")
    except (oidc.exceptions.SlowDownException, oidc.exceptions.InvalidGrantException):
        pass
    access = token["accessToken"]
    accounts = [a for page in sso.get_paginator("list_accounts").paginate(accessToken=access)
                for a in page["accountList"]]
    expect(len(accounts) == 45, f"paginated {len(accounts)}")
    roles = sso.list_account_roles(accessToken=access, accountId="300000000001", maxResults=100)["roleList"]
    expect(len(roles) == 3, f"roles {roles}")
    role = sso.get_role_credentials(accessToken=access, accountId="300000000001", roleName="ReadOnly")
    expect(isinstance(role["roleCredentials"]["expiration"], int), "expiration is an integer")
    try:
        sso.list_accounts(accessToken="nope")
        raise AssertionError("bad token listed")
    except sso.exceptions.UnauthorizedException as err:
        expect(err.response["Error"]["Message"] == "Session token not found or invalid", f"{err.response}")
    try:
        sso.get_role_credentials(accessToken=access, accountId="300000000001", roleName="Nope")
        raise AssertionError("unassigned role")
    except sso.exceptions.ClientError as err:
        expect(err.response["Error"]["Code"] == "ForbiddenException", f"{err.response}")
    sso.logout(accessToken=access)
    try:
        sso.list_accounts(accessToken=access)
        raise AssertionError("listed after logout")
    except sso.exceptions.UnauthorizedException:
        pass


def test_moto(moto_url, **_):
    import boto3

    fake = Fake("--moto", moto_url, "--auto-approve", "--user", "dev@example.com")
    try:
        _, tokens = device_sign_in(fake)
        role = ok(fake.get("/federation/credentials?role_name=ReadOnly&account_id=222222222222",
                           tokens["accessToken"]))["roleCredentials"]
        expect(abs(role["expiration"] - (time.time() + 3600) * 1000) < 60_000, f"moto expiration {role}")
        sts = boto3.client("sts", region_name="eu-west-1", endpoint_url=moto_url,
                           aws_access_key_id=role["accessKeyId"], aws_secret_access_key=role["secretAccessKey"],
                           aws_session_token=role["sessionToken"])
        who = sts.get_caller_identity()
        expect(who["Account"] == "222222222222", f"caller {who}")
        expect("assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/dev@example.com" in who["Arn"], who["Arn"])
    except Exception:
        print(fake.log(), file=sys.stderr)
        raise
    finally:
        fake.stop()


def start_moto():
    port = free_port()
    proc = subprocess.Popen([MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/moto-api/")
            conn.getresponse().read()
            return proc, url
        except OSError:
            time.sleep(0.25)
    proc.terminate()
    raise RuntimeError("moto_server did not start")


TESTS = [test_startup, test_register_client, test_device_flow, test_device_knobs, test_config_file, test_pkce,
         test_auto_approve, test_refresh, test_token_expiry, test_portal, test_paging, test_throttle, test_faults,
         test_robustness, test_botocore, test_moto]


def main():
    only = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else ""
    port_file = os.path.join(tempfile.mkdtemp(prefix="fake-sso-"), "port")
    fakes = {"a": Fake(), "b": Fake("--auto-approve", "--accounts", "45", "--roles-per-account", "3",
                                    "--port-file", port_file)}
    fakes["b"].port_file = port_file
    moto = None
    failed = 0
    try:
        moto, moto_url = start_moto()
        for test in TESTS:
            if only not in test.__name__:
                continue
            started = time.monotonic()
            try:
                test(moto_url=moto_url, **fakes)
                print(f"ok   {test.__name__} ({time.monotonic() - started:.1f}s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {test.__name__}", flush=True)
                traceback.print_exc()
    finally:
        for name, fake in fakes.items():
            fake.stop()
            if failed and fake.log().strip():
                print(f"--- stderr of fake {name} ---\n{fake.log()}", file=sys.stderr)
        if moto:
            moto.terminate()
            moto.wait(10)
    print("all passed" if not failed else f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
