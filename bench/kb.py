#!/usr/bin/env python3
"""Benchmark of the knowledge base: indexing about 10,000 chunks and searching them (BM25).

Usage: bench/kb.py [path/to/crier] [--runs N] [--embed DIMS]

Writes 500 Markdown files of 20 sections each (varied words from a fixed vocabulary, so the
index is not trivial), times `crier kb add` of the folder once, then the median wall time of
`crier kb search` for a few queries (each a whole process: start-up, open, query, print) and
peak resident memory. Prints a Markdown table for the README. Not a test.

With --embed DIMS, an OpenAI-compatible embedding server on loopback (in this script: each
word a fixed random vector, a text the sum of its words') embeds every chunk at kb add, and
each search embeds its query and scans the 10,000 vectors of DIMS numbers too, fused with
BM25. The server's own time (Python) is in kb add's time; a query's round trip to it is in
each search's.
"""
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ("refund shipping order print card frame paper ink studio gift return parcel invoice price "
         "discount student wholesale custom size colour archive delivery tracking customs europe lisbon "
         "tuesday friday week month year workshop class booking voucher exchange damage insurance").split()


def embedding_server(dims):
    rng = random.Random(11)
    vectors = {w: [rng.uniform(-1, 1) for _ in range(dims)] for w in WORDS}
    other = [rng.uniform(-1, 1) for _ in range(dims)]

    def embed(text):
        counts = {}
        for w in re.findall(r"[a-z]+", text.lower()):
            counts[w] = counts.get(w, 0) + 1
        v = [x * 0.01 for x in other]
        for w, n in counts.items():
            wv = vectors.get(w)
            if wv:
                v = [a + n * b for a, b in zip(v, wv)]
        return v

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            data = [{"index": i, "embedding": embed(t)} for i, t in enumerate(body["input"])]
            out = json.dumps({"data": data, "model": body["model"], "usage": {"prompt_tokens": 0}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    crier = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "build/crier")
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 50
    home = tempfile.mkdtemp(prefix="crier-kb-bench-")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data",
               XDG_STATE_HOME=f"{home}/state", NO_COLOR="1")
    dims = int(sys.argv[sys.argv.index("--embed") + 1]) if "--embed" in sys.argv else 0
    if dims:
        server = embedding_server(dims)
        env["CRIER_LLM_EMBEDDING_MODEL"] = "openai:bench-embed"
        env["CRIER_LLM_EMBEDDING_ENDPOINT"] = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        rng = random.Random(7)
        docs = os.path.join(home, "docs")
        os.makedirs(docs)
        for f in range(500):
            with open(os.path.join(docs, f"doc{f:03}.md"), "w") as out:
                out.write(f"# Document {f}\n\n")
                for s in range(20):
                    out.write(f"## Section {s}\n\n")
                    for _ in range(6):
                        out.write(" ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + ". ")
                    out.write("\n\n")
        subprocess.run([crier, "init", "-q"], env=env, check=True)
        start = time.perf_counter()
        subprocess.run([crier, "kb", "add", docs, "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
        index_s = time.perf_counter() - start
        chunks = subprocess.run([crier, "kb", "list", "--json"], env=env, check=True, capture_output=True, text=True)
        import json
        total = sum(s["chunks"] for s in json.loads(chunks.stdout)["sources"])
        db = os.path.join(home, "data", "crier", "crier.db")
        rows = []
        floor = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(["/bin/true"])
            floor.append(time.perf_counter() - t)
        rows.append(("(/bin/true, the floor of starting any process)", statistics.median(floor) * 1000, 0))
        for query in ("refund", "student discount on custom frame sizes", "how long does delivery to lisbon take"):
            walls = []
            for _ in range(runs):
                t = time.perf_counter()
                subprocess.run([crier, "kb", "search", query, "--json"], env=env, check=True, stdout=subprocess.DEVNULL)
                walls.append(time.perf_counter() - t)
            peak = subprocess.run(["/usr/bin/time", "-f", "%M", crier, "kb", "search", query, "--json"], env=env,
                                  check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            rows.append((query, statistics.median(walls) * 1000, int(peak.stderr.decode().split()[-1]) / 1024))
        print(f"{total} chunks from 500 files ({os.path.getsize(db) / 1e6:.1f} MB database): "
              f"kb add took {index_s:.1f} s" + (f", embedding {dims} numbers a chunk" if dims else "") + "\n")
        print("| `crier kb search` | median wall (whole process) | peak RSS |")
        print("|---|---|---|")
        for q, ms, mib in rows:
            print(f"| {q if q.startswith('(') else repr(q)} | {ms:.1f} ms | {mib:.1f} MiB |")
    finally:
        if "--keep" in sys.argv:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
