#!/usr/bin/env bash
# Install what the integration tests and the sandbox need:
#   - a Python venv at $REPO/.venv with moto[server] (a local fake AWS),
#   - dbus-run-session + gnome-keyring-daemon (a throwaway Secret Service for keyring tests),
#   - tmux (drives the TUI in end-to-end tests),
#   - zsh and fish (completion scripts and exports read back by the real shells), man-db (the
#     man page rendered with `man -l`).
# A test whose program is missing fails (tests/it/support/prerequisites.rs), it never skips.
# Idempotent: when everything is already present it only runs a few quick checks.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
# Pinned so test runs are reproducible; bump deliberately.
MOTO_VERSION="5.2.5"

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- Debian packages
# command -> package that provides it (on Debian bookworm and later).
declare -A PKG_FOR=(
  [dbus-run-session]=dbus
  [gnome-keyring-daemon]=gnome-keyring
  [tmux]=tmux
  [zsh]=zsh
  [fish]=fish
  [man]=man-db
  [setpriv]=util-linux
)
missing=()
for cmd in "${!PKG_FOR[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG_FOR[$cmd]}")
done
# The venv below needs python3 with its venv module (a separate package on Debian).
if [[ ! -x "$VENV/bin/python" ]] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
fi

if ((${#missing[@]})); then
  if ((EUID == 0)); then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    log "missing packages: ${missing[*]}"
    log "install them as root: apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing packages (no apt-get here, install by hand): ${missing[*]}"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  # Update the index only when we actually need to install something.
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- Python venv + moto
venv_ok() {
  [[ -x "$VENV/bin/moto_server" && -x "$VENV/bin/python" ]] || return 1
  # Imports must work and the pinned moto version must be the one installed.
  "$VENV/bin/python" - "$MOTO_VERSION" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
import boto3, flask, moto.server  # noqa: F401  (server extra pulls in flask)
sys.exit(0 if version("moto") == sys.argv[1] else 1)
PY
}

if ! venv_ok; then
  PYTHON="${PYTHON:-python3}"
  command -v "$PYTHON" >/dev/null 2>&1 || { log "python3 not found"; exit 1; }
  # A venv whose interpreter vanished (e.g. python upgraded) cannot be repaired in place.
  if [[ -d "$VENV" && ! -x "$VENV/bin/python" ]]; then
    rm -rf "$VENV"
  fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv at $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  log "installing moto[server]==$MOTO_VERSION into $VENV (first run takes ~30-60 s)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    "moto[server]==$MOTO_VERSION"
  venv_ok || { log "moto installed but imports still fail in $VENV"; exit 1; }
fi
