"""Drives one local instance (started by tests/bench/cost.sh) through the cost model's phases
and writes the measured per-operation counts as JSON.

Counts come from the instance's own `/__bench/counts` (functions/cloudflare/src/metered.rs:
Worker invocations, D1 rows as D1's result meta reports them, R2 class A/B calls, KV, queue
sends and deliveries, Durable Object calls and their wall time); CPU from /proc accounting of
the runtime workerd (an upper bound of the Worker's CPU: it also runs SQLite and the Durable
Objects); the runner's CPU and peak memory from `/usr/bin/time -v`; stored bytes from the
local R2's own metadata; egress from the bytes the simulated player received.
"""

import argparse
import glob
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import listening_pid  # noqa: E402  (the shared lookup beside this file)

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"cost: {message}", file=sys.stderr, flush=True)


class Instance:
    def __init__(self, base, state, group):
        self.base = base
        self.state = state
        self.group = group
        self.proxy = self._proxy_pid()

    def request(self, method, path, token=None, data=None, headers=None):
        """(status, body, header bytes) of one request; bodies are read whole."""
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                body = response.read()
                head = sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
                return response.status, body, head
        except urllib.error.HTTPError as e:
            body = e.read()
            return e.code, body, 0

    def counts(self, reset=True):
        status, body, _ = self.request("GET", "/__bench/counts" + ("?reset=true" if reset else ""))
        if status != 200:
            raise SystemExit(f"/__bench/counts answered {status}: is the bundle built from this branch?")
        return json.loads(body)

    def _proxy_pid(self):
        """The workerd listening on the port: wrangler's local proxy, not the runtime."""
        return listening_pid(self.group, int(self.base.rsplit(":", 1)[1]))

    def cpu_ms(self):
        """(runtime workerd, everything else in the group) CPU ms so far."""
        runtime = other = 0
        for p in filter(str.isdigit, os.listdir("/proc")):
            try:
                stat = open(f"/proc/{p}/stat").read()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != self.group:
                continue
            ticks = int(fields[11]) + int(fields[12])
            if comm == "workerd" and p != self.proxy:
                runtime += ticks
            else:
                other += ticks
        return runtime * TICK_MS, other * TICK_MS

    def sqlite(self, kind):
        """The local D1 or R2 metadata database of wrangler dev's persistence folder."""
        pattern = {"d1": "v3/d1/*/*.sqlite", "r2": "v3/r2/*/*.sqlite"}[kind]
        files = [f for f in glob.glob(os.path.join(self.state, pattern)) if "metadata" not in f]
        if not files:
            raise SystemExit(f"no {kind} database under {self.state}")
        return max(files, key=os.path.getsize)

    def query(self, kind, sql, params=()):
        for _ in range(20):
            try:
                db = sqlite3.connect(f"file:{self.sqlite(kind)}?mode=ro", uri=True, timeout=5)
                try:
                    return db.execute(sql, params).fetchall()
                finally:
                    db.close()
            except sqlite3.OperationalError:
                time.sleep(0.25)
        raise SystemExit(f"cannot read the local {kind} database")


class Phase:
    """Counters and CPU between construction and `end()`."""

    def __init__(self, instance):
        self.instance = instance
        instance.counts(reset=True)
        self.cpu = instance.cpu_ms()
        self.started = time.time()

    def end(self):
        counts = self.instance.counts(reset=True)
        runtime, other = self.instance.cpu_ms()
        counts["cpu.runtime_workerd_ms"] = runtime - self.cpu[0]
        counts["cpu.local_proxy_ms"] = other - self.cpu[1]
        counts["wall_seconds"] = time.time() - self.started
        return counts


def admin_token(instance):
    password = None
    for line in open(os.path.join(instance.state, ".dev.vars")):
        if line.startswith("ADMIN_PASSWORD="):
            password = line.strip().split("=", 1)[1]
    _, body, _ = instance.request("GET", "/api/v1/oauth-clients/local")
    client = json.loads(body)
    form = urllib.parse.urlencode({
        "client_id": client["client_id"], "client_secret": client["client_secret"],
        "grant_type": "password", "username": "root", "password": password,
    }).encode()
    status, body, _ = instance.request("POST", "/api/v1/users/token", data=form,
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    if status != 200:
        raise SystemExit(f"login failed: {status} {body[:200]!r}")
    return json.loads(body)["access_token"]


def start_runner(args, instance, name, timed):
    registration = None
    for line in open(os.path.join(instance.state, ".dev.vars")):
        if line.startswith("RUNNER_REGISTRATION_TOKEN="):
            registration = line.strip().split("=", 1)[1]
    command = [args.runner, "run", "--url", instance.base, "--registration-token", registration,
               "--state-dir", os.path.join(args.work, f"runner-{name}"), "--name", f"cost-{name}"]
    time_file = os.path.join(args.work, f"time-{name}.txt")
    if timed:
        command = ["/usr/bin/time", "-v", "-o", time_file] + command
    out = open(os.path.join(args.work, f"runner-{name}.log"), "w")
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, time_file


def stop_runner(process):
    # SIGINT to the runner only (not /usr/bin/time), so time reports the runner's usage.
    try:
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        for pid in children or [str(process.pid)]:
            os.kill(int(pid), signal.SIGINT)
        process.wait(timeout=20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def parse_time(path):
    text = open(path).read()

    def field(label):
        m = re.search(re.escape(label) + r":\s*([0-9.:]+)", text)
        return m.group(1) if m else "0"

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in wall.split(":")]
    wall_s = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return {
        "user_seconds": float(field("User time (seconds)")),
        "system_seconds": float(field("System time (seconds)")),
        "wall_seconds": wall_s,
        "max_rss_kib": int(field("Maximum resident set size (kbytes)")),
    }


def r2_objects(instance):
    # The bucket's database appears with its first object.
    if not [f for f in glob.glob(os.path.join(instance.state, "v3/r2/*/*.sqlite")) if "metadata" not in f]:
        return {}
    rows = instance.query("r2", "SELECT key, size FROM _mf_objects")
    return {key: size for key, size in rows}


def job_state(instance, video_uuid):
    rows = instance.query(
        "d1", "SELECT j.state FROM runner_jobs j JOIN videos v ON v.id = j.video_id WHERE v.uuid = ?", (video_uuid,))
    return rows[0][0] if rows else None


def measure_cron(instance, runs=3):
    phases = []
    for _ in range(runs):
        phase = Phase(instance)
        status, _, _ = instance.request("GET", "/__scheduled?cron=" + urllib.parse.quote("*/10 * * * *"))
        if status >= 400:
            raise SystemExit(f"/__scheduled answered {status}")
        time.sleep(1)
        phases.append(phase.end())
    return average(phases)


def average(phases):
    keys = set().union(*phases)
    return {k: sum(p.get(k, 0) for p in phases) / len(phases) for k in sorted(keys)}


def view(instance, video, seconds_per_view_post):
    """One viewer: the player's API calls, the master and one rendition playlist, every segment."""
    fetched = {"requests": 0, "bytes": 0, "segment_requests": 0, "view_posts": 0}

    def get(url, headers=None):
        status, body, head = instance.request("GET", url, headers=headers)
        if status >= 400:
            raise SystemExit(f"GET {url} answered {status}")
        fetched["requests"] += 1
        fetched["bytes"] += len(body) + head
        return body

    uuid = video["uuid"]
    details = json.loads(get(f"/api/v1/videos/{uuid}"))
    playlist = details["streamingPlaylists"][0]
    master_url = playlist["playlistUrl"]
    master = get(master_url).decode()
    variants = [line for line in master.splitlines() if line and not line.startswith("#")]
    resolutions = [int(m.group(1)) for m in re.finditer(r"RESOLUTION=\d+x(\d+)", master)]
    chosen = min(range(len(variants)), key=lambda i: abs(resolutions[i] - video["resolution"])) if resolutions else 0
    rendition_url = urllib.parse.urljoin(master_url, variants[chosen])
    rendition = get(rendition_url).decode()
    # fMP4 HLS: an init section (EXT-X-MAP) and segments, possibly byte ranges of one file.
    pending_range = None
    duration = 0.0
    for line in rendition.splitlines():
        if line.startswith("#EXT-X-MAP:"):
            uri = re.search(r'URI="([^"]+)"', line).group(1)
            byterange = re.search(r'BYTERANGE="(\d+)@(\d+)"', line)
            headers = None
            if byterange:
                length, offset = int(byterange.group(1)), int(byterange.group(2))
                headers = {"Range": f"bytes={offset}-{offset + length - 1}"}
            get(urllib.parse.urljoin(rendition_url, uri), headers)
            fetched["segment_requests"] += 1
        elif line.startswith("#EXTINF:"):
            duration += float(line.split(":", 1)[1].split(",")[0])
        elif line.startswith("#EXT-X-BYTERANGE:"):
            pending_range = line.split(":", 1)[1]
        elif line and not line.startswith("#"):
            headers = None
            if pending_range:
                length, _, offset = pending_range.partition("@")
                start = int(offset)
                headers = {"Range": f"bytes={start}-{start + int(length) - 1}"}
                pending_range = None
            get(urllib.parse.urljoin(rendition_url, line), headers)
            fetched["segment_requests"] += 1
    # The player reports every watchingInterval (5 s in /api/v1/config) while playing.
    posts = 1 + int(duration // seconds_per_view_post)
    for i in range(posts):
        body = json.dumps({"currentTime": i * seconds_per_view_post}).encode()
        status, _, _ = instance.request("POST", f"/api/v1/videos/{uuid}/views", data=body,
                                        headers={"Content-Type": "application/json"})
        if status >= 400:
            raise SystemExit(f"POST views answered {status}")
        fetched["requests"] += 1
        fetched["view_posts"] += 1
    fetched["media_seconds"] = duration
    fetched["resolution"] = resolutions[chosen] if resolutions else None
    return fetched


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--group", type=int, required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--input-seconds", type=float, required=True)
    parser.add_argument("--idle-seconds", type=float, default=120)
    parser.add_argument("--view-resolution", type=int, default=720)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    instance = Instance(args.base, args.state, args.group)
    token = admin_token(instance)
    _, body, _ = instance.request("GET", "/api/v1/users/me", token=token)
    channel = json.loads(body)["videoChannels"][0]["id"]
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": {"cpus": os.cpu_count(), "load_before": open("/proc/loadavg").read().split()[:3]}}

    log("one Cron Trigger run (x3)")
    result["cron_run"] = measure_cron(instance)

    log("no runner, nothing happening: 30 s")
    phase = Phase(instance)
    time.sleep(30)
    result["idle_no_runner_30s"] = phase.end()

    log(f"an idle runner connected for {args.idle_seconds:.0f} s (the runner as built on this branch)")
    runner, _ = start_runner(args, instance, "idle", timed=False)
    time.sleep(5)  # registration and first polls, outside the measured window
    phase = Phase(instance)
    time.sleep(args.idle_seconds)
    result["idle_runner"] = phase.end()
    stop_runner(runner)

    log("upload, transcode, publish")
    before = r2_objects(instance)
    runner, time_file = start_runner(args, instance, "upload", timed=True)
    time.sleep(3)
    phase = Phase(instance)
    upload = subprocess.run(
        ["curl", "-sf", "-H", f"Authorization: Bearer {token}", "-F", "name=Cost model upload",
         "-F", f"channelId={channel}", "-F", "privacy=1", "-F", f"videofile=@{args.input}",
         f"{instance.base}/api/v1/videos/upload"], capture_output=True, text=True, check=True)
    uuid = json.loads(upload.stdout)["video"]["uuid"]
    deadline = time.time() + 3600
    while time.time() < deadline:
        state = job_state(instance, uuid)
        if state == 3:
            break
        if state in (4, 6):
            raise SystemExit(f"the transcoding job ended in state {state}")
        time.sleep(2)
    else:
        raise SystemExit("the transcoding job did not complete within an hour")
    time.sleep(5)  # the runner's last calls and the consumer's follow-up messages
    upload_counts = phase.end()
    stop_runner(runner)
    upload_counts["runner"] = parse_time(time_file)
    after = r2_objects(instance)
    new = {k: v for k, v in after.items() if before.get(k) != v}
    stored = {"originals": 0, "hls": 0, "images": 0, "other": 0}
    for key, size in new.items():
        if key.startswith("hls/"):
            stored["hls"] += size
        elif key.startswith(("thumbnails/", "previews/", "storyboards/")):
            stored["images"] += size
        elif "source" in key or key.startswith(("uploads/", "originals/", "videos/")):
            stored["originals"] += size
        else:
            stored["other"] += size
    upload_counts["stored_bytes"] = stored
    upload_counts["stored_keys"] = sorted(new)
    renditions = {}
    for key, size in new.items():
        m = re.search(r"-(\d+)(?:-fragmented)?\.mp4$", key)
        if key.startswith("hls/") and m:
            renditions[m.group(1)] = renditions.get(m.group(1), 0) + size
    upload_counts["rendition_bytes"] = renditions
    upload_counts["input_seconds"] = args.input_seconds
    upload_counts["input_bytes"] = os.path.getsize(args.input)
    result["upload"] = upload_counts

    log("one viewer watching the whole video")
    video = {"uuid": uuid, "resolution": args.view_resolution}
    view(instance, video, 5)  # a first viewer warms the isolate; not counted
    time.sleep(1)
    phase = Phase(instance)
    fetched = view(instance, video, 5)
    time.sleep(3)  # the view counter's flush alarm
    view_counts = phase.end()
    view_counts["client"] = fetched
    result["view"] = view_counts
    result["machine"]["load_after"] = open("/proc/loadavg").read().split()[:3]

    with open(args.out, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
