#!/usr/bin/env bash
# Resource bounds on pathological input (issue "hostile and broken input"): one user with
# a million overlapping sessions on one app, and one session lasting a century. Prints
# wall time and peak RSS of `analyze --format json` for each; run from the repo root:
#   bash bench/pathological.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/connect-capacity
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/overlap" "$work/century"
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
app, user = "bd1d2285-6c80-49af-8a83-a200effe3cb3", "08e3a41d-1f8e-47f2-8855-f05ea3b0d4b2"
with open(f"{work}/overlap/shiny.csv", "w") as f:
    f.write("content_guid,user_guid,started,ended,data_version\n")
    for i in range(1_000_000):  # distinct starts 3 ms apart, all open at 13:00
        ms = i * 3
        s, frac = ms // 1000, ms % 1000
        hms = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{frac:03d}"
        f.write(f"{app},{user},2024-03-04T{10 + s // 3600:02d}{hms[2:]}Z,2024-03-04T23{hms[2:]}Z,1\n")
with open(f"{work}/century/shiny.csv", "w") as f:
    f.write("content_guid,user_guid,started,ended,data_version\n")
    f.write(f"{app},{user},2000-01-01T00:00:00Z,2099-12-31T23:59:59Z,1\n")
    f.write(f"{app},a01792e3-2e67-402e-99af-be04a48da074,2024-03-04T10:00:00Z,2024-03-04T11:00:00Z,1\n")
PY
for case in overlap century; do
  /usr/bin/time -f "$case: %e s wall, %M KB peak RSS" "$bin" analyze "$work/$case" --format json -o "$work/$case.json"
done
