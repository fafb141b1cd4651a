"""HTTP plumbing, routing, fault injection and the command line of the fake Identity Center."""

import argparse
import json
import os
import re
import signal
import socket
import struct
import sys
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import control, oidc, portal
from .state import Account, Settings, State
from .wire import OidcError, PortalError, Request, ServiceError

ROUTES = {
    ("POST", "/client/register"): oidc.register_client,
    ("POST", "/device_authorization"): oidc.start_device_authorization,
    ("POST", "/token"): oidc.create_token,
    ("GET", "/authorize"): oidc.authorize,
    ("GET", "/device"): oidc.device_page,
    ("GET", "/assignment/accounts"): portal.list_accounts,
    ("GET", "/assignment/roles"): portal.list_account_roles,
    ("GET", "/federation/credentials"): portal.get_role_credentials,
    ("POST", "/logout"): portal.logout,
    ("GET", "/_fake/stats"): control.stats,
    ("GET", "/_fake/secrets"): control.secrets,
    ("POST", "/_fake/reset-stats"): control.reset_stats,
    ("POST", "/_fake/approve"): control.approve_device,
    ("POST", "/_fake/deny"): control.deny_device,
    ("POST", "/_fake/authorize/approve"): control.approve_authorization,
    ("POST", "/_fake/authorize/deny"): control.deny_authorization,
    ("GET", "/_fake/config"): control.get_config,
    ("POST", "/_fake/config"): control.set_config,
    ("POST", "/_fake/assign"): control.assign,
    ("POST", "/_fake/unassign"): control.unassign,
    ("POST", "/_fake/revoke-all"): control.revoke_all,
    ("POST", "/_fake/fail"): control.fail,
    ("POST", "/_fake/advance"): control.advance,
}
PORTAL_PATHS = ("/assignment/", "/federation/", "/logout")
MAX_BODY = 1 << 20


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung fault must not keep the process alive at exit
    request_queue_size = 128  # the default 5 refuses connections when a test fires many calls at once


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    server_version = "fake-sso"

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def send_error(self, code, message=None, explain=None):
        """The stdlib's own refusals (bad request line, unsupported method) get a request id like the rest."""
        self.close_connection = True
        self._send(PortalError(code, "UnknownOperationException", message or "Bad request").reply())

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            super().log_message(fmt, *args)

    def _handle(self, method):
        state = self.server.state
        url = urlsplit(self.path)
        path = url.path
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True  # the stream position is unknown: this connection cannot go on
            return self._send(OidcError("InvalidRequest", "Unreadable request body").reply())
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        req = Request(method, path, query, self.headers, body)
        if not path.startswith("/_fake/"):  # control calls are neither counted nor faulted
            with state.lock:
                state.count_request(path)
                fault = control.take_fault(state, method, path)
            if fault and self._apply_fault(fault):
                return None
        return self._send(self._route(state, req))

    def _route(self, state, req):
        portal_path = req.path.startswith(PORTAL_PATHS)
        route = ROUTES.get((req.method, req.path))
        try:
            if route is None:
                raise PortalError(404, "UnknownOperationException", f"No operation at {req.method} {req.path}")
            return route(state, req)
        except ServiceError as err:
            return err.reply()
        except Exception:  # a bug in the fake must not kill the connection thread silently
            traceback.print_exc()
            err = (PortalError(500, "InternalServerException", "Internal error in the fake") if portal_path
                   else OidcError("InternalServer", "Internal error in the fake"))
            return err.reply()

    def _apply_fault(self, fault):
        """True when the fault answered (or dropped) the request; False lets it go on after the delay."""
        if fault.delay:
            time.sleep(fault.delay)  # outside the lock: a hung request must not stall the others
        if fault.reset:
            # Linger 0 makes the final close a RST; shutdown ends the exchange with no answer at all.
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if fault.status is None:
            return False
        self._send(fault.reply())
        return True

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length)

    def _read_chunked(self):
        data = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)  # ValueError on junk
            if size == 0:
                while self.rfile.readline().strip():  # trailers
                    pass
                return data
            data += self.rfile.read(size)
            self.rfile.readline()
            if len(data) > MAX_BODY:
                raise ValueError("body too large")

    def _send(self, reply):
        body = reply.body
        if body is None:
            data = b""
        elif isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        else:
            data = str(body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))  # on every answer, errors and faults too
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. on a hung fault): nothing to tell it


# Configuration -------------------------------------------------------------------------------------------

DEFAULT_START_URL = "https://sandbox.awsapps.com/start"
DEFAULT_USER = "sandbox.user@example.com"
DEFAULT_ACCOUNTS = [
    {"accountId": "111111111111", "accountName": "sandbox-payments", "emailAddress": "aws+payments@example.com",
     "roles": [{"roleName": "AdministratorAccess", "durationSeconds": 3600},
               {"roleName": "ReadOnly", "durationSeconds": 3600}]},
    {"accountId": "222222222222", "accountName": "sandbox-data", "emailAddress": "aws+data@example.com",
     "roles": [{"roleName": "ReadOnly", "durationSeconds": 3600}]},
]
GENERATED_ROLES = ["AdministratorAccess", "ReadOnly", "PowerUserAccess", "Billing", "SecurityAudit", "DataEngineer"]


def parse_account(raw):
    """One config account. Roles may be {"roleName", "durationSeconds"} objects or bare names (3600 s)."""
    account_id = str(raw["accountId"]).zfill(12) if isinstance(raw.get("accountId"), int) else raw["accountId"]
    if not re.fullmatch(r"\d{12}", account_id):
        raise ValueError(f"accountId {account_id!r} is not 12 digits")
    roles = {}
    for role in raw.get("roles", []):
        role = {"roleName": role} if isinstance(role, str) else role
        duration = int(role.get("durationSeconds", 3600))
        if not 900 <= duration <= 43200:
            raise ValueError(f"{account_id}/{role['roleName']}: durationSeconds must be 900..43200")
        roles[role["roleName"]] = duration
    return Account(account_id, raw.get("accountName", f"account-{account_id}"),
                   raw.get("emailAddress", f"aws+{account_id}@example.com"), roles)


def generated_accounts(count, roles_per_account):
    """Numbered accounts for scale tests: 300000000001, 300000000002, ..."""
    names = GENERATED_ROLES + [f"Role{i}" for i in range(len(GENERATED_ROLES) + 1, roles_per_account + 1)]
    return [Account(f"{300000000000 + i:012d}", f"generated-{i:04d}", f"aws+generated-{i:04d}@example.com",
                    {name: 3600 for name in names[:roles_per_account]})
            for i in range(1, count + 1)]


def load_directory(args):
    """(accounts, start URLs, user name) from --config, --accounts and the defaults."""
    config = {}
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            config = json.load(handle)
        if not isinstance(config, dict):
            raise ValueError("the config must be a JSON object")
    # No config and no generated accounts: the two default sandbox accounts.
    raw_accounts = config.get("accounts", []) if args.config else ([] if args.accounts else DEFAULT_ACCOUNTS)
    accounts = [parse_account(a) for a in raw_accounts]
    accounts += generated_accounts(args.accounts, args.roles_per_account)
    start_urls = args.start_url or config.get("startUrls") or (
        [config["startUrl"]] if config.get("startUrl") else [DEFAULT_START_URL])
    return accounts, start_urls, args.user or config.get("userName") or DEFAULT_USER


def parse_args(argv):
    d = Settings()
    p = argparse.ArgumentParser(description="Local fake of AWS IAM Identity Center (SSO OIDC + SSO portal).")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--moto", metavar="URL", help="get role keys from this moto server's STS AssumeRole")
    p.add_argument("--config", metavar="FILE", help="JSON: startUrls, userName, accounts")
    p.add_argument("--start-url", action="append", help="accepted start URL (repeatable; '*' accepts any)")
    p.add_argument("--user", help=f"the signed-in user, used as the role session name (default {DEFAULT_USER})")
    p.add_argument("--accounts", type=int, default=0, help="generate N more accounts")
    p.add_argument("--roles-per-account", type=int, default=2, help="roles per generated account")
    p.add_argument("--token-seconds", type=int, default=d.token_seconds)
    p.add_argument("--legacy-token-seconds", type=int, default=d.legacy_token_seconds,
                   help="life of tokens without a refresh token (AWS: 28800); 0 = --token-seconds")
    p.add_argument("--refresh-token-seconds", type=int, default=d.refresh_token_seconds,
                   help="refresh works this long after the sign-in (the Identity Center session)")
    p.add_argument("--client-seconds", type=int, default=d.client_seconds, help="registration life")
    p.add_argument("--device-interval", type=int, default=d.device_interval)
    p.add_argument("--device-expires", type=int, default=d.device_expires)
    p.add_argument("--approve-after-polls", type=int, default=0, help="device codes approve themselves after N polls")
    p.add_argument("--auto-approve", action="store_true", help="/device and /authorize approve at once")
    p.add_argument("--no-rotate", action="store_true", help="refresh hands back the same refresh token")
    p.add_argument("--rate", type=float, default=0.0, help="portal calls/s per access token; 0 = unlimited")
    p.add_argument("--burst", type=int, default=d.burst)
    p.add_argument("--quiet", action="store_true", help="no request log on stderr")
    return p.parse_args(argv)


def settings_from(args):
    return Settings(
        token_seconds=args.token_seconds, legacy_token_seconds=args.legacy_token_seconds,
        refresh_token_seconds=args.refresh_token_seconds, client_seconds=args.client_seconds,
        device_interval=args.device_interval, device_expires=args.device_expires,
        approve_after_polls=args.approve_after_polls, auto_approve=args.auto_approve, rotate=not args.no_rotate,
        rate=args.rate, burst=args.burst)


def write_port_file(path, port):
    """Via a temporary file and rename, so a watcher never reads half a number."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    try:
        accounts, start_urls, user = load_directory(args)
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"fake_sso: bad configuration: {err!r}", file=sys.stderr)
        return 2
    server = Server(("127.0.0.1", args.port), Handler)
    server.quiet = args.quiet
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    server.state = State(settings_from(args), accounts, start_urls, user, base_url, args.moto)
    print(f"listening on {base_url}", flush=True)
    if args.port_file:
        write_port_file(args.port_file, server.server_address[1])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so `finally` closes the socket
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0

