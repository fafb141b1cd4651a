"""SSO portal: ListAccounts, ListAccountRoles, GetRoleCredentials, Logout (identity-center.md 1.2, 1.4, 7.5).

Every call needs x-amz-sso_bearer_token and, after that check, draws from its access token's throttle bucket.
"""

import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import urlencode

from . import wire
from .wire import PortalError, Reply

DEFAULT_PAGE = 20  # page one held 20 accounts in two reports (1.4)
RESULT_SIZE = "ResultSize parameter must be within the valid limits of: 1-100"


def unauthorized():
    return PortalError(401, "UnauthorizedException", "Session token not found or invalid")


def list_accounts(state, req):
    with state.lock:
        _bearer(state, req)
        size = _page_size(state, req.query)
        items = [{"accountId": a.account_id, "accountName": a.name, "emailAddress": a.email}
                 for a in state.accounts.values() if a.roles]  # an account shows while any role is assigned
        return _paged("accountList", items, "accounts", req.query, size)


def list_account_roles(state, req):
    with state.lock:
        _bearer(state, req)
        account_id = _param(req.query, "account_id")
        size = _page_size(state, req.query)
        account = state.accounts.get(account_id)
        # Unknown or unassigned account: an empty list (AWS's answer here is not documented).
        roles = list(account.roles) if account else []
        items = [{"roleName": name, "accountId": account_id} for name in roles]
        return _paged("roleList", items, "roles:" + account_id, req.query, size)


def get_role_credentials(state, req):
    with state.lock:
        _bearer(state, req)
        role_name, account_id = _param(req.query, "role_name"), _param(req.query, "account_id")
        account = state.accounts.get(account_id)
        duration = account.roles.get(role_name) if account else None
        if duration is None:  # unassigned role or stale assignment (research 1.2: likely 403)
            raise PortalError(403, "ForbiddenException", "No access")
        state.stats["role_credentials"] += 1
        moto_url, user, now = state.moto_url, state.user_name, state.now()
    # Outside the lock: moto may be slow, and other calls must not wait for it.
    if moto_url:
        creds = _assume_with_moto(moto_url, account_id, role_name, user, duration)
    else:
        key_id, secret, session = wire.role_keys()
        creds = {"accessKeyId": key_id, "secretAccessKey": secret, "sessionToken": session,
                 "expiration": int((now + duration) * 1000)}  # epoch milliseconds, as the portal sends
    return Reply(body={"roleCredentials": creds})


def logout(state, req):
    """Ends the sign-in: this access token, its siblings and its whole refresh chain. Issued role keys live on."""
    with state.lock:
        record = _bearer(state, req)
        record.sign_in.revoked = True
        state.stats["logouts"] += 1
    return Reply(200, None)


def _bearer(state, req):
    token = req.headers.get("x-amz-sso_bearer_token")
    record = state.valid_access(token)
    if record is None:
        raise unauthorized()
    if not state.take_throttle(token):
        raise PortalError(429, "TooManyRequestsException", "HTTP 429 Unknown Code")
    return record


def _param(query, name):
    value = query.get(name)
    if not value:
        raise PortalError(400, "InvalidRequestException", f"{name} is required")
    return value


def _page_size(state, query):
    raw = query.get("max_result")
    if raw is None:
        return DEFAULT_PAGE
    try:
        size = int(raw)
    except ValueError:
        raise PortalError(400, "InvalidRequestException", RESULT_SIZE) from None
    # Recorded before the range check: tests assert the client never asks for more than 100.
    seen = state.stats["max_result_seen"]
    state.stats["max_result_seen"] = size if seen is None else max(seen, size)
    if not 1 <= size <= 100:
        raise PortalError(400, "InvalidRequestException", RESULT_SIZE)
    return size


def _paged(key, items, listing, query, size):
    token = query.get("next_token")
    start = 0
    if token:
        start = wire.decode_page_token(token, listing)
        if start is None:
            raise PortalError(400, "InvalidRequestException", "Invalid next token")
    body = {key: items[start:start + size]}
    if start + size < len(items):
        body["nextToken"] = wire.encode_page_token(listing, start + size)
    return Reply(body=body)


def _assume_with_moto(moto_url, account_id, role_name, user, duration):
    """Real keys from moto's STS, so GetCallerIdentity with them names the account and the SSO role.

    moto ignores signatures unless auth enforcement is on, but needs an Authorization header whose credential
    scope names sts to route the call, hence the dummy one.
    """
    arn = (f"arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/"
           f"AWSReservedSSO_{role_name}_0123456789abcdef")
    form = urlencode({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": arn,
                      "RoleSessionName": _session_name(user), "DurationSeconds": str(duration)})
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "X-Amz-Date": stamp,
        "Authorization": (f"AWS4-HMAC-SHA256 Credential=AKIAFAKESSO000000000/{stamp[:8]}/us-east-1/sts/aws4_request, "
                          f"SignedHeaders=content-type;host;x-amz-date, Signature={'0' * 64}"),
    }
    request = urllib.request.Request(moto_url.rstrip("/") + "/", form.encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            root = ET.fromstring(response.read())
    except (urllib.error.URLError, OSError, ET.ParseError) as err:
        raise PortalError(500, "InternalServerException", f"moto AssumeRole failed: {err}") from None
    found = {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter()}
    if not all(found.get(k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")):
        raise PortalError(500, "InternalServerException", "moto AssumeRole gave no credentials")
    expiration = datetime.fromisoformat(found["Expiration"].replace("Z", "+00:00"))
    return {"accessKeyId": found["AccessKeyId"], "secretAccessKey": found["SecretAccessKey"],
            "sessionToken": found["SessionToken"], "expiration": int(expiration.timestamp() * 1000)}


def _session_name(user):
    """RoleSessionName allows [\\w+=,.@-], 2 to 64 characters."""
    name = re.sub(r"[^\w+=,.@-]", "-", user)[:64]
    return name if len(name) >= 2 else "fake-sso-user"
