"""Helper of tests/bench/platforms.sh: the remote actor's key, the seed SQL, and the measurement.

Subcommands:
  keygen DIR                 an RSA-2048 key for the remote actor (DIR/peer.pem, DIR/peer.pub.pem)
  seed DIR VIDEOS NOW_MS     the SQL both instances get: VIDEOS published public videos of
                             root_channel and the remote actor with its key, as the inbox caches it
  measure CONFIG.json        the sequential requests and /proc CPU; prints the markdown tables

The measurement sends the same requests to both instances, interleaved one by one (Worker, then
Spin), so load from other processes on the machine falls on both alike. CPU is read from /proc
(utime+stime) of each instance's processes before and after each block of N requests; neither
wrangler dev nor the Spin harness reports CPU per invocation.
"""

import base64
import email.utils
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import listening_pid  # noqa: E402  (the shared lookup beside this file)
from peertube_ids import short_uuid  # noqa: E402

VIDEO_UUID = "00000000-0000-4000-8000-000000000001"
ACTOR = "https://peer.example/accounts/alice"
TICK = os.sysconf("SC_CLK_TCK")


def keygen(folder):
    """The remote actor's RSA-2048 key, made by the openssl CLI (no Python crypto package needed)."""
    private, public = os.path.join(folder, "peer.pem"), os.path.join(folder, "peer.pub.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", private], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public], check=True,
                   capture_output=True)


def seed(folder, videos, now_ms):
    public_pem = open(os.path.join(folder, "peer.pub.pem")).read().replace("'", "''")
    out = []
    for i in range(1, videos + 1):
        uuid = f"00000000-0000-4000-8000-{i:012x}"
        t = 1795000000000 + i * 1000
        out.append(
            "INSERT INTO videos (uuid, short_uuid, channel_id, name, description, category, licence, language, "
            "privacy, state, duration, views, published_at, created_at, updated_at, thumbnail_key, preview_key) "
            f"SELECT '{uuid}', '{short_uuid(uuid)}', id, 'Seeded video {i}', 'A seeded description', 1, 1, 'en', "
            f"1, 1, 60, 0, {t}, {t}, {t}, 'videos/{uuid}/thumb.jpg', 'videos/{uuid}/preview.jpg' "
            "FROM actors WHERE host IS NULL AND username = 'root_channel';")
        out.append("INSERT INTO videos_fts (rowid, name, description, tags) "
                   f"SELECT id, name, description, '' FROM videos WHERE uuid = '{uuid}';")
    # The signer, as the inbox caches it after a first fetch (fetched now: within the 2-day cache).
    out.append(
        "INSERT INTO actors (kind, username, host, display_name, public_key_pem, ap_id, inbox_url, "
        "shared_inbox_url, fetched_at, created_at, updated_at) VALUES "
        f"('Person', 'alice', 'peer.example', 'Alice', '{public_pem}', '{ACTOR}', '{ACTOR}/inbox', "
        f"'https://peer.example/inbox', {now_ms}, {now_ms}, {now_ms});")
    print("\n".join(out))


def master_playlist():
    """A PeerTube-shaped HLS master playlist of two renditions."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for height, width, bandwidth in ((720, 1280, 2_800_000), (360, 640, 800_000)):
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height},FRAME-RATE=30,"
                     'CODECS="avc1.64001f,mp4a.40.2"')
        lines.append(f"{VIDEO_UUID}-{height}-fragmented.m3u8")
    return "\n".join(lines) + "\n"


def signed_like(private_key_path, host, index):
    """A draft-cavage signed `Like` of the first seeded video, new id each time (signed with
    openssl's RSASSA-PKCS1-v1_5 SHA-256, before the timed requests)."""
    body = json.dumps({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Like",
        "id": f"{ACTOR}/likes/{index}-{time.time_ns()}",
        "actor": ACTOR,
        "object": f"http://{host}/videos/watch/{VIDEO_UUID}",
    }).encode()
    date = email.utils.formatdate(usegmt=True)
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    signing_string = f"(request-target): post /inbox\nhost: {host}\ndate: {date}\ndigest: {digest}"
    signed = subprocess.run(["openssl", "dgst", "-sha256", "-sign", private_key_path],
                            input=signing_string.encode(), check=True, capture_output=True).stdout
    signature = base64.b64encode(signed).decode()
    headers = {
        "Host": host, "Date": date, "Digest": digest, "Content-Type": "application/activity+json",
        "Signature": f'keyId="{ACTOR}#main-key",algorithm="rsa-sha256",'
                     f'headers="(request-target) host date digest",signature="{signature}"',
    }
    return body, headers


def group_ticks(group, classify):
    """utime+stime ticks per class of the processes of one process group."""
    totals = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) != group:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        name = classify(p, comm)
        totals[name] = totals.get(name, 0) + int(fields[11]) + int(fields[12])
    return totals


def request(port, method, path, body=None, headers=None):
    """One request on a new connection: (seconds, status, body)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed, response.status, data


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(config_path):
    config = json.load(open(config_path))
    n, warmup = config["n"], config["warmup"]
    key = config["key"]
    proxy = listening_pid(config["worker"]["group"], config["worker"]["port"])

    def worker_class(pid, comm):
        return "runtime" if comm == "workerd" and pid != proxy else "proxy"

    def spin_class(_pid, comm):
        if comm.startswith("edgetube-spin"):
            return "runtime"
        return "s3" if comm == "s3s-fs" else "other"

    shells = {
        "worker": (config["worker"], worker_class),
        "spin": (config["spin"], spin_class),
    }
    playlist = f"/static/streaming-playlists/hls/{VIDEO_UUID}/{VIDEO_UUID}-master.m3u8"
    cases = [
        ("GET /api/v1/config", "GET", "/api/v1/config", 200),
        (f"GET /api/v1/videos?count=15 ({config['videos']} seeded)", "GET", "/api/v1/videos?count=15", 200),
        ("POST /inbox (signed Like, cached key)", "POST", "/inbox", 204),
        ("GET HLS master playlist (R2 / S3)", "GET", playlist, 200),
    ]
    results = []
    for label, method, path, expected in cases:
        prepared = {}
        for name, (shell, _) in shells.items():
            host = f"127.0.0.1:{shell['port']}"
            prepared[name] = [signed_like(key, host, i) if method == "POST" else (None, {})
                              for i in range(warmup + n)]
        times = {name: [] for name in shells}
        before = {}
        for i in range(warmup + n):
            if i == warmup:
                before = {name: group_ticks(s["group"], c) for name, (s, c) in shells.items()}
            for name, (shell, _) in shells.items():
                body, headers = prepared[name][i]
                elapsed, status, data = request(shell["port"], method, path, body, headers)
                if status != expected:
                    sys.exit(f"{name} {method} {path}: HTTP {status}, expected {expected}: {data[:300]!r}")
                if path == playlist and b"#EXT-X-STREAM-INF" not in data:
                    sys.exit(f"{name}: not the seeded playlist: {data[:200]!r}")
                if i >= warmup:
                    times[name].append(elapsed * 1000)
        if method == "POST":
            # The Worker applies inbox activities in a queue consumer after the 204 (Spin drains
            # its outbox in the same invocation, after the answer): let both finish.
            time.sleep(config["settle_seconds"])
        after = {name: group_ticks(s["group"], c) for name, (s, c) in shells.items()}
        row = {"label": label}
        for name in shells:
            cpu = {k: (after[name].get(k, 0) - before[name].get(k, 0)) * 1000 / TICK / n
                   for k in set(after[name]) | set(before[name])}
            row[name] = {"median": statistics.median(times[name]), "p90": percentile(times[name], 0.9),
                         "cpu": cpu}
        results.append(row)
        print(f"==> {label}: done", file=sys.stderr)
    return results


def ratio(a, b):
    return f"{a / b:.2f}x" if b > 0 else "n/a"


def report(results, n):
    print(f"### Per request, {n} sequential requests each (after warm-up), interleaved Worker/Spin\n")
    print("| request | Worker wall median / p90 ms | Spin wall median / p90 ms | Spin / Worker wall (median) "
          "| Worker runtime workerd CPU ms/req | Worker local proxy CPU ms/req "
          "| Spin harness CPU ms/req | Spin s3s-fs CPU ms/req | Spin / Worker CPU (harness+s3s-fs / runtime workerd) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in results:
        w, s = row["worker"], row["spin"]
        w_cpu, s_cpu = w["cpu"].get("runtime", 0), s["cpu"].get("runtime", 0) + s["cpu"].get("s3", 0)
        print(f"| {row['label']} | {w['median']:.2f} / {w['p90']:.2f} | {s['median']:.2f} / {s['p90']:.2f} "
              f"| {ratio(s['median'], w['median'])} | {w_cpu:.2f} | {w['cpu'].get('proxy', 0):.2f} "
              f"| {s['cpu'].get('runtime', 0):.2f} | {s['cpu'].get('s3', 0):.2f} | {ratio(s_cpu, w_cpu)} |")


def main():
    command = sys.argv[1]
    if command == "keygen":
        keygen(sys.argv[2])
    elif command == "seed":
        seed(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "playlist":
        sys.stdout.write(master_playlist())
    elif command == "measure":
        config = json.load(open(sys.argv[2]))
        results = measure(sys.argv[2])
        json.dump(results, open(config["results"], "w"), indent=1)
        report(results, config["n"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
