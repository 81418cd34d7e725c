#!/usr/bin/env python3
"""Turns the per-operation counts measured by tests/bench/cost.sh into monthly bills at
Cloudflare's list prices (COST.md cites each price with its page and the date it was read), for
three scenarios, beside Cloudflare Stream and a PeerTube VPS.

    python3 scripts/cost_model.py [tests/bench/cost-counts.json] [--json]
        [--idle-runner-requests-per-hour N] [--instance standard-2]

Pure arithmetic on the JSON: the same file gives the same totals.
"""

import argparse
import json
import math
import os
import sys

HOURS_PER_MONTH = 730.0
GB = 1e9  # R2, D1 and Stream count decimal GB
GIB = 2 ** 30

# List prices read on 2026-12-05 (COST.md: "Prices"). Included amounts are per account and month.
PRICES = {
    "workers": {"base": 5.00, "requests_included": 10e6, "per_million_requests": 0.30,
                "cpu_ms_included": 30e6, "per_million_cpu_ms": 0.02},
    "r2": {"storage_gb_included": 10, "per_gb_month": 0.015, "class_a_included": 1e6,
           "per_million_class_a": 4.50, "class_b_included": 10e6, "per_million_class_b": 0.36},
    "d1": {"rows_read_included": 25e9, "per_million_rows_read": 0.001,
           "rows_written_included": 50e6, "per_million_rows_written": 1.00},
    "kv": {"reads_included": 10e6, "per_million_reads": 0.50, "writes_included": 1e6, "per_million_writes": 5.00},
    "queues": {"ops_included": 1e6, "per_million_ops": 0.40},
    "durable_objects": {"requests_included": 1e6, "per_million_requests": 0.15,
                        "gb_s_included": 400_000, "per_million_gb_s": 12.50},
    "containers": {"vcpu_s_included": 375 * 60, "per_vcpu_s": 0.000020,
                   "gib_s_included": 25 * 3600, "per_gib_s": 0.0000025,
                   "disk_gb_s_included": 200 * 3600, "per_disk_gb_s": 0.00000007},
    "stream": {"per_1000_minutes_stored": 5.00, "per_1000_minutes_delivered": 1.00},
    "vps": {"per_gib_over_allowance": 0.01},
}

# Container instance types (edge-platform.md §2.6): vCPU, memory GiB, disk GB.
INSTANCES = {"basic": (0.25, 1, 4), "standard-1": (0.5, 4, 8), "standard-2": (1, 6, 12),
             "standard-3": (2, 8, 16), "standard-4": (4, 12, 20)}

# Durable Objects bill duration at 128 MB per active object.
DO_GB = 128 / 1024

# Federation: tests/bench/fanout.sh (BENCHMARKS.md, Federation §2): one activity to 10,000
# followers on 500 servers made 500 POSTs in 25 queue messages over 3 consumer invocations;
# signing one delivery costs 1.06 ms of CPU (Federation §1).
FANOUT = {"servers": 500, "messages": 25, "invocations": 3, "sign_ms": 1.06}

SCENARIOS = {
    # stored hours, views a month, minutes per view, uploaded hours a month, remote servers
    # that receive each new video (one Create activity per upload of 10 minutes on average).
    "idle": {"stored_hours": 0, "views": 0, "view_minutes": 10, "upload_hours": 0, "servers": 0},
    "small": {"stored_hours": 100, "views": 10_000, "view_minutes": 10, "upload_hours": 10, "servers": 50},
    "busy": {"stored_hours": 1000, "views": 1_000_000, "view_minutes": 10, "upload_hours": 100, "servers": 500},
}
VIDEO_MINUTES = 10  # average length of an uploaded video, for the federation fan-out

# A VPS running PeerTube for the busy case: server price (not found in the stored pages, a
# parameter) plus bandwidth beyond the included allowance.
VPS_SERVER_PER_MONTH = 48.0
VPS_INCLUDED_GIB = 5000


def unit_costs(counts):
    """Per-unit operation counts from the measured phases."""
    cron = counts["cron_run"]
    idle = counts["idle_runner"]
    up = counts["upload"]
    view = counts["view"]
    idle_s = idle["wall_seconds"]
    polls = idle.get("worker.fetch.runner_poll", 0)
    per_poll = {k: (idle.get(k, 0) / polls if polls else 0) for k in ("d1.rows_read", "d1.rows_written")}
    per_poll["cpu_ms"] = idle["cpu.runtime_workerd_ms"] / polls if polls else 0
    minutes_up = up["input_seconds"] / 60
    minutes_view = view["client"]["media_seconds"] / 60
    upload_polls = up.get("worker.fetch.runner_poll", 0)

    def ops(phase):
        return {
            "requests": phase.get("worker.fetch", 0) + phase.get("worker.queue_invocations", 0)
            + phase.get("worker.scheduled", 0),
            "cpu_ms": phase["cpu.runtime_workerd_ms"],
            "d1_read": phase.get("d1.rows_read", 0),
            "d1_written": phase.get("d1.rows_written", 0),
            "r2_a": phase.get("r2.class_a", 0),
            "r2_b": phase.get("r2.class_b", 0),
            "kv_read": phase.get("kv.reads", 0),
            "kv_write": phase.get("kv.writes", 0) + phase.get("kv.deletes", 0),
            # write + read + delete per message; each retry is one more read.
            "queue_ops": phase.get("queue.sends", 0) + 2 * phase.get("queue.messages_delivered", 0),
            "do_requests": phase.get("do.rate_limiter.requests", 0) + phase.get("do.views.requests", 0)
            + phase.get("do.views.alarms", 0),
            "do_gb_s": (phase.get("do.rate_limiter.wall_ms", 0) + phase.get("do.views.wall_ms", 0)) / 1000 * DO_GB,
        }

    upload = ops(up)
    # The runner's polls before it took the job belong to the idle runner, not to the upload.
    upload["requests"] -= upload_polls
    upload["d1_read"] -= upload_polls * per_poll["d1.rows_read"]
    upload["d1_written"] -= upload_polls * per_poll["d1.rows_written"]
    upload["cpu_ms"] -= upload_polls * per_poll["cpu_ms"]
    upload = {k: v / minutes_up for k, v in upload.items()}
    runner = up["runner"]
    upload["vcpu_s"] = (runner["user_seconds"] + runner["system_seconds"]) / minutes_up
    upload["runner_wall_s"] = runner["wall_seconds"] / minutes_up
    upload["runner_peak_rss_gib"] = runner["max_rss_kib"] / 2 ** 20
    stored = up["stored_bytes"]
    upload["stored_bytes"] = sum(stored.values()) / minutes_up
    view_per_min = {k: v / minutes_view for k, v in ops(view).items()}
    view_per_min["egress_bytes"] = view["client"]["bytes"] / minutes_view
    idle_runner = {k: v * 3600 / idle_s for k, v in ops(idle).items()}
    idle_runner["polls"] = polls * 3600 / idle_s
    return {"cron_run": ops(cron), "idle_runner_hour": idle_runner, "upload_minute": upload,
            "view_minute": view_per_min, "per_poll": per_poll}


def over(amount, included, per_million):
    return max(0.0, amount - included) / 1e6 * per_million


def bill(units, scenario, idle_requests_per_hour, instance):
    """Usage and dollars for one month of one scenario."""
    p = PRICES
    vcpu, mem_gib, disk_gb = INSTANCES[instance]
    upload_min = scenario["upload_hours"] * 60
    view_min = scenario["views"] * scenario["view_minutes"]
    stored_min = scenario["stored_hours"] * 60
    crons = 6 * HOURS_PER_MONTH  # "*/10 * * * *"
    idle = units["idle_runner_hour"]
    poll_scale = idle_requests_per_hour / idle["polls"] if idle["polls"] else 0
    usage = {}
    for key in ("requests", "cpu_ms", "d1_read", "d1_written", "r2_a", "r2_b", "kv_read", "kv_write",
                "queue_ops", "do_requests", "do_gb_s"):
        usage[key] = (crons * units["cron_run"][key]
                      + HOURS_PER_MONTH * idle[key] * poll_scale
                      + upload_min * units["upload_minute"][key]
                      + view_min * units["view_minute"][key])
    # Federation: one Create per uploaded video to every following server.
    videos = upload_min / VIDEO_MINUTES
    servers = scenario["servers"]
    if servers:
        messages = math.ceil(servers * FANOUT["messages"] / FANOUT["servers"])
        usage["requests"] += videos * math.ceil(messages / 10)
        usage["queue_ops"] += videos * messages * 3
        usage["cpu_ms"] += videos * servers * FANOUT["sign_ms"]
    usage["stored_gb"] = stored_min * units["upload_minute"]["stored_bytes"] / GB
    usage["egress_tb"] = view_min * units["view_minute"]["egress_bytes"] / 1e12
    usage["vcpu_s"] = upload_min * units["upload_minute"]["vcpu_s"]
    # The container is up while it encodes: its wall time at full use of its vCPUs.
    container_s = usage["vcpu_s"] / vcpu
    usage["container_gib_s"] = container_s * mem_gib
    usage["container_disk_gb_s"] = container_s * disk_gb

    w, r2, d1, kv, q, do, c = (p[k] for k in ("workers", "r2", "d1", "kv", "queues", "durable_objects", "containers"))
    dollars = {
        "Workers plan": w["base"],
        "Workers requests": over(usage["requests"], w["requests_included"], w["per_million_requests"]),
        "Workers CPU": over(usage["cpu_ms"], w["cpu_ms_included"], w["per_million_cpu_ms"]),
        "R2 storage": max(0.0, usage["stored_gb"] - r2["storage_gb_included"]) * r2["per_gb_month"],
        "R2 class A": over(usage["r2_a"], r2["class_a_included"], r2["per_million_class_a"]),
        "R2 class B": over(usage["r2_b"], r2["class_b_included"], r2["per_million_class_b"]),
        "D1 rows read": over(usage["d1_read"], d1["rows_read_included"], d1["per_million_rows_read"]),
        "D1 rows written": over(usage["d1_written"], d1["rows_written_included"], d1["per_million_rows_written"]),
        "KV": over(usage["kv_read"], kv["reads_included"], kv["per_million_reads"])
        + over(usage["kv_write"], kv["writes_included"], kv["per_million_writes"]),
        "Queues": over(usage["queue_ops"], q["ops_included"], q["per_million_ops"]),
        "Durable Objects": over(usage["do_requests"], do["requests_included"], do["per_million_requests"])
        + over(usage["do_gb_s"], do["gb_s_included"], do["per_million_gb_s"]),
        "Containers (transcoding)": max(0.0, usage["vcpu_s"] - c["vcpu_s_included"]) * c["per_vcpu_s"]
        + max(0.0, usage["container_gib_s"] - c["gib_s_included"]) * c["per_gib_s"]
        + max(0.0, usage["container_disk_gb_s"] - c["disk_gb_s_included"]) * c["per_disk_gb_s"],
    }
    total = sum(dollars.values())
    stream = (math.ceil(stored_min / 1000) * p["stream"]["per_1000_minutes_stored"]
              + view_min / 1000 * p["stream"]["per_1000_minutes_delivered"])
    egress_gib = usage["egress_tb"] * 1e12 / GIB
    vps = VPS_SERVER_PER_MONTH + max(0.0, egress_gib - VPS_INCLUDED_GIB) * p["vps"]["per_gib_over_allowance"]
    dominant = max((k for k in dollars if k != "Workers plan"), key=lambda k: dollars[k])
    if dollars[dominant] < 0.005:
        dominant = "Workers plan"
    return {"usage": usage, "dollars": dollars, "total": total, "dominant": dominant,
            "stream": stream, "vps": vps}


def run(counts, idle_requests_per_hour=None, instance="standard-2"):
    units = unit_costs(counts)
    if idle_requests_per_hour is None:
        idle_requests_per_hour = units["idle_runner_hour"]["polls"]
    bills = {name: bill(units, s, idle_requests_per_hour, instance) for name, s in SCENARIOS.items()}
    return {"units": units, "idle_runner_requests_per_hour": idle_requests_per_hour,
            "instance": instance, "bills": bills}


def money(x):
    return f"${x:,.2f}"


def markdown(result):
    bills = result["bills"]
    names = list(bills)
    lines = [f"Idle runner: {result['idle_runner_requests_per_hour']:,.0f} requests/hour; "
             f"transcoding on a `{result['instance']}` container.", "",
             "| line | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for line in bills[names[0]]["dollars"]:
        lines.append(f"| {line} | " + " | ".join(money(bills[n]["dollars"][line]) for n in names) + " |")
    lines.append("| **Edgetube on Cloudflare** | " + " | ".join(f"**{money(bills[n]['total'])}**" for n in names) + " |")
    lines.append("| dominant line | " + " | ".join(bills[n]["dominant"] for n in names) + " |")
    lines.append("| Cloudflare Stream | " + " | ".join(money(bills[n]["stream"]) for n in names) + " |")
    lines.append("| PeerTube VPS (server + bandwidth) | " + " | ".join(money(bills[n]["vps"]) for n in names) + " |")
    lines.append("")
    lines.append("| usage | " + " | ".join(names) + " |")
    lines.append("|---|" + "---:|" * len(names))
    for key in bills[names[0]]["usage"]:
        lines.append(f"| {key} | " + " | ".join(f"{bills[n]['usage'][key]:,.4g}" for n in names) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = os.path.join(os.path.dirname(__file__), "..", "tests", "bench", "cost-counts.json")
    parser.add_argument("counts", nargs="?", default=default)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--idle-runner-requests-per-hour", type=float)
    parser.add_argument("--instance", default="standard-2", choices=sorted(INSTANCES))
    args = parser.parse_args()
    with open(args.counts) as f:
        counts = json.load(f)
    result = run(counts, args.idle_runner_requests_per_hour, args.instance)
    if args.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=True)
        print()
    else:
        print(markdown(result))


if __name__ == "__main__":
    main()
