#!/usr/bin/env bash
# The Debian package (README: Install): builds the release binary, generates the man page and
# the completions into target/release/package/, runs `cargo deb --no-build` on the assets of
# Cargo.toml's [package.metadata.deb], then installs the .deb into a throwaway root with
# `dpkg --root` and checks every path and `switchboard --version` there. Prints the path of
# the .deb on its last line; any missing path or wrong version exits non-zero.
#
#   scripts/package.sh        # needs cargo-deb: cargo install cargo-deb --locked
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
log() { printf 'package: %s\n' "$*" >&2; }
fail() {
  printf 'package: FAILED: %s\n' "$*" >&2
  exit 1
}

command -v cargo-deb >/dev/null || fail "needs cargo-deb: cargo install cargo-deb --locked"
for tool in dpkg dpkg-deb gzip python3; do
  command -v "$tool" >/dev/null || fail "needs $tool"
done

# cargo-deb reads `target/release/...` as the real target directory: ask cargo for it too.
metadata="$(cargo metadata --format-version 1 --no-deps --locked)"
field() { python3 -c 'import json,sys; m=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" <<<"$metadata"; }
TARGET="$(field 'm["target_directory"]')"
VERSION="$(field 'm["packages"][0]["version"]')"
BIN="$TARGET/release/switchboard"
PKG="$TARGET/release/package"

log "building release"
cargo build --release --locked --bin switchboard >&2

log "man page and completions into $PKG"
rm -rf "$PKG"
mkdir -p "$PKG"
"$BIN" man | gzip -9n >"$PKG/switchboard.1.gz"
# A completion script names the binary that wrote it; the package's is /usr/bin/switchboard.
completion() {
  local script
  script="$("$BIN" completions "$1")"
  script="${script//"$BIN"//usr/bin/switchboard}"
  [[ "$script" == *"/usr/bin/switchboard"* ]] || fail "the $1 completion does not call the binary by its path"
  printf '%s\n' "$script" >"$2"
}
completion bash "$PKG/switchboard.bash"
completion zsh "$PKG/_switchboard"
completion fish "$PKG/switchboard.fish"

log "cargo deb"
cargo deb --no-build --locked >"$PKG/cargo-deb.out"
DEB="$(tail -n 1 "$PKG/cargo-deb.out")"
[[ -f "$DEB" ]] || fail "cargo deb printed no .deb path: $(cat "$PKG/cargo-deb.out")"

# A throwaway root with an empty dpkg database: nothing of the host's dpkg state is touched
# (its own log too). --force-depends: libc6 is not in that database.
ROOT="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-deb.XXXXXX")"
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/log"
: >"$ROOT/var/lib/dpkg/status"
: >"$ROOT/var/lib/dpkg/available"
log "installing into $ROOT"
dpkg --root="$ROOT" --log="$ROOT/var/log/dpkg.log" --force-depends --force-not-root -i "$DEB" >&2

missing=0
for path in \
  /usr/bin/switchboard \
  /usr/share/man/man1/switchboard.1.gz \
  /usr/share/bash-completion/completions/switchboard \
  /usr/share/zsh/vendor-completions/_switchboard \
  /usr/share/fish/vendor_completions.d/switchboard.fish \
  /usr/lib/systemd/user/switchboard-agent.service \
  /usr/share/doc/switchboard/examples/accounts.example.toml; do
  if [[ -s "$ROOT$path" ]]; then
    log "ok $path"
  else
    printf 'package: MISSING %s\n' "$path" >&2
    missing=1
  fi
done
((missing == 0)) || fail "paths missing from $DEB"

gzip -t "$ROOT/usr/share/man/man1/switchboard.1.gz" || fail "the man page is not gzip"
grep -q '^ExecStart=/usr/bin/switchboard agent$' "$ROOT/usr/lib/systemd/user/switchboard-agent.service" ||
  fail "the agent's unit does not start /usr/bin/switchboard agent"
if grep -rqF "$TARGET" "$ROOT/usr/share"; then
  fail "a packaged file names the build directory $TARGET"
fi

expected="switchboard $VERSION ($(git rev-parse --short=12 HEAD)"
version="$("$ROOT/usr/bin/switchboard" --version)"
[[ "$version" == "$expected"* ]] || fail "--version says '$version', expected '$expected…'"
log "ok $version"
echo "$DEB"
