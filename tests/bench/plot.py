"""The benchmark plot: wall time and requests against scenario size, per job and case.

Run by `bench --plot` as `python -c <this> results.csv benchmarks.png`.
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

source, target = sys.argv[1], sys.argv[2]
series = defaultdict(list)
with open(source, newline="") as f:
    for row in csv.DictReader(f):
        key = f"{row['job']} / {row['case']}"
        requests = int(row["autotask"]) + int(row["acronis"])
        series[key].append((int(row["companies"]), float(row["wall_s"]), requests))

fig, (wall, reqs) = plt.subplots(1, 2, figsize=(13, 5))
for key, points in sorted(series.items()):
    points.sort()
    sizes = [p[0] for p in points]
    wall.plot(sizes, [p[1] for p in points], marker="o", label=key)
    reqs.plot(sizes, [p[2] for p in points], marker="o", label=key)
for ax, title, unit in ((wall, "Wall time", "seconds"), (reqs, "Requests (Autotask + Acronis)", "requests")):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("companies in the scenario")
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
reqs.legend(fontsize=7, loc="upper left")
fig.tight_layout()
fig.savefig(target, dpi=110)
