#!/usr/bin/env python3
"""Write a benchmark inventory: ACCOUNTS accounts x 5 roles, every role reached from one
source with long-term keys and an MFA device (role-0 of each account needs MFA, so all of
them share one MFA session; the others are assumed straight from the keys).

Usage: gen_inventory.py ACCOUNTS ENDPOINT OUTDIR
Writes OUTDIR/accounts.toml and OUTDIR/aws-credentials (fake keys for a local emulator).
"""
import os
import sys

ROLES_PER_ACCOUNT = 5
HUB_KEY_ID = "AKIABENCHHUB00000001"
HUB_SECRET = "bench-secret-not-real"


def inventory(accounts, endpoint):
    out = [
        "# switchboard benchmark inventory (scripts/gen_inventory.py): every account is fake.",
        "[defaults]",
        'region = "eu-west-1"',
        'duration = "1h"',
        'refresh_before = "5m"',
        f'endpoint_url = "{endpoint}"',
        "",
        "[sources.hub]",
        'profile = "bench-hub"',
        'credentials_file = "aws-credentials"',
        'mfa_serial = "arn:aws:iam::123456789012:mfa/bench-operator"',
        'session_duration = "12h"',
    ]
    environments = ["production", "staging", "development", "shared-services"]
    for account in range(accounts):
        out += [
            "",
            "[[accounts]]",
            f'name = "acct-{account:04d}"',
            f'id = "{100000000000 + account:012d}"',
            f'environment = "{environments[account % len(environments)]}"',
            f'tags = ["team-{account % 7}"]',
        ]
        for role in range(ROLES_PER_ACCOUNT):
            out += [
                "  [[accounts.roles]]",
                f'  name = "role-{role}"',
                f'  role_name = "Role{role}"',
                '  source = "hub"',
                f"  mfa = {'true' if role == 0 else 'false'}",
            ]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    accounts, endpoint, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "accounts.toml"), "w") as fh:
        fh.write(inventory(accounts, endpoint))
    path = os.path.join(outdir, "aws-credentials")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"[bench-hub]\naws_access_key_id = {HUB_KEY_ID}\naws_secret_access_key = {HUB_SECRET}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
