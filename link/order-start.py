#!/usr/bin/env python3
"""Writes link/start-order.ld: the functions offcloud runs while starting and idling, placed
together at the front of the binary's code (see link/README.md for why).

Run from the repository root, on x86_64 Linux with valgrind installed (Debian: `valgrind`):

    python3 link/order-start.py

It builds offcloud three times, as `cargo build --release`, `cargo bench` and docker/Dockerfile
build it (the binaries' symbols carry different hashes), asks the linker for a map of each,
starts each binary under valgrind's lackey tool (without and with the shipped fixtures, answering
one health check, then idle past the default session's parking), and names every function that
ran. It takes about twenty-five minutes. Commit the new link/start-order.ld.
"""
import bisect
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "link", "start-order.ld")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
HOST = "x86_64-unknown-linux-gnu"
# (name, command, environment, the binary it makes). The Docker image's build is docker/Dockerfile's
# (static, an explicit target), in the folder where tests/it/docker.rs replays it.
BUILDS = [
    ("release", ["cargo", "build", "--release", "--bin", "offcloud"], {},
     os.path.join(TARGET, "release", "offcloud")),
    ("bench", ["cargo", "bench", "--bench", "load", "--no-run"], {},
     os.path.join(TARGET, "release", "offcloud")),
    ("docker", ["cargo", "build", "--release", "--bin", "offcloud", "--target", HOST],
     {"RUSTFLAGS": "-C target-feature=+crt-static", "SQLX_OFFLINE": "true",
      "CARGO_TARGET_DIR": os.path.join(ROOT, "target", "docker")},
     os.path.join(ROOT, "target", "docker", HOST, "release", "offcloud")),
]
# Long enough for the default session to be parked (10 s after its last request).
IDLE_SECONDS = 14
FIXTURES = os.path.join(ROOT, "fixtures")


def text_sections(map_file):
    """(address, size, symbol) of every function the linker placed, in address order."""
    found = []
    pattern = re.compile(r":\(\.text\.(?:unlikely\.)?([^)]+)\)\s*$")
    for line in open(map_file):
        m = pattern.search(line)
        if m:
            fields = line.split()
            size = int(fields[2], 16)
            if size:
                found.append((int(fields[0], 16), size, m.group(1)))
    found.sort()
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_traced(binary, flags, work):
    """The addresses (relative to the binary's start) of every instruction of `binary` run."""
    ports = [str(free_port()) for _ in range(5)]
    log = os.path.join(work, "lackey.log")
    args = ["valgrind", "--tool=lackey", "--trace-mem=yes", f"--log-file={log}", binary,
            "--port", ports[0], "--memgraph-port", ports[1], "--typedb-port", ports[2],
            "--hasura-port", ports[3], "--dgraph-port", ports[4],
            "--dgraph-backend-ports", "off", *flags]
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # A start under lackey took 56 s to over 120 s on a slow machine.
    deadline = time.time() + 600
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/_offcloud/health", timeout=2)
            break
        except OSError:
            if time.time() > deadline or child.poll() is not None:
                child.kill()
                sys.exit(f"{binary} did not answer under valgrind")
            time.sleep(0.5)
    base = None
    with open(f"/proc/{child.pid}/maps") as maps:
        for line in maps:
            if line.rstrip().endswith(os.path.basename(binary)) and " 00000000 " in line:
                base = int(line.split("-")[0], 16)
                break
    time.sleep(IDLE_SECONDS)
    child.send_signal(signal.SIGKILL)
    child.wait()
    if base is None:
        sys.exit("could not find where valgrind loaded the binary")
    seen = set()
    with open(log) as lines:
        for line in lines:
            if line.startswith("I "):
                seen.add(int(line[3:].split(",")[0], 16) - base)
    os.remove(log)
    return seen


def ran(sections, addresses):
    """The symbols of `sections` holding one of `addresses`, in address order."""
    starts = [s[0] for s in sections]
    hit = set()
    for a in addresses:
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0 and a < sections[i][0] + sections[i][1]:
            hit.add(i)
    return [sections[i][2] for i in sorted(hit)]


def hashless(symbol):
    """The symbol with the hashes that differ between builds of the same code replaced by `*`:
    the crate disambiguators of v0 names and the trailing hash of legacy names."""
    symbol = re.sub(r"Cs[0-9A-Za-z]+_", "Cs*_", symbol)
    return re.sub(r"17h[0-9a-f]{16}E$", "17h*E", symbol)


def main():
    os.chdir(ROOT)
    work = tempfile.mkdtemp(prefix="offcloud-order-")
    patterns = []
    for name, command, extra, built in BUILDS:
        map_file = os.path.join(work, f"{name}.map")
        env = dict(os.environ, OFFCLOUD_LINK_MAP=map_file, OFFCLOUD_TEXT_ORDER="off", **extra)
        subprocess.run(command, env=env, check=True)
        binary = os.path.join(work, f"offcloud-{name}")
        shutil.copy(built, binary)
        sections = text_sections(map_file)
        instances = {}
        for _, _, symbol in sections:
            instances[hashless(symbol)] = instances.get(hashless(symbol), 0) + 1
        bare = ran(sections, run_traced(binary, [], work))
        fixtures = ran(sections, run_traced(binary, ["--fixtures", FIXTURES], work))
        # What a bare start runs comes first, so that it is one stretch of code on its own.
        in_bare = set(bare)
        symbols = bare + [s for s in fixtures if s not in in_bare]
        # A name whose hash-less form is one function's matches that function in every build; a
        # generic function's instances differ only by hash, so they are named exactly.
        for i, symbol in enumerate(symbols):
            pattern = hashless(symbol)
            patterns.append((i < len(bare), pattern if instances[pattern] == 1 else symbol))
        print(f"{name}: {len(bare)} functions ran, {len(symbols)} with the fixtures", file=sys.stderr)
    shutil.rmtree(work)
    # Every build's bare start first, then what the fixtures add.
    ordered = [p for bare, p in patterns if bare] + [p for bare, p in patterns if not bare]
    unique = list(dict.fromkeys(ordered))
    with open(OUT, "w") as out:
        out.write("/* Generated by link/order-start.py: the functions offcloud runs at start and\n"
                  "   while idle, first in its code. See link/README.md. */\n"
                  "SECTIONS {\n  .text.at_start : {\n")
        for p in unique:
            out.write(f"    *(.text.{p} .text.unlikely.{p})\n")
        out.write("  }\n} INSERT BEFORE .text;\n")
    print(f"wrote {OUT}: {len(unique)} names", file=sys.stderr)


if __name__ == "__main__":
    main()
