"""Summaries for bench/e2e.sh.

    summarise.py runs RUNS.txt SHAPE N     median wall and median peak RSS per engine, one
                                           line "SHAPE ENGINE N WALL RSS_KB RUNS" each
    summarise.py table RESULTS.txt ENFORCE the Markdown table of BENCHMARKS.md, the ratios
                                           to the peers, the targets and linearity; exit 1
                                           when linearity fails, or a target is missed and
                                           ENFORCE is 1

Ratios come only from runs of the same sitting: the tool's median wall time over the
faster peer's median, its median peak RSS over the leaner peer's.
"""

import statistics
import sys

# BENCHMARKS.md's targets on the busy shape: tool / faster peer (wall) and tool / leaner
# peer (peak RSS), both at most this.
TARGETS = {1_000_000: 0.5, 10_000_000: 0.35}
NAME = {"tool": "connect-capacity"}


def runs(path, shape, n):
    by_engine = {}
    for line in open(path):
        engine, wall, rss = line.split()
        by_engine.setdefault(engine, []).append((float(wall), int(rss)))
    for engine, xs in by_engine.items():
        wall = statistics.median(w for w, _ in xs)
        rss = int(statistics.median(r for _, r in xs))
        print(shape, engine, n, wall, rss, len(xs))


def table(path, enforce):
    t = {}
    for shape, engine, n, wall, rss, k in (line.split() for line in open(path)):
        t[(shape, engine, int(n))] = (float(wall), int(rss), int(k))
    print("| shape | sessions | engine | wall (s) | peak RSS (MB) | runs "
          "| wall / faster peer | RSS / leaner peer |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    ok, verdicts = True, []
    for shape in dict.fromkeys(k[0] for k in t):
        sizes = sorted({k[2] for k in t if k[0] == shape})
        for n in sizes:
            peers = [v for k, v in t.items() if k[0] == shape and k[2] == n and k[1] != "tool"]
            fw = min((v[0] for v in peers), default=None)
            lr = min((v[1] for v in peers), default=None)
            for (sh, engine, m), (w, r, k) in t.items():
                if sh != shape or m != n:
                    continue
                tool = engine == "tool"
                rw = f"{w / fw:.2f}" if tool and fw else ""
                rr = f"{r / lr:.2f}" if tool and lr else ""
                print(f"| {shape} | {n:,} | {NAME.get(engine, engine)} | {w:.2f} "
                      f"| {r / 1024:,.0f} | {k} | {rw} | {rr} |")
            tool = t.get((shape, "tool", n))
            if shape == "busy" and n in TARGETS and tool and fw and lr:
                goal = TARGETS[n]
                met = tool[0] / fw <= goal and tool[1] / lr <= goal
                verdicts.append(
                    f"target, busy, {n:,} sessions: wall {tool[0] / fw:.2f}, RSS "
                    f"{tool[1] / lr:.2f} (both at most {goal}): {'met' if met else 'NOT met'}")
                ok = ok and (met or not enforce)
        if len(sizes) >= 2 and all((shape, "tool", n) in t for n in sizes):
            a, b = sizes[0], sizes[-1]
            growth = t[(shape, "tool", b)][0] / t[(shape, "tool", a)][0]
            limit = b / a * 1.1
            verdict = "ok" if growth <= limit else "NOT LINEAR"
            verdicts.append(f"linearity, {shape}: {b / a:.0f}x the sessions took {growth:.2f}x "
                            f"the time (limit {limit:.0f}x): {verdict}")
            ok = ok and growth <= limit
    print()
    print("\n".join(verdicts))
    return ok


def main(argv):
    if len(argv) == 4 and argv[0] == "runs":
        runs(argv[1], argv[2], argv[3])
        return 0
    if len(argv) == 3 and argv[0] == "table":
        return 0 if table(argv[1], argv[2] == "1") else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
