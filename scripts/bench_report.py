"""Prints the benchmark results as a Markdown table with our/mosquitto ratios."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1])]
by_name = {}
for row in rows:
    by_name.setdefault(row["name"], {})[row["broker"]] = row["result"]

print("| scenario | ours | mosquitto | ratio | p50 / p99 ours (ms) | p50 / p99 mosquitto (ms) |")
print("| --- | --- | --- | --- | --- | --- |")
for name, results in by_name.items():
    ours, theirs = results.get("ours"), results.get("mosquitto")
    def value(r):
        if r is None:
            return None
        if r.get("bytesPerConnection") is not None and "idle" in name:
            return r["bytesPerConnection"]
        return r["rate"]
    def show(r):
        if r is None:
            return "-"
        v = value(r)
        unit = " B/conn" if "idle" in name else " /s"
        lost = "" if r["delivered"] >= r["expected"] else f" ({r['expected'] - r['delivered']} lost)"
        return f"{v:,.0f}{unit}{lost}"
    def lat(r):
        return "-" if r is None else f"{r['p50Micros']/1000:.1f} / {r['p99Micros']/1000:.1f}"
    ratio = "-"
    if ours and theirs and value(theirs):
        # Memory: lower is better, so the ratio is theirs/ours there too (above 1 means we win).
        ratio = value(theirs) / value(ours) if "idle" in name else value(ours) / value(theirs)
        ratio = f"{ratio:.2f}x"
    print(f"| {name} | {show(ours)} | {show(theirs)} | {ratio} | {lat(ours)} | {lat(theirs)} |")
