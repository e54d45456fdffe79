#!/usr/bin/env bash
# End-to-end benchmark: connect-capacity against DuckDB SQL and pandas (and, with
# BENCH_POLARS=1, polars) on generated Shiny usage exports of 10^6 and 10^7 sessions.
#
#   bench/e2e.sh            (or: make bench-e2e)
#
# For each size it generates the export with `connect-capacity sample --shiny-only`, warms
# the page cache, times `connect-capacity analyze FILE --format json` and each baseline
# (wall time and peak RSS from /usr/bin/time, best of BENCH_RUNS), checks that every
# baseline's numbers equal the tool's (bench/baselines.py compare: exit 1 on any
# difference), checks that RAYON_NUM_THREADS=1 gives byte-identical JSON, and prints the
# ratios tool/DuckDB. At the end it checks linearity (10x the rows, at most 11x the time).
# The generated data is deleted afterwards (BENCH_KEEP=1 keeps it).
#
# Environment:
#   BENCH_SIZES="1000000 10000000"   session counts
#   BENCH_RUNS=3                     runs per measurement (best is reported)
#   BENCH_PANDAS_RUNS=1              runs of the (slow) pandas baseline
#   BENCH_POLARS=0                   1 adds the polars (Python) baseline
#   BENCH_DIR=target/bench           data, outputs and the Python venv
#   BENCH_ENFORCE=0                  1 fails unless both ratios are under 0.5 at the
#                                    largest size
#   BENCH_KEEP=0                     1 keeps the generated data
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${BENCH_SIZES:-"1000000 10000000"}
RUNS=${BENCH_RUNS:-3}
PANDAS_RUNS=${BENCH_PANDAS_RUNS:-1}
POLARS=${BENCH_POLARS:-0}
DIR=${BENCH_DIR:-target/bench}
ENFORCE=${BENCH_ENFORCE:-0}
KEEP=${BENCH_KEEP:-0}
DAYS=365
SEED=42
BIN=target/release/connect-capacity
VENV=$DIR/venv
PY=$VENV/bin/python
TIME=/usr/bin/time

die() { echo "e2e: $*" >&2; exit 1; }
[ -x "$TIME" ] || die "needs GNU time at /usr/bin/time (apt-get install time)"
mkdir -p "$DIR"

# Room for the largest export (about 117 bytes a session) and its outputs.
largest=$(for n in $SIZES; do echo "$n"; done | sort -n | tail -1)
need_kb=$(( largest * 130 / 1024 ))
avail_kb=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
[ "$avail_kb" -gt "$need_kb" ] || die "needs $(( need_kb / 1024 )) MB free in $DIR, has $(( avail_kb / 1024 )) MB"

echo "== build"
cargo build --release --locked --quiet
if [ ! -x "$PY" ]; then
    echo "== python venv with duckdb, pandas$([ "$POLARS" = 1 ] && echo ', polars') in $VENV"
    python3 -m venv "$VENV"
fi
pkgs="duckdb pandas numpy"
[ "$POLARS" = 1 ] && pkgs="$pkgs polars"
"$PY" -c "import duckdb, pandas, numpy$([ "$POLARS" = 1 ] && echo ', polars')" 2>/dev/null \
    || "$VENV/bin/pip" install --quiet $pkgs
"$PY" -c 'import duckdb, pandas, numpy, sys; print("python", sys.version.split()[0], "duckdb", duckdb.__version__, "pandas", pandas.__version__, "numpy", numpy.__version__)'

# best_of RUNS LABEL OUT CMD...: runs CMD (stdout to OUT), prints "wall_s rss_kb" of the
# fastest run and its peak RSS (the lowest seen, so a one-off page-cache hiccup is not counted).
best_of() {
    local runs=$1 label=$2 out=$3; shift 3
    local best_wall="" best_rss=""
    for ((i = 1; i <= runs; i++)); do
        "$TIME" -f "%e %M" -o "$DIR/time.txt" "$@" >"$out" 2>"$DIR/stderr.txt" \
            || { cat "$DIR/stderr.txt" >&2; die "$label failed"; }
        read -r wall rss <"$DIR/time.txt"
        echo "   $label run $i: ${wall} s, $(( rss / 1024 )) MB" >&2
        if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
            best_wall=$wall
        fi
        if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
    done
    echo "$best_wall $best_rss"
}

results=$DIR/results.txt
: >"$results"
status=0
for n in $SIZES; do
    data=$DIR/data-$n
    csv=$data/shiny_usage.csv
    echo "== $n sessions"
    if [ ! -f "$csv" ]; then
        "$BIN" sample --sessions "$n" --days "$DAYS" --seed "$SEED" --out "$data" --shiny-only >/dev/null
    fi
    echo "   $(du -h "$csv" | cut -f1) $csv"
    cat "$csv" >/dev/null # warm the page cache
    tool_json=$DIR/tool-$n.json
    read -r tw tr < <(best_of "$RUNS" connect-capacity "$tool_json" "$BIN" analyze "$csv" --format json)
    echo "tool $n $tw $tr" >>"$results"
    RAYON_NUM_THREADS=1 "$BIN" analyze "$csv" --format json >"$DIR/tool-$n-1thread.json"
    if cmp -s "$tool_json" "$DIR/tool-$n-1thread.json"; then
        echo "   ok: RAYON_NUM_THREADS=1 gives byte-identical JSON"
    else
        echo "   MISMATCH: RAYON_NUM_THREADS=1 changes the JSON" >&2
        status=1
    fi
    engines="duckdb pandas"
    [ "$POLARS" = 1 ] && engines="$engines polars"
    for e in $engines; do
        runs=$RUNS
        [ "$e" = pandas ] && runs=$PANDAS_RUNS
        read -r bw br < <(best_of "$runs" "$e" /dev/null "$PY" bench/baselines.py "$e" "$csv" "$DIR/$e-$n.json")
        echo "$e $n $bw $br" >>"$results"
        "$PY" bench/baselines.py compare "$tool_json" "$DIR/$e-$n.json" "$e" | sed 's/^/   /' || status=1
    done
    [ "$KEEP" = 1 ] || rm -rf "$data"
done

echo
echo "== results (best of $RUNS; pandas best of $PANDAS_RUNS)"
"$PY" - "$results" "$ENFORCE" <<'EOF' || status=1
import sys
rows = [l.split() for l in open(sys.argv[1])]
enforce = sys.argv[2] == "1"
t = {(e, int(n)): (float(w), int(r)) for e, n, w, r in rows}
sizes = sorted({n for _, n in t})
engines = [e for e in ["tool", "duckdb", "pandas", "polars"] if any(k[0] == e for k in t)]
name = {"tool": "connect-capacity"}
print("| sessions | engine | wall (s) | peak RSS (MB) | wall / DuckDB | RSS / DuckDB |")
print("|---:|---|---:|---:|---:|---:|")
for n in sizes:
    dw, dr = t.get(("duckdb", n), (None, None))
    for e in engines:
        if (e, n) not in t:
            continue
        w, r = t[(e, n)]
        rw = f"{w / dw:.2f}" if dw else "-"
        rr = f"{r / dr:.2f}" if dr else "-"
        print(f"| {n:,} | {name.get(e, e)} | {w:.2f} | {r / 1024:,.0f} | {rw} | {rr} |")
ok = True
if len(sizes) >= 2:
    a, b = sizes[0], sizes[-1]
    factor = b / a
    growth = t[("tool", b)][0] / t[("tool", a)][0]
    limit = factor * 1.1
    verdict = "ok" if growth <= limit else "NOT LINEAR"
    print(f"\nlinearity: {factor:.0f}x the sessions took {growth:.2f}x the time "
          f"(limit {limit:.0f}x): {verdict}")
    ok = growth <= limit
big = sizes[-1]
if ("duckdb", big) in t:
    w = t[("tool", big)][0] / t[("duckdb", big)][0]
    r = t[("tool", big)][1] / t[("duckdb", big)][1]
    verdict = "met" if w < 0.5 and r < 0.5 else "NOT met"
    print(f"target at {big:,} sessions: wall ratio {w:.2f}, RSS ratio {r:.2f} "
          f"(both under 0.5): {verdict}")
    if enforce and verdict != "met":
        ok = False
sys.exit(0 if ok else 1)
EOF
if [ "$status" -ne 0 ]; then
    echo "e2e: FAILED (see the mismatches above)" >&2
fi
exit "$status"
