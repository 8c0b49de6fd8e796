#!/usr/bin/env python3
"""Benchmarks of publishing at scale against a network that answers in 50 ms.

Usage: bench/scale.py [build-dir] [--deliveries N] [--accounts N] [--toot-posts N]

- 10,000 due deliveries across 100 accounts (100 posts, each to every account), published by
  one `crier publish --due` at several --concurrency settings: total wall time against the
  ideal (deliveries x 50 ms / concurrency, or / accounts when fewer: one account is one at a time), CPU time per delivery, peak memory, and the
  network's count of statuses and duplicates.
- One process per post, as a cron script would post: toot (Debian package `toot`) and
  `crier post`, 500 statuses each to the same fake network, reported per post.
The network is build/tests/crier_bench_fake (bench/fake_network.cpp). Prints Markdown for the
README. Not a test: numbers depend on the machine.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

LATENCY_MS = 50


def arg(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def start_fake(build):
    p = subprocess.Popen([os.path.join(build, "tests", "crier_bench_fake"), "--latency-ms", str(LATENCY_MS),
                          "--threads", "256"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline())
    return p, f"http://127.0.0.1:{port}"


def stats(url):
    with urllib.request.urlopen(url + "/stats") as r:
        return json.load(r)


def timed(argv, env):
    """Runs argv under GNU time; returns (wall s, cpu s, peak MiB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + argv, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    last = p.stderr.strip().splitlines()[-1].split()
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {p.returncode}: {p.stderr[-2000:]}")
    return float(last[0]), float(last[1]) + float(last[2]), int(last[3]) / 1024


def crier_home(crier, url, accounts):
    home = tempfile.mkdtemp(prefix="crier-scale-")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data", NO_COLOR="1")
    for k in ("CRIER_DB", "CRIER_CONFIG", "CRIER_NOW", "CRIER_CONCURRENCY"):
        env.pop(k, None)
    subprocess.run([crier, "init", "-q"], env=env, check=True)
    for i in range(1, accounts + 1):
        subprocess.run([crier, "accounts", "add", "mastodon", "--server", url, "--secret-stdin", "--alias", f"a{i}",
                        "-q"], env=env, input=f"tok-{i}\n", text=True, check=True)
    return home, env


def queue(crier, env, posts, accounts, tag):
    to = ",".join(f"a{i}" for i in range(1, accounts + 1))
    for n in range(posts):
        subprocess.run([crier, "schedule", f"{tag} post {n}: the same words to every account", "--at", "now",
                        "--to", to, "-q"], env=env, check=True)


def main():
    build = os.path.abspath([a for a in sys.argv[1:] if not a.startswith("--") and not a.isdigit()][0]
                            if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "build")
    crier = os.path.join(build, "crier")
    deliveries, accounts, toot_posts = arg("--deliveries", 10000), arg("--accounts", 100), arg("--toot-posts", 500)
    fake, url = start_fake(build)
    homes = []
    try:
        home, env = crier_home(crier, url, accounts)
        homes.append(home)
        print(f"### {deliveries:,} due deliveries across {accounts} accounts, network latency {LATENCY_MS} ms "
              f"({os.cpu_count()} cores)\n")
        print("| --concurrency | wall | ideal | wall / ideal | CPU per delivery | peak RSS | statuses | duplicates |")
        print("|---|---|---|---|---|---|---|---|")
        for conc in (8, 32, 64):
            before = stats(url)
            queue(crier, env, deliveries // accounts, accounts, f"c{conc}")
            wall, cpu, rss = timed([crier, "publish", "--due", "-q", "--concurrency", str(conc)], env)
            after = stats(url)
            ideal = deliveries * LATENCY_MS / 1000 / min(conc, accounts)
            print(f"| {conc} | {wall:.1f} s | {ideal:.1f} s | {wall / ideal:.2f} | {cpu / deliveries * 1000:.2f} ms "
                  f"| {rss:.1f} MiB | {after['statuses'] - before['statuses']:,} "
                  f"| {after['duplicates'] - before['duplicates']} |")

        # One process per post, as a cron script would do it.
        tdir = tempfile.mkdtemp(prefix="toot-scale-")
        homes.append(tdir)
        host = url.split("://")[1]
        conf = {"apps": {host: {"instance": host, "base_url": url, "client_id": "bench", "client_secret": "bench"}},
                "users": {f"user1@{host}": {"instance": host, "username": "user1", "access_token": "tok-1"}},
                "active_user": f"user1@{host}"}
        os.makedirs(f"{tdir}/toot")
        with open(f"{tdir}/toot/config.json", "w") as f:
            json.dump(conf, f)
        tenv = dict(os.environ, XDG_CONFIG_HOME=tdir)
        rows = []
        if shutil.which("toot"):
            rows.append(("toot post (toot " + subprocess.run(["dpkg-query", "-W", "-f=${Version}", "toot"],
                                                            capture_output=True, text=True).stdout + ")",
                         ["toot", "post"], tenv))
        rows.append(("crier post --to a1", [crier, "post", "--to", "a1", "-q"], env))
        print(f"\n### {toot_posts} statuses, one process per post, network latency {LATENCY_MS} ms\n")
        print("| command | wall per post | CPU per post | peak RSS | statuses | duplicates |")
        print("|---|---|---|---|---|---|")
        for name, argv, e in rows:
            before = stats(url)
            walls, cpus, peak = 0.0, 0.0, 0.0
            for n in range(toot_posts):
                w, c, r = timed(argv + [f"{name.split()[0]} one by one {n}"], e)
                walls, cpus, peak = walls + w, cpus + c, max(peak, r)
            after = stats(url)
            print(f"| `{name}` | {walls / toot_posts * 1000:.0f} ms | {cpus / toot_posts * 1000:.1f} ms | {peak:.1f} MiB "
                  f"| {after['statuses'] - before['statuses']} | {after['duplicates'] - before['duplicates']} |")
    finally:
        fake.stdin.close()
        fake.wait()
        for h in homes:
            shutil.rmtree(h, ignore_errors=True)


if __name__ == "__main__":
    main()
