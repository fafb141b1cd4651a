#!/usr/bin/env bash
# The sandbox's $BROWSER: "opens" the sign-in address a moment later (so the sign-in modal
# can be read), which makes the Identity Center fake approve it, as a person signing in
# in a real browser would. Returns at once, like a browser launcher.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(sleep "${SANDBOX_BROWSER_DELAY:-3}"; "$REPO/.venv/bin/python" -c \
  'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=30).read()' "$1") \
  </dev/null >/dev/null 2>&1 &
