#!/usr/bin/env python3
"""A stateful local fake of AWS IAM Identity Center (SSO OIDC and the SSO portal) on one port.

    python scripts/fake_sso.py --port 0 [--auto-approve] [--moto URL] [--config FILE.json] ...

Point AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO at the printed URL. The code is the package
scripts/fake_sso/ (a package beats a module of the same name on sys.path); docs/fake-sso.md describes the
options and the /_fake/ control endpoints; scripts/test_fake_sso.py is its self-test.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_sso.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
