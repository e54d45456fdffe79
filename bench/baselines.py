#!/usr/bin/env python3
"""Baselines of connect-capacity's core metrics, and the check that they agree with it.

    baselines.py duckdb FILE OUT.json    DuckDB SQL
    baselines.py pandas FILE OUT.json    pandas + numpy
    baselines.py polars FILE OUT.json    polars (Python)
    baselines.py compare TOOL.json BASELINE.json [NAME]

Each engine reads one Shiny usage CSV (`content_guid,user_guid,started,ended,data_version`,
RFC 3339 `Z` timestamps, `NA` for missing) and computes, with the tool's defaults (UTC,
24 h open cap, no reconnect timeout, no exclusions), the metrics of docs/metrics.md 1-3:

- de-duplication: exact duplicates of (content, user, started, ended, data_version), and
  an open copy (no `ended`) of a closed session of the same named user;
- the window `[min started, max(max started, max ended))` and the intervals `[started,
  end)` (a missing end capped at 24 h or the window end, a reversed one empty);
- the exact concurrency sweep of sessions: peak, first peak instant, time-weighted
  average, time p95 (smallest L with 100 T(c <= L) >= 95 T(window));
- the distinct-user series (a user's overlapping sessions merged, intervals that only
  touch kept apart, each anonymous session its own user): peak;
- the peak of every UTC calendar day overlapping the window;
- the peak concurrent sessions of every content item.

`compare` exits 1, naming every difference, unless the baseline's numbers equal the
tool's (`average` within 1e-9 relative, everything else exactly).
"""

import json
import sys

DAY = 86_400_000_000
CAP = 24 * 3_600_000_000


def write(out, res):
    with open(out, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)


# ---------------------------------------------------------------------------- DuckDB


def sweep_sql(con, iv, prefix):
    """Step table `{prefix}_steps(t, lvl, nt)` of the intervals in table `iv(s, en)`."""
    con.execute(
        f"""
        CREATE TEMP TABLE {prefix}_steps AS
        WITH ev AS (
            SELECT t, sum(d) AS d FROM (
                SELECT s AS t, 1 AS d FROM {iv} WHERE s < en
                UNION ALL
                SELECT en AS t, -1 AS d FROM {iv}, w WHERE s < en AND en < w1
            ) GROUP BY t
        )
        SELECT t,
               sum(d) OVER (ORDER BY t ROWS UNBOUNDED PRECEDING) AS lvl,
               coalesce(lead(t) OVER (ORDER BY t), (SELECT w1 FROM w)) AS nt
        FROM ev
        """
    )


def series_stats_sql(con, prefix):
    peak, peak_at = con.execute(
        f"""
        SELECT coalesce(max(lvl), 0),
               coalesce(min(t) FILTER (WHERE lvl = (SELECT max(lvl) FROM {prefix}_steps)),
                        (SELECT w0 FROM w))
        FROM {prefix}_steps
        """
    ).fetchone()
    integral, total = con.execute(
        f"SELECT coalesce(sum(lvl::HUGEINT * (nt - t)), 0), (SELECT w1 - w0 FROM w) "
        f"FROM {prefix}_steps"
    ).fetchone()
    p95 = con.execute(
        f"""
        WITH lv AS (
            SELECT lvl, sum(nt - t)::HUGEINT AS dur FROM {prefix}_steps GROUP BY lvl
            UNION ALL
            SELECT 0, coalesce((SELECT min(t) FROM {prefix}_steps), w1) - w0 FROM w
        ), by_level AS (SELECT lvl, sum(dur) AS dur FROM lv GROUP BY lvl),
        cum AS (SELECT lvl, sum(dur) OVER (ORDER BY lvl ROWS UNBOUNDED PRECEDING) AS c
                FROM by_level)
        SELECT min(lvl) FROM cum WHERE 100 * c >= 95 * (SELECT w1 - w0 FROM w)
        """
    ).fetchone()[0]
    return {
        "peak": int(peak),
        "peak_at": int(peak_at),
        "average": float(integral) / float(total),
        "p95": int(p95),
    }


class Timed:
    """A DuckDB connection that prints each statement's time when BASELINE_VERBOSE is set."""

    def __init__(self, con):
        import os
        import time

        self.con, self.time, self.verbose = con, time, bool(os.environ.get("BASELINE_VERBOSE"))

    def execute(self, sql):
        t = self.time.perf_counter()
        r = self.con.execute(sql)
        if self.verbose:
            first = " ".join(sql.split())[:70]
            print(f"{self.time.perf_counter() - t:7.2f} s  {first}", file=sys.stderr)
        return r


def run_duckdb(path, out):
    import duckdb

    con = Timed(duckdb.connect())
    # GUIDs as DuckDB's 128-bit UUID type (the dictionary encoding a column store gives
    # them), timestamps as microseconds.
    con.execute(
        f"""
        CREATE TEMP TABLE raw AS
        SELECT content_guid AS c, user_guid AS u, epoch_us(started) AS s,
               epoch_us(ended) AS e, coalesce(data_version, 0) AS dv
        FROM read_csv('{path}', header = true, nullstr = ['NA', ''],
                      timestampformat = '%Y-%m-%dT%H:%M:%SZ',
                      columns = {{'content_guid': 'UUID', 'user_guid': 'UUID',
                                 'started': 'TIMESTAMP', 'ended': 'TIMESTAMP',
                                 'data_version': 'INTEGER'}})
        """
    )
    rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    # Exact duplicates; then open copies of closed sessions of a named user (open rows
    # are few: find those with a closed twin by a join, drop them by an anti join).
    con.execute("CREATE TEMP TABLE d AS SELECT DISTINCT c, u, s, e, dv FROM raw")
    con.execute("DROP TABLE raw")
    con.execute(
        """
        CREATE TEMP TABLE k AS
        SELECT c, u, s, e FROM d WHERE e IS NOT NULL OR u IS NULL
        UNION ALL
        SELECT o.c, o.u, o.s, o.e FROM d AS o
        WHERE o.e IS NULL AND o.u IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM d AS x
            WHERE x.c = o.c AND x.u = o.u AND x.s = o.s AND x.dv = o.dv AND x.e IS NOT NULL)
        """
    )
    con.execute("DROP TABLE d")
    con.execute(
        "CREATE TEMP TABLE w AS SELECT min(s) AS w0, max(greatest(s, coalesce(e, s))) AS w1 FROM k"
    )
    con.execute(
        f"""
        CREATE TEMP TABLE sess AS
        SELECT c, u, s,
               least(CASE WHEN e IS NULL THEN least(s + {CAP}, w1) ELSE greatest(e, s) END,
                     w1) AS en
        FROM k, w
        """
    )
    count = con.execute("SELECT count(*) FROM sess").fetchone()[0]
    con.execute("DROP TABLE k")
    sweep_sql(con, "sess", "s")
    sessions = series_stats_sql(con, "s")
    # Distinct users: merge each named user's overlapping intervals (gaps and islands).
    con.execute(
        """
        CREATE TEMP TABLE uiv AS
        WITH named AS (SELECT u, s, en FROM sess WHERE u IS NOT NULL AND s < en),
        m AS (SELECT u, s, en,
                     max(en) OVER (PARTITION BY u ORDER BY s, en
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pm
              FROM named),
        g AS (SELECT u, s, en,
                     sum(CASE WHEN pm IS NULL OR s >= pm THEN 1 ELSE 0 END)
                         OVER (PARTITION BY u ORDER BY s, en ROWS UNBOUNDED PRECEDING) AS isl
              FROM m)
        SELECT min(s) AS s, max(en) AS en FROM g GROUP BY u, isl
        UNION ALL
        SELECT s, en FROM sess WHERE u IS NULL
        """
    )
    sweep_sql(con, "uiv", "u")
    users = series_stats_sql(con, "u")
    # Daily peaks: per day the highest step starting in it and its last step; a day
    # whose first step is after its (clipped) start also sees the level carried over
    # from the last step before it.
    daily = con.execute(
        f"""
        WITH per_day AS (
            SELECT t // {DAY} AS d, max(lvl) AS top, arg_max(lvl, t) AS last, min(t) AS first_t
            FROM s_steps GROUP BY 1
        ), days AS (
            SELECT r.d, greatest(r.d * {DAY}, w0) AS ds, p.top, p.first_t,
                   last_value(p.last IGNORE NULLS) OVER (
                       ORDER BY r.d ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS carried
            FROM w, range(w0 // {DAY}, (w1 - 1) // {DAY} + 1) AS r(d)
            LEFT JOIN per_day p ON p.d = r.d
        )
        SELECT d, greatest(coalesce(top, 0),
                           CASE WHEN first_t IS NULL OR first_t > ds THEN coalesce(carried, 0)
                                ELSE 0 END)
        FROM days ORDER BY d
        """
    ).fetchall()
    content = con.execute(
        """
        WITH ev AS (
            SELECT c, t, sum(d) AS d FROM (
                SELECT c, s AS t, 1 AS d FROM sess WHERE s < en
                UNION ALL
                SELECT c, en AS t, -1 AS d FROM sess, w WHERE s < en AND en < w1
            ) GROUP BY c, t
        )
        SELECT c::VARCHAR, max(l) FROM (
            SELECT c, sum(d) OVER (PARTITION BY c ORDER BY t ROWS UNBOUNDED PRECEDING) AS l
            FROM ev
        ) GROUP BY c
        """
    ).fetchall()
    write(
        out,
        {
            "rows": int(rows),
            "count": int(count),
            "sessions": sessions,
            "users": users,
            "daily_peaks": [int(p) for _, p in daily],
            "content_peaks": {c: int(p) for c, p in content},
        },
    )


# ----------------------------------------------------------------------- numpy sweeps


def np_steps(np, s, e, w0, w1):
    """Steps (t, level) of intervals [s, e) inside [w0, w1): one per distinct event time."""
    keep = s < e
    s, e = s[keep], e[keep]
    ends = e[e < w1]
    # Packed key: offset from w0, then 0 = end before 1 = start at one instant.
    keys = np.concatenate([(s - w0) * 2 + 1, (ends - w0) * 2])
    keys.sort()
    delta = (keys & 1) * 2 - 1
    level = np.cumsum(delta)
    t = (keys >> 1) + w0
    last = np.ones(len(t), dtype=bool)
    last[:-1] = t[1:] != t[:-1]
    return t[last], level[last]


def np_stats(np, t, lvl, w0, w1):
    if len(t) == 0:
        return {"peak": 0, "peak_at": int(w0), "average": 0.0, "p95": 0}
    nt = np.append(t[1:], w1)
    dur = nt - t
    peak = int(lvl.max())
    peak_at = int(t[np.argmax(lvl == peak)])
    # Exact integer integral (Python ints: no overflow, no float rounding).
    by_level = np.zeros(peak + 1, dtype=np.int64)
    np.add.at(by_level, lvl, dur)
    by_level[0] += int(t[0]) - int(w0)
    integral = sum(int(level) * int(d) for level, d in enumerate(by_level))
    total = int(w1) - int(w0)
    cum = 0
    p95 = peak
    for level, d in enumerate(by_level):
        cum += int(d)
        if 100 * cum >= 95 * total:
            p95 = level
            break
    return {"peak": peak, "peak_at": peak_at, "average": float(integral) / float(total), "p95": p95}


def np_daily(np, t, lvl, w0, w1):
    first, last = w0 // DAY, (w1 - 1) // DAY
    starts = np.maximum(np.arange(first, last + 1, dtype=np.int64) * DAY, w0)
    idx = np.searchsorted(t, starts, side="right") - 1
    at_start = np.where(idx >= 0, lvl[np.maximum(idx, 0)], 0)
    day_of = t // DAY - first
    inside = np.zeros(last - first + 1, dtype=np.int64)
    np.maximum.at(inside, day_of, lvl)
    out = np.maximum(at_start, inside)
    return [int(x) for x in out]


def merge_users(np, u, s, e):
    """Merged intervals of named users (u >= 0), sorted by (u, s, e), plus nothing else."""
    order = np.lexsort((e, s, u))
    u, s, e = u[order], s[order], e[order]
    n = len(u)
    if n == 0:
        return s, e
    # Running max of ends within each user, of the rows before.
    import pandas as pd

    prev_max = pd.Series(e).groupby(u).cummax().shift(1).to_numpy()
    same_user = np.zeros(n, dtype=bool)
    same_user[1:] = u[1:] == u[:-1]
    new = ~same_user | (s >= np.nan_to_num(prev_max, nan=-1).astype(np.int64))
    island = np.cumsum(new)
    df = pd.DataFrame({"i": island, "s": s, "e": e})
    g = df.groupby("i", sort=True).agg(s=("s", "min"), e=("e", "max"))
    return g["s"].to_numpy(), g["e"].to_numpy()


def core_numpy(np, pd, c, u, s, e, rows):
    """Everything after parsing, from arrays (content codes, user codes, -1 anonymous)."""
    w0 = int(s.min())
    w1 = int(max(s.max(), np.nanmax(np.where(e >= 0, e, s))))
    en = np.where(e < 0, np.minimum(s + CAP, w1), np.maximum(e, s))
    en = np.minimum(en, w1)
    return w0, w1, en


def finish(np, out, rows, count, c_names, c, u, s, en, w0, w1):
    t, lvl = np_steps(np, s, en, w0, w1)
    sessions = np_stats(np, t, lvl, w0, w1)
    daily = np_daily(np, t, lvl, w0, w1)
    named = u >= 0
    ms, me = merge_users(np, u[named], s[named], en[named])
    us = np.concatenate([ms, s[~named]])
    ue = np.concatenate([me, en[~named]])
    ut, ul = np_steps(np, us, ue, w0, w1)
    users = np_stats(np, ut, ul, w0, w1)
    content = {}
    order = np.argsort(c, kind="stable")
    cs, ss, es = c[order], s[order], en[order]
    bounds = np.flatnonzero(np.diff(cs)) + 1
    for a, b in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(cs)]])):
        tt, ll = np_steps(np, ss[a:b], es[a:b], w0, w1)
        content[str(c_names[cs[a]])] = int(ll.max()) if len(ll) else 0
    write(
        out,
        {
            "rows": int(rows),
            "count": int(count),
            "sessions": sessions,
            "users": users,
            "daily_peaks": daily,
            "content_peaks": content,
        },
    )


# ---------------------------------------------------------------------------- pandas


def run_pandas(path, out):
    import numpy as np
    import pandas as pd

    df = pd.read_csv(
        path,
        usecols=["content_guid", "user_guid", "started", "ended", "data_version"],
        dtype={"content_guid": "category", "user_guid": "category"},
        na_values=["NA"],
        keep_default_na=False,
    )
    rows = len(df)
    for col in ["started", "ended"]:
        ts = pd.to_datetime(df[col], format="%Y-%m-%dT%H:%M:%SZ")
        us = ts.astype("datetime64[us]").astype("int64")
        df[col] = np.where(ts.isna(), -1, us)
    df["data_version"] = df["data_version"].fillna(0).astype("int64")
    df["c"] = df["content_guid"].cat.codes.astype("int64")
    df["u"] = df["user_guid"].cat.codes.astype("int64")  # -1 = anonymous
    c_names = df["content_guid"].cat.categories
    df = df[["c", "u", "started", "ended", "data_version"]]
    df = df.drop_duplicates()
    closed = (df["ended"] >= 0).groupby(
        [df["c"], df["u"], df["started"], df["data_version"]]
    ).transform("sum")
    df = df[~((df["ended"] < 0) & (df["u"] >= 0) & (closed > 0))]
    c = df["c"].to_numpy()
    u = df["u"].to_numpy()
    s = df["started"].to_numpy()
    e = df["ended"].to_numpy()
    del df
    w0, w1, en = core_numpy(np, pd, c, u, s, e, rows)
    finish(np, out, rows, len(s), c_names, c, u, s, en, w0, w1)


# ---------------------------------------------------------------------------- polars


def run_polars(path, out):
    import numpy as np
    import polars as pl

    lf = pl.scan_csv(
        path,
        null_values=["NA"],
        schema_overrides={"content_guid": pl.Categorical, "user_guid": pl.Categorical},
    ).select(
        pl.col("content_guid").alias("c"),
        pl.col("user_guid").alias("u"),
        pl.col("started").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="us").dt.epoch("us").alias("s"),
        pl.col("ended").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="us").dt.epoch("us").alias("e"),
        pl.col("data_version").fill_null(0).alias("dv"),
    )
    df = lf.collect()
    rows = df.height
    df = df.unique()
    df = df.with_columns(
        pl.col("e").is_not_null().sum().over(["c", "u", "s", "dv"]).alias("closed")
    ).filter(~(pl.col("e").is_null() & pl.col("u").is_not_null() & (pl.col("closed") > 0)))
    c_str = df["c"].cast(pl.Utf8).to_numpy()
    c_names, c = np.unique(c_str, return_inverse=True)
    u_str = df["u"].cast(pl.Utf8).to_numpy()
    u_valid = df["u"].is_not_null().to_numpy()
    _, u = np.unique(np.where(u_valid, u_str, ""), return_inverse=True)
    u = np.where(u_valid, u, -1).astype(np.int64)
    s = df["s"].to_numpy()
    e = df["e"].fill_null(-1).to_numpy()
    del df
    w0, w1, en = core_numpy(np, None, c.astype(np.int64), u, s, e, rows)
    finish(np, out, rows, len(s), c_names, c.astype(np.int64), u, s, en, w0, w1)


# --------------------------------------------------------------------------- compare


def tool_figures(report):
    from datetime import datetime, timezone

    def us(ts):
        d = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S%z") if "." not in ts else datetime.strptime(
            ts, "%Y-%m-%dT%H:%M:%S.%f%z"
        )
        return int(d.replace(tzinfo=timezone.utc).timestamp()) * 1_000_000 + d.microsecond

    conc = report["concurrency"]
    return {
        "rows": report["sessions"]["rows"],
        "count": report["sessions"]["count"],
        "sessions": {
            "peak": conc["sessions"]["peak"],
            "peak_at": us(conc["sessions"]["peak_at"]),
            "average": conc["sessions"]["average"],
            "p95": conc["sessions"]["p95"],
        },
        "users": {
            "peak": conc["users"]["peak"],
            "peak_at": us(conc["users"]["peak_at"]),
            "average": conc["users"]["average"],
            "p95": conc["users"]["p95"],
        },
        "daily_peaks": [b["peak"] for b in report["daily"]["series"]],
        "content_peaks": {c["guid"]: c["peak_sessions"] for c in report["content"]},
    }


def compare(tool_path, base_path, name):
    with open(tool_path) as f:
        tool = tool_figures(json.load(f))
    with open(base_path) as f:
        base = json.load(f)
    problems = []

    def same(what, a, b):
        if a != b:
            problems.append(f"{what}: tool {a!r}, {name} {b!r}")

    same("session rows", tool["rows"], base["rows"])
    same("sessions after de-duplication", tool["count"], base["count"])
    for series in ["sessions", "users"]:
        t, b = tool[series], base[series]
        for key in ["peak", "peak_at", "p95"]:
            same(f"{series}.{key}", t[key], b[key])
        ta, ba = t["average"], b["average"]
        if abs(ta - ba) > 1e-9 * max(abs(ta), abs(ba), 1e-300):
            problems.append(f"{series}.average: tool {ta!r}, {name} {ba!r}")
    same("number of days", len(tool["daily_peaks"]), len(base["daily_peaks"]))
    diff_days = [
        i for i, (a, b) in enumerate(zip(tool["daily_peaks"], base["daily_peaks"])) if a != b
    ]
    if diff_days:
        i = diff_days[0]
        problems.append(
            f"daily peaks differ on {len(diff_days)} days, first day {i}: tool "
            f"{tool['daily_peaks'][i]}, {name} {base['daily_peaks'][i]}"
        )
    for guid in sorted(set(tool["content_peaks"]) | set(base["content_peaks"])):
        same(
            f"content {guid} peak",
            tool["content_peaks"].get(guid, 0),
            base["content_peaks"].get(guid, 0),
        )
    if problems:
        print(f"MISMATCH: {name} disagrees with connect-capacity:", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        sys.exit(1)
    print(
        f"ok: {name} agrees with connect-capacity (peak {tool['sessions']['peak']}, "
        f"users peak {tool['users']['peak']}, {len(tool['daily_peaks'])} days, "
        f"{len(tool['content_peaks'])} content items)"
    )


def main(argv):
    if len(argv) >= 3 and argv[0] == "compare":
        compare(argv[1], argv[2], argv[3] if len(argv) > 3 else "baseline")
    elif len(argv) == 3 and argv[0] in ("duckdb", "pandas", "polars"):
        {"duckdb": run_duckdb, "pandas": run_pandas, "polars": run_polars}[argv[0]](
            argv[1], argv[2]
        )
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
