"""A loopback stand-in for many remote servers' inboxes, for tests/bench/fanout.sh.

Answers every POST 202 after reading its body and records the path and time; GET /stats answers
the counts. Threaded, as real servers answer deliveries concurrently.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
posts = []  # (monotonic time, path, signed with)


class Handler(BaseHTTPRequestHandler):
    # Keep-alive, as real servers: workerd reuses connections, and an HTTP/1.0 answer's close
    # then loses the next request ("Network connection lost").
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        scheme = "rfc9421" if self.headers.get("signature-input") else "cavage"
        with lock:
            posts.append((time.monotonic(), self.path, scheme))
        self.send_response(202)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self):
        with lock:
            paths = {p for _, p, _ in posts}
            body = json.dumps({
                "posts": len(posts),
                "distinct_inboxes": len(paths),
                "first": posts[0][0] if posts else None,
                "last": posts[-1][0] if posts else None,
                "now": time.monotonic(),
                "schemes": sorted({s for _, _, s in posts}),
            }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()
