"""Prints the benchmark results as a Markdown table with our/mosquitto ratios (above 1: we win)."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
by_name = {}
for row in rows:
    by_name.setdefault(row["name"], {})[row["broker"]] = row["result"]


def lines(name, results):
    """One table line per measured quantity: (label, unit, value getter, higher is better)."""
    if "idle" in name:
        yield name + ": memory per connection", "B/conn", lambda r: r.get("bytesPerConnection"), False
    elif "latency" in name:
        yield name + ": p99 latency", "µs", lambda r: r["p99Micros"], False
    elif "storm" in name:
        yield name + ": connections", "/s", lambda r: r["rate"], True
        yield name + ": connections per broker CPU-second", "/CPU-s", per_cpu_second, True
        yield name + ": memory per connection", "B/conn", lambda r: r.get("bytesPerConnection"), False
    else:
        yield name, "msg/s", lambda r: r["rate"], True
        yield name + ": messages per broker CPU-second", "/CPU-s", per_cpu_second, True


def per_cpu_second(r):
    """What the broker did per second of its own CPU time (user + system)."""
    cpu = r.get("brokerCPUSeconds")
    return r["delivered"] / cpu if cpu else None


print("| scenario | ours | mosquitto | ratio | p50 / p99 ours (ms) | p50 / p99 mosquitto (ms) |")
print("| --- | --- | --- | --- | --- | --- |")
for name, results in by_name.items():
    ours, theirs = results.get("ours"), results.get("mosquitto")
    for label, unit, value, higher_better in lines(name, results):
        def show(r):
            if r is None or value(r) is None:
                return "-"
            lost = "" if r["delivered"] >= r["expected"] else f" ({r['expected'] - r['delivered']} missing)"
            return f"{value(r):,.0f} {unit}{lost}"

        def latency(r):
            return "-" if r is None else f"{r['p50Micros'] / 1000:.1f} / {r['p99Micros'] / 1000:.1f}"

        ratio = "-"
        if ours and theirs and value(ours) and value(theirs):
            ratio = f"{(value(ours) / value(theirs)) if higher_better else (value(theirs) / value(ours)):.2f}x"
        print(f"| {label} | {show(ours)} | {show(theirs)} | {ratio} | {latency(ours)} | {latency(theirs)} |")
