#!/usr/bin/env bash
# End-to-end benchmark: connect-capacity against DuckDB SQL and polars (Python) on
# generated Shiny usage exports, on two server shapes and several sizes.
#
#   bench/e2e.sh            (or: make bench-e2e)
#
# Shapes (`connect-capacity sample --shape`): `busy` imitates a busy server (400 content
# items with long-tailed popularity, 5,000 users); `small` is the bundled sample's
# catalogue (30 items, 120 users). Both cover 365 days here. For each shape and size the
# script generates the export with `sample --shiny-only`, warms the page cache, then runs
# the engines as pairs in one sitting: run i of every engine before run i+1 of any, so a
# burst of load on a shared machine hits all of them alike. bench/summarise.py reports
# the median wall time and the median peak RSS (GNU time) of each engine and the ratios of
# the tool to the faster peer's wall time and to the leaner peer's peak RSS. The script
# checks that every baseline's numbers equal the tool's (bench/baselines.py compare: exit
# 1 on any difference), that RAYON_NUM_THREADS=1 gives byte-identical JSON, and linearity
# (10x the rows in at most 11x the time). Generated data is deleted afterwards
# (BENCH_KEEP=1 keeps it).
#
# Environment:
#   BENCH_SHAPES="busy small"        shapes
#   BENCH_SIZES="1000000 10000000"   session counts
#   BENCH_RUNS=5                     paired runs per measurement (the median is reported)
#   BENCH_ENGINES="duckdb polars"    peers (pandas may be added: slow)
#   BENCH_DIR=target/bench           data, outputs and the Python venv
#   BENCH_ENFORCE=0                  1 fails unless the targets of BENCHMARKS.md are met
#   BENCH_KEEP=0                     1 keeps the generated data
set -euo pipefail

cd "$(dirname "$0")/.."
SHAPES=${BENCH_SHAPES:-"busy small"}
SIZES=${BENCH_SIZES:-"1000000 10000000"}
RUNS=${BENCH_RUNS:-5}
ENGINES=${BENCH_ENGINES:-"duckdb polars"}
DIR=${BENCH_DIR:-target/bench}
ENFORCE=${BENCH_ENFORCE:-0}
KEEP=${BENCH_KEEP:-0}
DAYS=365
SEED=42
BIN=${CARGO_TARGET_DIR:-target}/release/connect-capacity
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
    echo "== python venv in $VENV"
    python3 -m venv "$VENV"
fi
# shellcheck disable=SC2086 # ENGINES is a list
# baselines.py's shared user merge uses pandas whichever engine runs.
"$PY" -c "import numpy, pandas, ${ENGINES// /, }" 2>/dev/null || "$VENV/bin/pip" install --quiet numpy pandas $ENGINES
# shellcheck disable=SC2086
"$PY" -c 'import importlib, sys; print("python", sys.version.split()[0], *(m + " " + importlib.import_module(m).__version__ for m in sys.argv[1:]))' numpy $ENGINES
rustc --version
echo "cores: $(nproc)"

# timed LABEL OUT CMD...: runs CMD once (stdout to OUT) and appends "LABEL wall_s rss_kb"
# to $DIR/runs.txt.
timed() {
    local label=$1 out=$2; shift 2
    "$TIME" -f "%e %M" -o "$DIR/time.txt" "$@" >"$out" 2>"$DIR/stderr.txt" \
        || { cat "$DIR/stderr.txt" >&2; die "$label failed"; }
    read -r wall rss <"$DIR/time.txt"
    echo "   $label: ${wall} s, $(( rss / 1024 )) MB" >&2
    echo "$label $wall $rss" >>"$DIR/runs.txt"
}

results=$DIR/results.txt
: >"$results"
status=0
for shape in $SHAPES; do
    for n in $SIZES; do
        data=$DIR/data-$shape-$n
        csv=$data/shiny_usage.csv
        echo "== $shape shape, $n sessions"
        if [ ! -f "$csv" ]; then
            "$BIN" sample --shape "$shape" --sessions "$n" --days "$DAYS" --seed "$SEED" \
                --out "$data" --shiny-only >/dev/null
        fi
        echo "   $(du -h "$csv" | cut -f1) $csv"
        cat "$csv" >/dev/null # warm the page cache
        tool_json=$DIR/tool-$shape-$n.json
        : >"$DIR/runs.txt"
        for ((i = 1; i <= RUNS; i++)); do
            timed tool "$tool_json" "$BIN" analyze "$csv" --format json
            for e in $ENGINES; do
                timed "$e" /dev/null "$PY" bench/baselines.py "$e" "$csv" "$DIR/$e-$shape-$n.json"
            done
        done
        "$PY" bench/summarise.py runs "$DIR/runs.txt" "$shape" "$n" >>"$results"
        RAYON_NUM_THREADS=1 "$BIN" analyze "$csv" --format json >"$DIR/tool-$shape-$n-1thread.json"
        if cmp -s "$tool_json" "$DIR/tool-$shape-$n-1thread.json"; then
            echo "   ok: RAYON_NUM_THREADS=1 gives byte-identical JSON"
        else
            echo "   MISMATCH: RAYON_NUM_THREADS=1 changes the JSON" >&2
            status=1
        fi
        for e in $ENGINES; do
            "$PY" bench/baselines.py compare "$tool_json" "$DIR/$e-$shape-$n.json" "$e" \
                | sed 's/^/   /' || status=1
        done
        [ "$KEEP" = 1 ] || rm -rf "$data"
    done
done

echo
echo "== results (median of $RUNS paired runs)"
"$PY" bench/summarise.py table "$results" "$ENFORCE" || status=1
if [ "$status" -ne 0 ]; then
    echo "e2e: FAILED (see above)" >&2
fi
exit "$status"
