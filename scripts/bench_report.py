"""Prints the benchmark results as a Markdown table with our/mosquitto ratios (above 1: we win)."""
import json
import os
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
        yield name + ": broker CPU per connection", "µs", lambda r: micros_per_item(r, "brokerCPUSeconds"), False
        yield name + ": of which kernel (system time)", "µs", lambda r: micros_per_item(r, "brokerSystemCPUSeconds"), False
        yield name + ": load tool CPU per connection", "µs", lambda r: micros_per_item(r, "loadCPUSeconds"), None
        yield name + ": cores both need at this rate, of " + str(os.cpu_count()), "", cores_needed, None
        yield name + ": memory per connection", "B/conn", lambda r: r.get("bytesPerConnection"), False
    else:
        yield name, "msg/s", lambda r: r["rate"], True
        yield name + ": messages per broker CPU-second", "/CPU-s", per_cpu_second, True
        yield name + ": broker CPU per message", "µs", lambda r: micros_per_item(r, "brokerCPUSeconds"), False
        yield name + ": of which kernel (system time)", "µs", lambda r: micros_per_item(r, "brokerSystemCPUSeconds"), False


def micros_per_item(r, key):
    """CPU microseconds per delivered item (connection or message)."""
    cpu = r.get(key)
    return cpu * 1e6 / r["delivered"] if cpu is not None and r["delivered"] else None


def cores_needed(r):
    """Broker and load tool CPU per connection times the rate: near the core count, the machine
    (both processes on it), not the broker alone, is the limit."""
    broker, load = r.get("brokerCPUSeconds"), r.get("loadCPUSeconds")
    return (broker + load) / r["delivered"] * r["rate"] if broker is not None and load is not None and r["delivered"] else None


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
            v = value(r)
            if not unit:
                shown = f"{v:.2f}"
            else:  # microseconds per message need their decimals
                shown = f"{v:,.2f} {unit}" if unit == "µs" and v < 100 else f"{v:,.0f} {unit}"
            return shown + lost

        def latency(r):
            return "-" if r is None else f"{r['p50Micros'] / 1000:.1f} / {r['p99Micros'] / 1000:.1f}"

        ratio = "-"
        # A broker that dropped messages did less work: its rate and CPU figures do not compare.
        if higher_better is not None and any(r and r["delivered"] < r["expected"] for r in (ours, theirs)):
            ratio = "not comparable (missing)"
        elif higher_better is not None and ours and theirs and value(ours) and value(theirs):
            ratio = f"{(value(ours) / value(theirs)) if higher_better else (value(theirs) / value(ours)):.2f}x"
        print(f"| {label} | {show(ours)} | {show(theirs)} | {ratio} | {latency(ours)} | {latency(theirs)} |")
