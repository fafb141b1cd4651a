"""The /_fake/ control endpoints: what a test does to the fake that a user or an admin would do to AWS.

JSON in, JSON out. A refused call is 4xx {"error", "error_description"}.
"""

import copy
import re
from dataclasses import dataclass
from http import HTTPStatus

from . import oidc
from .state import Account, field_types, new_stats
from .wire import ControlError, Reply


@dataclass
class Fault:
    """An injected fault for requests to `path` ("*": any non-control path), see POST /_fake/fail."""

    path: str
    method: str = None  # None: any method
    status: int = None  # None with a delay: the request goes on normally after it
    body: object = None
    content_type: str = None
    count: int = 1  # -1: until cleared
    delay: float = 0.0
    reset: bool = False  # close the connection without an answer

    def reply(self):
        body, content_type = self.body, self.content_type
        if body is None:
            phrase = _phrase(self.status)
            body = f"<html><head><title>{self.status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>"
        if content_type is None:
            content_type = _guess_type(body)
        return Reply(self.status, body, content_type=content_type)


def take_fault(state, method, path):
    """The fault for this request, if any, counting it down. Caller holds the lock."""
    for fault in state.faults:
        if fault.path in ("*", path) and fault.method in (None, method):
            if fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    state.faults.remove(fault)
            state.stats["faults_injected"] += 1
            return fault
    return None


def stats(state, req):
    with state.lock:
        body = copy.deepcopy(state.stats)
        now = state.now()
        body["pending_device_codes"] = sum(1 for d in state.devices.values()
                                           if d.status == "pending" and now < d.expires_at)
        body["pending_authorizations"] = len(state.auth_requests)
    return Reply(body=body)


def secrets(state, req):
    """Every secret the fake handed out (access and refresh tokens, client secrets, device codes):
    what a test scans switchboard's files, logs and screens for."""
    with state.lock:
        found = list(state.access) + list(state.refresh) + list(state.devices)
        found += [client.secret for client in state.clients.values()]
    return Reply(body={"secrets": found})


def reset_stats(state, req):
    with state.lock:
        state.stats = new_stats()
    return Reply(body={})


def approve_device(state, req):
    return _set_device_status(state, req, "approved")


def deny_device(state, req):
    return _set_device_status(state, req, "denied")


def _set_device_status(state, req, status):
    code = _string(req.json(), "userCode").strip().upper()
    with state.lock:
        device = state.user_codes.get(code)
        if device is None:
            raise ControlError(404, "not_found", f"no device code with user code {code}")
        if device.status == "exchanged":
            raise ControlError(409, "conflict", f"{code} was already exchanged for a token")
        device.status = status
    return Reply(body={"userCode": code, "status": status})


def approve_authorization(state, req):
    """Approve a pending /authorize; answers the callback URL for the test to GET (as the browser would)."""
    with state.lock:
        pending = _pending_request(state, req)
        return Reply(body={"requestId": pending.request_id, "redirectUrl": oidc.approve_request(state, pending)})


def deny_authorization(state, req):
    with state.lock:
        pending = _pending_request(state, req)
        return Reply(body={"requestId": pending.request_id, "redirectUrl": oidc.deny_request(pending)})


def _pending_request(state, req):
    """Takes the request named by requestId, else the oldest one. Caller holds the lock."""
    wanted = req.json().get("requestId")
    if wanted is None and state.auth_requests:
        wanted = next(iter(state.auth_requests))
    pending = state.auth_requests.pop(wanted, None) if isinstance(wanted, int) else None
    if pending is None:
        raise ControlError(404, "not_found", "no pending /authorize request")
    return pending


def get_config(state, req):
    with state.lock:
        return Reply(body=state.settings.as_dict())


def set_config(state, req):
    body = req.json()
    types = field_types()
    for key, value in body.items():
        if key not in types:
            raise ControlError(400, "invalid_request", f"unknown setting {key}; known: {', '.join(types)}")
        if not _fits(types[key], value):
            raise ControlError(400, "invalid_request", f"{key} must be a non-negative {types[key].__name__}")
    with state.lock:
        for key, value in body.items():
            setattr(state.settings, key, value)
        if "rate" in body or "burst" in body:
            state.buckets.clear()  # new limits start from a full bucket
        return Reply(body=state.settings.as_dict())


def assign(state, req):
    body = req.json()
    account_id, role = _account_id(body), _string(body, "roleName")
    duration = body.get("durationSeconds", 3600)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 900 <= duration <= 43200:
        raise ControlError(400, "invalid_request", "durationSeconds must be 900..43200")
    with state.lock:
        account = state.accounts.get(account_id)
        if account is None:
            account = Account(account_id, body.get("accountName") or f"account-{account_id}",
                              body.get("emailAddress") or f"aws+{account_id}@example.com", {})
            state.accounts[account_id] = account
        account.roles[role] = duration
        return Reply(body={"accountId": account_id, "roles": dict(account.roles)})


def unassign(state, req):
    """Removes one role, or every role when roleName is absent; an account with no role leaves ListAccounts."""
    body = req.json()
    account_id, role = _account_id(body), body.get("roleName")
    with state.lock:
        account = state.accounts.get(account_id)
        if account is None or (role is not None and role not in account.roles):
            raise ControlError(404, "not_found", f"no assignment {account_id} {role or ''}".strip())
        if role is None:
            account.roles.clear()
        else:
            del account.roles[role]
        return Reply(body={"accountId": account_id, "roles": dict(account.roles)})


def revoke_all(state, req):
    """The Identity Center session ends: every access and refresh token issued so far stops working."""
    with state.lock:
        return Reply(body={"revokedSignIns": state.revoke_all()})


def fail(state, req):
    body = req.json()
    if body.get("clear"):
        with state.lock:
            state.faults.clear()
        return Reply(body={"faults": 0})
    fault = Fault(
        path=_string(body, "path"),
        method=body.get("method"),
        status=body.get("status"),
        body=body.get("body"),
        content_type=body.get("contentType"),
        count=body.get("count", 1),
        delay=body.get("delaySeconds", 0),
        reset=bool(body.get("reset", False)),
    )
    if fault.status is None and not fault.delay and not fault.reset:
        fault.status = 500
    if fault.status is not None and not (isinstance(fault.status, int) and 100 <= fault.status <= 599):
        raise ControlError(400, "invalid_request", "status must be an HTTP status code")
    if not isinstance(fault.count, int) or fault.count == 0 or fault.count < -1:
        raise ControlError(400, "invalid_request", "count must be a positive integer or -1")
    if not isinstance(fault.delay, (int, float)) or fault.delay < 0:
        raise ControlError(400, "invalid_request", "delaySeconds must be a non-negative number")
    with state.lock:
        state.faults.append(fault)
        return Reply(body={"faults": len(state.faults)})


def advance(state, req):
    """Moves the fake's clock forward: tokens, codes and registrations expire without the test sleeping."""
    seconds = req.json().get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        raise ControlError(400, "invalid_request", "seconds must be a non-negative number")
    with state.lock:
        state.clock_offset += seconds
        return Reply(body={"clockOffset": state.clock_offset})


def _string(body, key):
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ControlError(400, "invalid_request", f"{key} is required")
    return value


def _account_id(body):
    account_id = _string(body, "accountId")
    if not re.fullmatch(r"\d{12}", account_id):
        raise ControlError(400, "invalid_request", "accountId must be 12 digits")
    return account_id


def _fits(kind, value):
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return False
    return kind is float or isinstance(value, int)


def _phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _guess_type(body):
    if isinstance(body, (dict, list)):
        return "application/json"
    text = str(body).lstrip()
    if text.startswith(("{", "[")):
        return "application/json"
    return "text/html" if text.startswith("<") else "text/plain"
