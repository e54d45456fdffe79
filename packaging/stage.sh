#!/bin/sh
# Writes the generated files the packages ship into target/packaging/, from a built
# binary (so they match it): the man page (gzipped, no timestamp), the bash, zsh and fish
# completions, and a stripped copy of the binary for the RPM (cargo-generate-rpm does not
# strip; cargo-deb strips its own copy). Usage: packaging/stage.sh BINARY
set -eu
bin=$1
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
cd "$(dirname "$0")/.."
out=target/packaging
mkdir -p "$out/completions"

"$bin" man >"$out/connect-capacity.1"
gzip -9nf "$out/connect-capacity.1"
"$bin" completions bash >"$out/completions/connect-capacity.bash"
"$bin" completions zsh >"$out/completions/_connect-capacity"
"$bin" completions fish >"$out/completions/connect-capacity.fish"
strip -o "$out/connect-capacity" "$bin"
echo "staged $out from $bin"
