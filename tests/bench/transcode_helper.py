#!/usr/bin/env python3
"""Helper of tests/bench/transcode.sh: times runs, measures SSIM, prints the report.

Subcommands (all paths are made by transcode.sh):
  time RESULTS STRATEGY RUN OUTDIR -- CMD...   run CMD, append one JSON line to RESULTS
  ssim INPUT OUTDIR STRATEGY SSIM_JSON          SSIM of every rendition in OUTDIR against INPUT
  report RESULTS SSIM_JSON...                   markdown tables on stdout
"""

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

STRATEGIES = ("single", "per-resolution")
LABELS = {
    "single": "single decode (`--strategy single`)",
    "per-resolution": "PeerTube's job graph (`--strategy per-resolution`)",
}


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cmd_time(args):
    results, strategy, run, outdir = args[:4]
    assert args[4] == "--", args
    command = args[5:]
    load = os.getloadavg()[0]
    cpu_before = children_cpu()
    started = time.monotonic()
    # The runner's log goes to our stderr, which transcode.sh sends to a file.
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=sys.stderr)
    wall = time.monotonic() - started
    # The runner waits for its ffmpeg children, so their CPU time is included here.
    cpu = children_cpu() - cpu_before
    report = json.load(open(os.path.join(outdir, "renditions.json")))
    sizes = {
        str(r["resolution"]): os.path.getsize(os.path.join(outdir, r["file"])) for r in report["renditions"]
    }
    line = {
        "strategy": strategy,
        "run": int(run),
        "wall": wall,
        "cpu": cpu,
        "encode": report["encode_seconds"],
        "load1_before": load,
        "sizes": sizes,
    }
    with open(results, "a") as f:
        f.write(json.dumps(line) + "\n")
    print(
        f"{strategy} run {run}: wall {wall:.1f} s, encode {report['encode_seconds']:.1f} s, "
        f"CPU {cpu:.1f} s, load before {load:.2f}",
        file=sys.stderr,
    )


def probe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "format=duration,bit_rate:stream=codec_type,codec_name,width,height,avg_frame_rate,nb_frames",
         "-of", "json", path],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def video_packets(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
         "stream=nb_read_packets", "-of", "csv=p=0", path],
        check=True, capture_output=True, text=True,
    ).stdout
    return int(out.strip())


def x264_version(path):
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    match = re.search(rb"x264 - core (\d+)( r\d+ [0-9a-f]+)?", head)
    return match.group(0).decode() if match else "?"


def cmd_ssim(args):
    source, outdir, strategy, out_json = args
    source_frames = video_packets(source)
    report = json.load(open(os.path.join(outdir, "renditions.json")))
    results = []
    for r in report["renditions"]:
        path = os.path.join(outdir, r["file"])
        stats = os.path.join(outdir, f"ssim-{r['resolution']}.log")
        # Frames are paired in order. A rendition with more frames than the source starts with
        # duplicates that ffmpeg's constant-frame-rate output inserted to fill a gap before the
        # first frame (see transcode.sh); they are dropped so that frame n meets source frame n.
        extra = max(0, video_packets(path) - source_frames)
        # The reference is the source scaled to the rendition's size with the ladder's own scaler
        # (ffmpeg's default bicubic `scale`), so SSIM measures what encoding lost at that size and
        # is not dominated by the resolution itself (see transcode.sh).
        graph = (
            f"[0:v]trim=start_frame={extra},setpts=PTS-STARTPTS[dist];"
            f"[1:v]scale=w={r['width']}:h={r['height']},setpts=PTS-STARTPTS[ref];"
            f"[dist][ref]ssim=stats_file={stats}"
        )
        started = time.monotonic()
        run = subprocess.run(
            ["ffmpeg", "-hide_banner", "-nostdin", "-v", "info", "-nostats", "-i", path, "-i", source,
             "-filter_complex", graph, "-f", "null", "-"],
            check=True, capture_output=True, text=True,
        )
        match = re.search(r"SSIM Y:([\d.]+).*All:([\d.]+) \(([\d.]+|inf)\)", run.stderr)
        if not match:
            sys.exit(f"no SSIM line for {path}:\n{run.stderr[-2000:]}")
        frames = sum(1 for _ in open(stats))
        info = probe(path)
        duration = float(info["format"]["duration"])
        size = os.path.getsize(path)
        results.append({
            "resolution": r["resolution"],
            "width": r["width"],
            "height": r["height"],
            "fps": r["fps"],
            "bitrate_target": r["bitrate_target"],
            "size": size,
            "duration": duration,
            "bitrate": size * 8 / duration,
            "ssim_all": float(match.group(2)),
            "ssim_y": float(match.group(1)),
            "ssim_db": match.group(3),
            "frames": frames,
            "extra_frames": extra,
        })
        print(
            f"ssim {strategy} {r['resolution']}p: All {match.group(2)} ({match.group(3)} dB), "
            f"{frames} frames compared, {extra} leading frames dropped, {time.monotonic() - started:.0f} s",
            file=sys.stderr,
        )
    out = {
        "strategy": strategy,
        "source_frames": source_frames,
        "x264": x264_version(os.path.join(outdir, report["renditions"][0]["file"])),
        "renditions": results,
    }
    json.dump(out, open(out_json, "w"), indent=1)


def fmt_s(x):
    return f"{x:.1f}"


def cmd_report(args):
    results_path, ssim_paths = args[0], args[1:]
    runs = [json.loads(line) for line in open(results_path)]
    by = {s: [r for r in runs if r["strategy"] == s] for s in STRATEGIES}

    def med(s, key):
        return statistics.median(r[key] for r in by[s])

    def spread(s, key):
        values = [r[key] for r in by[s]]
        return f"{fmt_s(statistics.median(values))} ({fmt_s(min(values))}-{fmt_s(max(values))})"

    print("### Time for the whole ladder (1080p, 720p, 480p, 360p, 240p)")
    print()
    print("| strategy | runs | process wall s, median (min-max) | encode_seconds, median (min-max) "
          "| CPU s (user+sys), median | CPU / wall |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for s in STRATEGIES:
        print(f"| {LABELS[s]} | {len(by[s])} | {spread(s, 'wall')} | {spread(s, 'encode')} "
              f"| {fmt_s(med(s, 'cpu'))} | {med(s, 'cpu') / med(s, 'wall'):.2f} |")
    print(f"| **ratio per-resolution / single** | | **{med('per-resolution', 'wall') / med('single', 'wall'):.2f}x** "
          f"| **{med('per-resolution', 'encode') / med('single', 'encode'):.2f}x** "
          f"| {med('per-resolution', 'cpu') / med('single', 'cpu'):.2f}x | |")
    print()
    print("Runs in the order they ran (wall / encode_seconds / CPU, 1-minute load average before the run):")
    print()
    for r in runs:
        print(f"- run {r['run']}, {r['strategy']}: {fmt_s(r['wall'])} / {fmt_s(r['encode'])} / "
              f"{fmt_s(r['cpu'])} s, load {r['load1_before']:.2f}")
    print()
    # Encoders are deterministic for a fixed thread count: sizes must not move between runs.
    for s in STRATEGIES:
        distinct = {json.dumps(r["sizes"], sort_keys=True) for r in by[s]}
        if len(distinct) > 1:
            print(f"Note: {s} output sizes differed between runs: {sorted(distinct)}")
            print()

    ssim = {}
    for path in ssim_paths:
        data = json.load(open(path))
        ssim[data["strategy"]] = data
    single = {r["resolution"]: r for r in ssim["single"]["renditions"]}
    per_res = {r["resolution"]: r for r in ssim["per-resolution"]["renditions"]}
    print("### Renditions (last run of each strategy)")
    print()
    print("| resolution | single size | per-res size | size ratio | single SSIM | per-res SSIM |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for res in sorted(single, reverse=True):
        a, b = single[res], per_res[res]
        print(f"| {res}p | {a['size']:,} B | {b['size']:,} B | {b['size'] / a['size']:.3f} "
              f"| {a['ssim_all']:.6f} | {b['ssim_all']:.6f} |")
    print()
    print("| resolution | size, fps | target T (kb/s) | single kb/s | per-res kb/s | single SSIM dB | per-res SSIM dB "
          "| frames compared (single / per-res) | leading duplicates dropped (single / per-res) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for res in sorted(single, reverse=True):
        a, b = single[res], per_res[res]
        print(f"| {res}p | {a['width']}x{a['height']}, {a['fps']} | {a['bitrate_target'] / 1000:.0f} "
              f"| {a['bitrate'] / 1000:.0f} | {b['bitrate'] / 1000:.0f} | {a['ssim_db']} | {b['ssim_db']} "
              f"| {a['frames']} / {b['frames']} | {a['extra_frames']} / {b['extra_frames']} |")
    total_a = sum(r["size"] for r in single.values())
    total_b = sum(r["size"] for r in per_res.values())
    print()
    print(f"Whole ladder: single {total_a:,} B, per-resolution {total_b:,} B "
          f"(ratio {total_b / total_a:.3f}). Source frames: {ssim['single']['source_frames']}. "
          f"Encoder: {ssim['single']['x264']}.")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    {"time": cmd_time, "ssim": cmd_ssim, "report": cmd_report}[command](args)


if __name__ == "__main__":
    main()
