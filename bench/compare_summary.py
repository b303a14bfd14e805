#!/usr/bin/env python3
"""bench/compare's tables from its JSONL (stdlib only).

usage: compare_summary.py RESULTS.jsonl > RESULTS.md

Every cell is the median over rounds. Client µs/op is the client process's user+sys CPU
per operation over the measured part. The perf columns count the whole client process
(setup and the warm-up pass included) per measured operation plus warm-up operation, so
they are a little high in absolute terms and exact in comparison.
"""
import json
import statistics
import sys
from collections import defaultdict

WORKLOADS = ["sync_get", "pipelined_get", "pipelined_create_delete", "large_get", "watch_storm"]
# The warm-up pass of every zkbench: max(N/10, floor) operations.
WARMUP_FLOOR = {"sync_get": 1000, "pipelined_get": 10000, "pipelined_create_delete": 2000,
                "large_get": 20, "watch_storm": 500}
FLOORS = ("floor", "floor-lowat", "floor-thread", "floor-tokio")
# Each of our drivers and the floor of its model: the same model with no library
# (rust-floor: one blocking socket; bench/floors: an IO thread, a tokio task).
MODEL_FLOORS = {"ours-blocking": "floor", "ours-shared": "floor-thread", "ours-tokio": "floor-tokio"}


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1):
    if x is None:
        return "–"
    return f"{x:,.{nd}f}" if nd else f"{x:,.0f}"


def metrics(row):
    ops = row["ops"]
    counted = ops + max(ops // 10, WARMUP_FLOOR.get(row["workload"], 0))
    m = {
        "ops_per_s": row.get("ops_per_s"),
        "cpu_us": row["client_cpu_s"] / ops * 1e6 if ops else None,
        "p50": row.get("p50_us"),
        "p99": row.get("p99_us"),
        "seconds": row.get("seconds"),
        "mb_per_s": row.get("mb_per_s"),
    }
    for counter in ("context_switches", "instructions", "task_clock"):
        value = row.get("perf_" + counter)
        m[counter] = value / counted if value is not None else None
    return m


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    groups = defaultdict(list)
    names = {"peers": [], "plain": [], "tls": [], "memory": []}
    memory = defaultdict(list)
    for r in rows:
        if r["name"] not in names[r["phase"]]:
            names[r["phase"]].append(r["name"])
        if r["phase"] == "memory":
            memory[r["name"]].append(r)
        else:
            groups[(r["phase"], r["name"], r["workload"])].append(metrics(r))

    def med(phase, name, workload, key):
        return median([m[key] for m in groups.get((phase, name, workload), [])])

    out = []
    w = out.append
    rounds = max((r["round"] for r in rows), default=0)
    w(f"# bench/compare: {len(rows)} runs, {rounds} rounds, medians\n")
    if names["peers"]:
        w("## Every client, every workload (server on CPU 0, client on CPU 1)\n")
        w("| workload | client | ops/s | client µs/op | p50 µs | p99 µs | ctx switches/op | instructions/op |")
        w("|---|---|---:|---:|---:|---:|---:|---:|")
        for wl in WORKLOADS:
            for name in names["peers"]:
                if (("peers", name, wl)) not in groups:
                    continue
                g = lambda k: med("peers", name, wl, k)
                w(f"| {wl} | {name} | {fmt(g('ops_per_s'), 0)} | {fmt(g('cpu_us'), 2)} | "
                  f"{fmt(g('p50'))} | {fmt(g('p99'))} | {fmt(g('context_switches'), 3)} | "
                  f"{fmt(g('instructions'), 0)} |")
        w("")
        targets(w, names["peers"], med)
        model_floors(w, names["peers"], med)
    if memory:
        memory_table(w, memory)
    if names["tls"]:
        w("## TLS beside plaintext (one server with both ports)\n")
        w("| workload | client | ops/s plain | ops/s TLS | µs/op plain | µs/op TLS | CPU TLS/plain |")
        w("|---|---|---:|---:|---:|---:|---:|")
        for wl in WORKLOADS:
            for name in names["tls"]:
                p = med("plain", name, wl, "cpu_us")
                t = med("tls", name, wl, "cpu_us")
                ratio = t / p if p and t else None
                w(f"| {wl} | {name} | {fmt(med('plain', name, wl, 'ops_per_s'), 0)} | "
                  f"{fmt(med('tls', name, wl, 'ops_per_s'), 0)} | {fmt(p, 2)} | {fmt(t, 2)} | "
                  f"{fmt(ratio, 2)}x |")
        w("")
    print("\n".join(out))


def memory_table(w, memory):
    """Resident memory per watch and per request in flight, against kezhuw's client."""
    w("## Memory: resident bytes per watch and per request in flight\n")
    w("| client | watches | requests | bytes/watch | bytes/request | vs kezhuw (watch / request; target ≤ 0.5) |")
    w("|---|---:|---:|---:|---:|---:|")
    med = {n: (median([r["bytes_per_watch"] for r in rs]), median([r["bytes_per_request"] for r in rs]),
               rs[0]["watches"], rs[0]["requests"]) for n, rs in memory.items()}
    peer = med.get("rust")
    for name, (watch, request, watches, requests) in med.items():
        ratio = "–"
        if peer and name != "rust" and peer[0] and peer[1]:
            ratio = f"{watch / peer[0]:.2f} / {request / peer[1]:.2f}"
        w(f"| {name} | {watches:,} | {requests:,} | {fmt(watch, 0)} | {fmt(request, 0)} | {ratio} |")
    w("")


def targets(w, clients, med):
    """Issue 17's table: each of our drivers against the best peer (floors aside)."""
    ours = [c for c in clients if c.startswith("ours-")]
    peers = [c for c in clients if not c.startswith("ours-") and c not in FLOORS]
    # (label, workload, metric, higher is better, target ratio)
    rows = [
        ("pipelined_get client µs/op", "pipelined_get", "cpu_us", False, 0.25),
        ("pipelined_get ops/s", "pipelined_get", "ops_per_s", True, 1.1),
        ("pipelined_create_delete ops/s", "pipelined_create_delete", "ops_per_s", True, 1.1),
        ("pipelined_create_delete client µs/op", "pipelined_create_delete", "cpu_us", False, 0.3),
        ("sync_get p50 µs", "sync_get", "p50", False, 0.9),
        ("sync_get p99 µs", "sync_get", "p99", False, 0.9),
        ("sync_get client µs/op", "sync_get", "cpu_us", False, 0.5),
        ("large_get ops/s", "large_get", "ops_per_s", True, 1.1),
        ("large_get client µs/op", "large_get", "cpu_us", False, 0.5),
        ("watch_storm seconds", "watch_storm", "seconds", False, 0.9),
    ]
    w("## Targets: each of our drivers against the best peer (ratio = ours / best)\n")
    w("| metric | best peer | " + " | ".join(ours) + " | target |")
    w("|---|---|" + "---:|" * len(ours) + "---:|")
    for label, wl, key, higher, target in rows:
        nd = {"ops_per_s": 0, "seconds": 3}.get(key, 2)
        values = [(med("peers", p, wl, key), p) for p in peers]
        values = [(v, p) for v, p in values if v is not None]
        if not values:
            continue
        best, who = (max if higher else min)(values)
        cells = []
        for o in ours:
            v = med("peers", o, wl, key)
            if v is None:
                cells.append("–")
                continue
            ratio = v / best if best else None
            met = ratio is not None and (ratio >= target if higher else ratio <= target)
            cells.append(f"{fmt(v, nd)} ({fmt(ratio, 2)}{' ✓' if met else ''})")
        sign = "≥" if higher else "≤"
        w(f"| {label} | {fmt(best, nd)} ({who}) | " + " | ".join(cells) + f" | {sign} {target} |")
    w("")
    floors = [f for f in FLOORS if f in clients]
    if floors:
        w("Floors (no library; hand-encoded frames): " + "; ".join(
            f"{f}: sync_get {fmt(med('peers', f, 'sync_get', 'cpu_us'), 2)} µs/op, "
            f"pipelined_get {fmt(med('peers', f, 'pipelined_get', 'cpu_us'), 2)} µs/op"
            for f in floors) + ".\n")


def model_floors(w, clients, med):
    """Each of our drivers beside the floor of its model (the part of its cost the model
    itself takes: the threads, wake-ups and runtime with no session behind them)."""
    pairs = [(o, f) for o, f in MODEL_FLOORS.items() if o in clients and f in clients]
    if not pairs:
        return
    w("## Each of our drivers beside the floor of its model\n")
    w("blocking: `floor` (one blocking socket); shared: `floor-thread` (an IO thread on mio "
      "hands replies to parked callers); tokio: `floor-tokio` (a driver task on the "
      "current-thread runtime wakes the callers' futures). Over = ours − floor. sync_get is "
      "where the floor is a floor; in pipelined_get and large_get the floors wake for what "
      "each read brings (no receive low-water mark, which our drivers set), so ours may "
      "cost less.\n")
    w("| workload | driver | floor | µs/op ours | floor | over | ctx switches/op ours | floor "
      "| instructions/op ours | floor | over |")
    w("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for wl in ("sync_get", "pipelined_get", "large_get"):
        for ours, floor in pairs:
            g = lambda c, k: med("peers", c, wl, k)
            if g(floor, "cpu_us") is None:
                continue  # the floor does not run this workload (rust-floor: no large_get)
            cpu, fcpu = g(ours, "cpu_us"), g(floor, "cpu_us")
            ins, fins = g(ours, "instructions"), g(floor, "instructions")
            over = lambda a, b: a - b if a is not None and b is not None else None
            w(f"| {wl} | {ours[5:]} | {floor} | {fmt(cpu, 2)} | {fmt(fcpu, 2)} | {fmt(over(cpu, fcpu), 2)} | "
              f"{fmt(g(ours, 'context_switches'), 3)} | {fmt(g(floor, 'context_switches'), 3)} | "
              f"{fmt(ins, 0)} | {fmt(fins, 0)} | {fmt(over(ins, fins), 0)} |")
    w("")


if __name__ == "__main__":
    main()
