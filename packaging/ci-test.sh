#!/usr/bin/env bash
# CI test of the packages (run by .ci/run after `cargo test`, as root): builds the .deb
# and the RPM from the debug binary `cargo test` already built (no second, release
# build), installs the .deb with dpkg, checks what it installed, lists the RPM, and
# purges the .deb again. Any failed check fails the script. packaging/README.md explains
# each step; CONNECT_CAPACITY_SKIP_PACKAGING=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
CARGO_GENERATE_RPM_VERSION=0.21.1
PKG=connect-capacity
passed=0

fail() {
    echo "packaging test FAILED: $*" >&2
    exit 1
}
trap 'echo "packaging test FAILED: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
step() { echo "== packaging: $* (${SECONDS}s)"; }
ok() {
    passed=$((passed + 1))
    echo "ok: $*"
}

if [ -n "${CONNECT_CAPACITY_SKIP_PACKAGING:-}" ]; then
    echo "packaging test skipped (CONNECT_CAPACITY_SKIP_PACKAGING is set)"
    exit 0
fi
[ "$(id -u)" = 0 ] || fail "run as root (apt-get, dpkg -i, useradd), or set CONNECT_CAPACITY_SKIP_PACKAGING=1"

step "tools"
missing=()
for p in rpm man-db systemd dpkg-dev binutils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# cargo install uses a temporary target folder unless CARGO_TARGET_DIR says otherwise.
# The tools package one binary, so their compile time matters more than their speed:
# opt-level 0 built cargo-generate-rpm in 185 s instead of 352 s here (2 shared cores),
# and its RPM then takes about 30 s longer to compress.
tool() { # crate version command
    if ! cargo "$3" --version 2>/dev/null | grep -qx "$1 $2"; then
        env -u CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
            cargo install --locked --quiet --version "$2" "$1"
    fi
    cargo "$3" --version | grep -qx "$1 $2" || fail "$1 $2 did not install"
}
tool cargo-deb "$CARGO_DEB_VERSION" deb
tool cargo-generate-rpm "$CARGO_GENERATE_RPM_VERSION" generate-rpm
ok "cargo-deb $CARGO_DEB_VERSION, cargo-generate-rpm $CARGO_GENERATE_RPM_VERSION, rpm, man-db, systemd-analyze"

step "stage the man page and completions from the test build"
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
    grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)
bin="$target_dir/debug/$PKG"
[ -x "$bin" ] || fail "$bin missing: run cargo test first (this script packages its build)"
packaging/stage.sh "$bin"
out=target/packaging
rm -f "$out"/*.deb "$out"/*.rpm

step "build the .deb (cargo deb --no-build --strip --profile dev)"
# cargo-deb 3.8 warns that the dev profile "will be a hard error in the future": expected.
cargo deb --no-build --strip --profile dev --output "$out/"
deb=$(ls "$out"/${PKG}_*.deb)
[ -f "$deb" ] || fail "no .deb in $out"
ok "built $deb"

cleanup() {
    if dpkg-query -W "$PKG" >/dev/null 2>&1; then
        dpkg --purge "$PKG" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

step "install with dpkg"
dpkg -i "$deb"
ok "dpkg -i"

version=$(/usr/bin/$PKG --version)
echo "$version"
[[ $version =~ ^connect-capacity\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ ([0-9a-f]{7,}|unknown)\)$ ]] ||
    fail "--version printed '$version'"
ok "connect-capacity --version"

# The packages are built with every feature: the installed binary reads Parquet.
/usr/bin/$PKG analyze tests/fixtures/parquet/duckdb --format json >/dev/null ||
    fail "the packaged binary does not read Parquet (built without --all-features?)"
ok "reads Parquet (feature parquet)"

manpath=$(man -w $PKG)
[ "$manpath" = /usr/share/man/man1/$PKG.1.gz ] || fail "man -w: $manpath"
MANWIDTH=80 man -P cat $PKG 2>&1 | grep -q "COMMAND ANALYZE" || fail "man page does not render"
ok "man -w $PKG: $manpath"

for f in /usr/share/bash-completion/completions/$PKG /usr/share/zsh/vendor-completions/_$PKG \
    /usr/share/fish/vendor_completions.d/$PKG.fish /usr/share/doc/$PKG/README.md \
    /usr/share/doc/$PKG/LICENSE /usr/lib/$PKG/scheduled-run; do
    [ -s "$f" ] || fail "$f missing"
done
ok "completions, docs and the run script in place"

user=$(getent passwd $PKG) || fail "user $PKG not created"
IFS=: read -r _ _ uid _ _ home shell <<<"$user"
if ! [[ $uid -lt 1000 && $home == /var/lib/$PKG && $shell == */nologin ]]; then
    fail "user $PKG is not a system user without login: $user"
fi
getent group $PKG >/dev/null || fail "group $PKG not created"
ok "system user: $user"

conffiles=$(dpkg-query --control-show $PKG conffiles)
for f in /etc/$PKG/config.toml /etc/$PKG/env; do
    grep -qx "$f" <<<"$conffiles" || fail "$f is not a conffile"
done
[ "$(stat -c '%a %U' /etc/$PKG/env)" = "600 root" ] || fail "/etc/$PKG/env is not 0600 root"
ok "conffiles, env mode 0600"

[ ! -e /etc/systemd/system/timers.target.wants/$PKG.timer ] || fail "the package enabled the timer"
ok "timer not enabled"

step "systemd-analyze verify"
verify=$(systemd-analyze verify /usr/lib/systemd/system/$PKG.service \
    /usr/lib/systemd/system/$PKG.timer 2>&1) || { echo "$verify"; fail "systemd-analyze verify"; }
echo "${verify:-(no output)}"
if grep -i "$PKG" <<<"$verify"; then fail "systemd-analyze verify warns about our units"; fi
ok "systemd-analyze verify"

step "scheduled-run with a stand-in binary"
runs=$(mktemp -d)
cat >"$runs/stub" <<'EOF'
#!/bin/sh
# Stand-in connect-capacity: fetch succeeds, analyze writes its -o file and alerts.
case $1 in
fetch) exit 0 ;;
analyze) while [ $# -gt 0 ]; do [ "$1" = -o ] && echo report >"$2"; shift; done; exit 3 ;;
esac
exit 1
EOF
chmod 755 "$runs/stub"
mkdir -p "$runs/state/reports"
for d in 2020-01-01 2020-01-02 2020-01-03; do touch "$runs/state/reports/capacity-$d.html"; done
status=0
umask 077 # the files the tool writes are mode 0600 whatever the umask
STATE_DIRECTORY="$runs/state" CONNECT_CAPACITY_BIN="$runs/stub" CONNECT_CAPACITY_KEEP_REPORTS=2 \
    CONNECT_CAPACITY_CONFIG=/nonexistent /usr/lib/$PKG/scheduled-run || status=$?
[ "$status" = 3 ] || fail "scheduled-run exited $status, not analyze's alert 3"
kept=$(cd "$runs/state/reports" && echo *)
[ "$kept" = "capacity-2020-01-03.html capacity-$(date +%F).html" ] || fail "retention kept: $kept"
mode=$(stat -c %A "$runs/state/reports/capacity-$(date +%F).html")
[[ $mode == ????r* ]] || fail "the new report is not group-readable: $mode"
umask 022
rm -r "$runs"
ok "exit 3 passes through after the report; reports group-readable; retention kept the newest 2"

step "build and list the RPM"
cargo generate-rpm --output "$out/"
rpm=$(ls "$out"/$PKG-*.rpm)
listing=$(rpm -qpl "$rpm")
for f in /usr/bin/$PKG /usr/share/man/man1/$PKG.1.gz /usr/share/bash-completion/completions/$PKG \
    /usr/share/zsh/site-functions/_$PKG /usr/share/fish/vendor_completions.d/$PKG.fish \
    /usr/share/doc/$PKG/README.md /usr/share/doc/$PKG/LICENSE \
    /usr/lib/systemd/system/$PKG.service /usr/lib/systemd/system/$PKG.timer \
    /usr/lib/$PKG/scheduled-run /etc/$PKG/config.toml /etc/$PKG/env; do
    grep -qx "$f" <<<"$listing" || fail "$f not in $rpm"
done
ok "rpm -qpl $rpm: every key path"
# %config(noreplace) shows as the file flags "cn".
etc=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" | grep " /etc/")
[ "$etc" = "cn -rw-r--r-- /etc/$PKG/config.toml
cn -rw------- /etc/$PKG/env" ] || fail "RPM files under /etc: $etc"
scripts=$(rpm -qp --scripts "$rpm")
for s in preinstall postinstall preuninstall postuninstall; do
    grep -q "^$s scriptlet" <<<"$scripts" || fail "RPM has no $s scriptlet"
done
grep -q "useradd --system" <<<"$scripts" || fail "RPM %pre does not create the user"
ok "RPM config files (noreplace), env mode 0600, scriptlets"

step "remove with dpkg --purge"
dpkg --purge $PKG
if [[ -e /usr/bin/$PKG || -e /etc/$PKG/env ]]; then fail "files left after dpkg --purge"; fi
ok "dpkg --purge"

echo "== packaging: done in ${SECONDS}s"
echo "packaging: $passed passed, 0 failed"
