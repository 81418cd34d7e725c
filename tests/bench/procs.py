"""Process lookups the benchmarks share: which process of an instance's group listens on a port.

`wrangler dev` runs two workerd processes (the local proxy on the instance's port, and the
runtime); the benchmarks attribute CPU time to each, so they need the proxy's PID.
Run as `python3 procs.py listening-pid GROUP PORT` from a shell script, or import it.
"""

import os
import sys


def listening_pid(group, port):
    """The PID (a string) of the process of process group `group` listening on TCP `port`, or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).readlines()[1:]:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "0A":
                inodes.add(f[9])
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{p}/stat").read()
            if int(stat[stat.rindex(")") + 2:].split()[2]) != group:
                continue
            links = {os.readlink(f"/proc/{p}/fd/{fd}") for fd in os.listdir(f"/proc/{p}/fd")}
        except OSError:
            continue
        if any(f"socket:[{i}]" in links for i in inodes):
            return p
    return None


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "listening-pid":
        sys.exit("usage: procs.py listening-pid GROUP PORT")
    found = listening_pid(int(sys.argv[2]), int(sys.argv[3]))
    if found:
        print(found)
