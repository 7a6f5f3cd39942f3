#!/usr/bin/env python3
"""Summarises the per-run CSV of tests/bench/run or tests/bench/scaling: the median of every
figure per (server, cap, case).

Writes OUT (summary CSV, one row per server, cap and case), OUT-ratios.csv (loopscope recording
on divided by every other server, per case and cap) and OUT.md (the tables it prints).
Ratios: req/s and MB/s above 1 mean loopscope is ahead; latency and CPU below 1 mean it is.
A runs CSV from tests/bench/scaling also has the columns sweep, file_kib, rss_before_kib and
rss_peak_kib: the summary then has the sweep, the file size and the median RSS in MiB, and the
tables end with one table per sweep and figure (a row per swept value, a column per server).
"""
import argparse
import csv
import statistics

REFERENCE = "loopscope"  # the server every other one is compared with
NO_RECORD = "loopscope-norec"


NAN = float("nan")


def median(values):
    """The median of the finite values; NaN when there are none."""
    values = [v for v in values if v == v]
    return statistics.median(values) if values else NAN


def rounded(x, digits):
    """x rounded, or "" for NaN (a run without a completed request has no CPU per request)."""
    return "" if x != x else round(x, digits)


def ratio(a, b):
    """a / b, NaN when either is missing ("") or b is zero."""
    return a / b if a != "" and b != "" and b else NAN


def read_runs(path):
    """Per (server, cap, case): lists of each figure, in the order servers and cases appear."""
    groups, order = {}, {"server": [], "case": [], "cap": []}
    for r in csv.DictReader(open(path)):
        for key in order:
            if r[key] not in order[key]:
                order[key].append(r[key])
        g = groups.setdefault((r["server"], r["cap"], r["case"]), {
            "connections": r["connections"], "sweep": r.get("sweep", ""),
            "file_kib": r.get("file_kib", ""), "rps": [], "mbps": [], "p50": [], "p99": [],
            "cpu": [], "err": [], "status": [], "rss_before": [], "rss_peak": [], "run": []})
        req, dur_us = int(r["requests"]), int(r["duration_us"])
        g["run"].append(r["run"])
        g["rps"].append(req / (dur_us / 1e6))
        g["mbps"].append(int(r["bytes"]) / dur_us)  # bytes per µs = 10^6 bytes per s
        g["p50"].append(float(r["p50_us"]))
        g["p99"].append(float(r["p99_us"]))
        g["cpu"].append(int(r["cpu_ticks"]) / int(r["clk_tck"]) * 1e6 / req if req else NAN)
        g["err"].append(int(r["errors"]))
        g["status"].append(int(r["status_errors"]))
        if r.get("rss_peak_kib"):
            g["rss_before"].append(int(r["rss_before_kib"]) / 1024)
            # Without a completed request it is unknown how many connections the server held
            # (wrk may still have been opening them), so the peak says nothing about the point.
            g["rss_peak"].append(int(r["rss_peak_kib"]) / 1024 if req else NAN)
    return groups, order


def read_memory(path):
    if not path:
        return {}
    out = {}
    for m in csv.DictReader(open(path)):
        out[m["server"]] = (int(m["rss_after_kib"]) - int(m["rss_before_kib"])) * 1024 / int(m["connections"])
    return out


SUMMARY_FIELDS = ["server", "cap", "case", "connections", "runs", "requests_per_s", "mb_per_s",
                  "p50_us", "p99_us", "cpu_us_per_request", "socket_errors", "status_errors",
                  "rss_bytes_per_idle_conn"]
RATIO_FIELDS = ["case", "cap", "peer", "requests_per_s", "mb_per_s", "p50_us", "p99_us",
                "cpu_us_per_request"]
FIGURES = ["requests_per_s", "mb_per_s", "p50_us", "p99_us", "cpu_us_per_request"]
SCALING_FIELDS = ["sweep", "file_kib", "rss_before_mib", "rss_peak_mib"]
# Per sweep of tests/bench/scaling: the summary column it varies, and the heading of that column.
SWEEP_AXES = {"connections": ("connections", "connections"), "filesize": ("file_kib", "file KiB")}
# The figures shown per sweep, with their headings and how many decimals they keep.
SCALING_FIGURES = [("requests_per_s", "requests/s", 0), ("mb_per_s", "MB/s", 1),
                   ("cpu_us_per_request", "server CPU µs per request", 2),
                   ("rss_peak_mib", "server peak RSS, MiB", 1)]


def summarize(groups, memory):
    rows = {}
    for (server, cap, case), g in groups.items():
        rss = memory.get(server)
        rows[(server, cap, case)] = {
            "server": server, "cap": cap, "case": case, "connections": g["connections"],
            "runs": len(g["rps"]), "requests_per_s": round(median(g["rps"])),
            "mb_per_s": round(median(g["mbps"]), 1), "p50_us": round(median(g["p50"])),
            "p99_us": round(median(g["p99"])), "cpu_us_per_request": rounded(median(g["cpu"]), 2),
            "socket_errors": max(g["err"]), "status_errors": max(g["status"]),
            "rss_bytes_per_idle_conn": "" if rss is None else round(rss),
            "sweep": g["sweep"], "file_kib": g["file_kib"],
            "rss_before_mib": rounded(median(g["rss_before"]), 2),
            "rss_peak_mib": rounded(median(g["rss_peak"]), 2)}
    return rows


def ratios(rows, order):
    out = []
    for case in order["case"]:
        for cap in order["cap"]:
            ref = rows.get((REFERENCE, cap, case))
            if not ref:
                continue
            for peer in order["server"]:
                other = rows.get((peer, cap, case))
                if peer == REFERENCE or not other:
                    continue
                r = {"case": case, "cap": cap, "peer": peer}
                for f in FIGURES:
                    r[f] = rounded(ratio(ref[f], other[f]), 3)
                out.append(r)
    return out


def fmt_ratio(x):
    return "–" if x == "" or x != x else f"{x:.2f}×"


def fmt_cpu(x):
    return "–" if x == "" else f"{x:.2f}"


def case_tables(rows, ratio_rows, order):
    lines = []
    by_peer = {(r["case"], r["cap"], r["peer"]): r for r in ratio_rows}
    for case in order["case"]:
        for cap in order["cap"]:
            present = [s for s in order["server"] if (s, cap, case) in rows]
            if not present:
                continue
            conns = rows[(present[0], cap, case)]["connections"]
            title = f"{case} ({conns} connections" + (")" if cap == "none" else f", server capped at {cap} of a core)")
            lines += ["", f"### {title}", "",
                      "| server | req/s | MB/s | p50 µs | p99 µs | CPU µs/req | errors sock/status "
                      "| loopscope ÷ server: req/s | MB/s | p99 | CPU/req |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for server in present:
                r = rows[(server, cap, case)]
                q = by_peer.get((case, cap, server))
                rel = ["–"] * 4 if not q else [fmt_ratio(q[f]) for f in ("requests_per_s", "mb_per_s", "p99_us", "cpu_us_per_request")]
                lines.append(f"| {server} | {r['requests_per_s']:,} | {r['mb_per_s']:,} | {r['p50_us']:,} "
                             f"| {r['p99_us']:,} | {fmt_cpu(r['cpu_us_per_request'])} "
                             f"| {r['socket_errors']}/{r['status_errors']} | " + " | ".join(rel) + " |")
    return lines


def per_run_ratios(mine, theirs, key):
    """mine[key] / theirs[key] for every run both have a finite figure for."""
    a, b = dict(zip(mine["run"], mine[key])), dict(zip(theirs["run"], theirs[key]))
    return [a[k] / b[k] for k in a if k in b and a[k] == a[k] and b[k] == b[k] and b[k]]


def run_by_run(groups, order):
    """Each loopscope row (recording, not recording, accept not deferred) ÷ each other server within
    each run (runs are interleaved, so the two ran minutes apart at most): the range and median
    of those ratios, which see past the drift of a shared machine better than a ratio of
    medians. Only with 3 runs or more."""
    lines = []
    ours = [s for s in order["server"] if s.startswith(REFERENCE)]
    peers = [s for s in order["server"] if not s.startswith(REFERENCE)]
    for case in order["case"]:
        for cap in order["cap"]:
            for mine in ours:
                for peer in peers:
                    a, b = groups.get((mine, cap, case)), groups.get((peer, cap, case))
                    if not a or not b or len(a["run"]) < 3:
                        continue
                    cells = []
                    for key in ("cpu", "mbps"):
                        r = per_run_ratios(a, b, key)
                        cells.append(f"{min(r):.2f}–{max(r):.2f} | {fmt_ratio(median(r))}" if r else "– | –")
                    if not lines:
                        lines = ["", "### Run by run (each loopscope row ÷ each other server within the same run)", "",
                                 "| case | cap | ratio | CPU/req: range | median | MB/s: range | median |",
                                 "|---|---|---|---|---:|---|---:|"]
                    lines.append(f"| {case} | {cap} | {mine} ÷ {peer} | " + " | ".join(cells) + " |")
    return lines


def recording_cost(rows, order):
    lines = []
    pairs = [(case, cap) for case in order["case"] for cap in order["cap"]
             if (REFERENCE, cap, case) in rows and (NO_RECORD, cap, case) in rows]
    if not pairs:
        return lines
    lines += ["", "### Recording cost (loopscope recording on ÷ off)", "",
              "| case | cap | CPU µs/req on | CPU µs/req off | CPU ratio | req/s ratio |",
              "|---|---|---:|---:|---:|---:|"]
    for case, cap in pairs:
        on, off = rows[(REFERENCE, cap, case)], rows[(NO_RECORD, cap, case)]
        cpu = ratio(on["cpu_us_per_request"], off["cpu_us_per_request"])
        change = "" if cpu != cpu else f" ({(cpu - 1) * 100:+.1f}%)"
        lines.append(f"| {case} | {cap} | {fmt_cpu(on['cpu_us_per_request'])} | {fmt_cpu(off['cpu_us_per_request'])} "
                     f"| {fmt_ratio(cpu)}{change} "
                     f"| {fmt_ratio(ratio(on['requests_per_s'], off['requests_per_s']))} |")
    return lines


def memory_table(memory, order):
    if not memory:
        return []
    lines = ["", "### Idle keep-alive memory", "", "| server | bytes per connection | loopscope ÷ server |",
             "|---|---:|---:|"]
    ref = memory.get(REFERENCE)
    for server in order["server"]:
        if server in memory:
            rel = "–" if ref is None or server == REFERENCE else fmt_ratio(ratio(ref, memory[server]))
            lines.append(f"| {server} | {memory[server]:,.0f} | {rel} |")
    if any(server.startswith("nginx") for server in memory):
        lines += ["", "(nginx allocates its whole connection array, worker_connections entries, at start,"
                  " so part of its per-connection cost is in its 'before' figure.)"]
    return lines


def scaling_tables(rows, order):
    """Per sweep and figure: a row per swept value (in the order measured), a column per server."""
    lines = []
    sweeps = [s for s in SWEEP_AXES if any(r["sweep"] == s for r in rows.values())]
    for sweep in sweeps:
        x_field, x_heading = SWEEP_AXES[sweep]
        points = {}  # swept value -> {server: row}, in the order the cases appear
        for case in order["case"]:
            for server in order["server"]:
                r = rows.get((server, "none", case))
                if r and r["sweep"] == sweep:
                    points.setdefault(r[x_field], {})[server] = r
        servers = [s for s in order["server"] if any(s in by for by in points.values())]
        for field, heading, digits in SCALING_FIGURES:
            lines += ["", f"### {heading} against {x_heading} ({sweep} sweep)", "",
                      f"| {x_heading} | " + " | ".join(servers) + " |",
                      "|---:|" + "---:|" * len(servers)]
            for x, by_server in points.items():
                cells = [fmt_figure(by_server[s][field], digits) if s in by_server else "–"
                         for s in servers]
                lines.append(f"| {int(x):,} | " + " | ".join(cells) + " |")
    return lines


def fmt_figure(x, digits):
    return "–" if x == "" or x != x else f"{x:,.{digits}f}"


def write_csv(path, fields, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", required=True, help="per-run CSV written by tests/bench/run or tests/bench/scaling")
    parser.add_argument("--memory", help="idle-memory CSV (server,rss_before_kib,rss_after_kib,connections)")
    parser.add_argument("--out", required=True, help="summary CSV to write")
    args = parser.parse_args()

    groups, order = read_runs(args.runs)
    memory = read_memory(args.memory)
    rows = summarize(groups, memory)
    ratio_rows = ratios(rows, order)
    base = args.out[:-4] if args.out.endswith(".csv") else args.out
    scaling = any(r["sweep"] for r in rows.values())
    write_csv(args.out, SUMMARY_FIELDS + (SCALING_FIELDS if scaling else []), rows.values())
    write_csv(base + "-ratios.csv", RATIO_FIELDS, ratio_rows)

    lines = ["Medians of each figure over the runs. Ratios are loopscope (recording on) ÷ the row's "
             "server: req/s and MB/s above 1×, p99 and CPU/req below 1× mean loopscope is ahead."]
    lines += case_tables(rows, ratio_rows, order)
    lines += run_by_run(groups, order)
    lines += recording_cost(rows, order)
    lines += memory_table(memory, order)
    lines += scaling_tables(rows, order)
    table = "\n".join(lines)
    print(table)
    open(base + ".md", "w").write(table + "\n")


if __name__ == "__main__":
    main()
