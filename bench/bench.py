#!/usr/bin/env python3
"""Benchmarks of crier's start-up paths: what cron pays every minute.

Usage: bench/bench.py [path/to/crier] [--runs N]

Measures median wall time (spawned directly) and peak resident memory (GNU time's %M: the
child of a tiny process, so the parent's memory is not counted as it would be after a fork
from Python) of:
  - crier --version
  - crier publish --due with no database yet
  - crier publish --due with nothing due, in a database holding 10,000 published deliveries
    and 1,000 scheduled for next week across 100 accounts (a busy year of a heavy user)
Prints a Markdown table for the README. Not a test: numbers depend on the machine.
"""
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time


def run_many(argv, env, runs):
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - start)
        if p.returncode != 0:
            sys.exit(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.decode()}")
    peaks = []
    for _ in range(10):
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, check=True)
        peaks.append(int(p.stderr.decode().strip().splitlines()[-1]))
    return statistics.median(walls) * 1000, max(peaks) / 1024


def populate(crier, env):
    subprocess.run([crier, "init", "-q"], env=env, check=True)
    for i in range(100):
        subprocess.run([crier, "accounts", "add", "sandbox", "--handle", f"user{i}", "-q"], env=env, check=True)
    db = os.path.join(env["XDG_DATA_HOME"], "crier", "crier.db")
    con = sqlite3.connect(db)
    now = int(time.time())
    with con:
        for i in range(11000):
            cur = con.execute("INSERT INTO posts (text, created_at) VALUES (?, ?)",
                              (f"post number {i} with some text about nothing much", now - 86400))
            published = i < 10000
            con.execute(
                "INSERT INTO deliveries (post_id, account_id, status, due_at, idempotency_key, remote_id,"
                " published_at, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (cur.lastrowid, 1 + i % 100, "published" if published else "queued",
                 now - 86400 * 300 + i * 2000 if published else now + 7 * 86400 + i,
                 f"bench-{i}", f"sbx-{i}" if published else None, now - 3600 if published else None,
                 now - 86400))
    con.close()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = 200
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
        args = [a for a in args if a != str(runs)]
    crier = os.path.abspath(args[0] if args else "build/crier")
    home = tempfile.mkdtemp(prefix="crier-bench-")
    try:
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data",
                   NO_COLOR="1")
        for k in ("CRIER_DB", "CRIER_CONFIG", "CRIER_NOW"):
            env.pop(k, None)
        rows = [("/bin/true (the floor: process start-up as measured here)", run_many(["/bin/true"], env, runs)),
                ("crier --version", run_many([crier, "--version"], env, runs)),
                ("crier publish --due (no database yet)", run_many([crier, "publish", "--due"], env, runs))]
        populate(crier, env)
        rows.append(("crier publish --due (nothing due; 11,000 deliveries, 100 accounts)",
                     run_many([crier, "publish", "--due"], env, runs)))
        print(f"| command | median wall | peak RSS |  ({runs} runs each, {os.cpu_count()} cores)")
        print("|---|---|---|")
        for name, (wall, rss) in rows:
            print(f"| `{name}` | {wall:.2f} ms | {rss:.1f} MiB |")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
