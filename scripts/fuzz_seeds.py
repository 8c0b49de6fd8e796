#!/usr/bin/env python3
"""Seeds for the fuzz harnesses from the real networks' recorded traffic in ../shared.

Usage: fuzz_seeds.py RECORDED_DIR OUT_DIR

Writes OUT_DIR/<harness>/<n> files: response bodies recorded from Mastodon (the vcrpy
cassettes; read with PyYAML when it is installed, else skipped), Bluesky (atproto) and the
other networks' JSON, framed the way fuzz_providers reads its input, and the HTML in Mastodon
statuses for fuzz_html. Nothing here is committed: it is rebuilt from shared/ on every run.
"""
import hashlib
import json
import pathlib
import sys

SEP = b"\xff"


def provider_input(op, bodies):
    """fuzz_providers' framing: op, then six answers of (status 200, no headers, body)."""
    out = bytes([op])
    for i in range(6):
        body = bodies[i % len(bodies)]
        out += bytes([0, 0]) + body.replace(SEP, b"") + SEP
    return out


def write(out, harness, data):
    d = out / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def mastodon_bodies(recorded):
    try:
        import yaml  # noqa: PLC0415
    except ImportError:
        print("fuzz_seeds: PyYAML not installed; Mastodon cassettes skipped", file=sys.stderr)
        return []
    bodies = []
    for path in sorted((recorded / "mastodon.py").rglob("*.yaml")):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except Exception:  # a cassette yaml cannot read is not a seed
            continue
        for it in (doc or {}).get("interactions", []):
            body = ((it.get("response") or {}).get("body") or {}).get("string")
            uri = (it.get("request") or {}).get("uri", "")
            if isinstance(body, str) and body.startswith(("{", "[")):
                bodies.append((uri, body.encode("utf-8")))
    return bodies


def main():
    recorded, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for uri, body in mastodon_bodies(recorded):
        op = 2 if "notifications" in uri else 3 if "conversations" in uri else 6 if "verify_credentials" in uri else 0
        if "/statuses" in uri and body.startswith(b"["):
            op = 1
        if "/statuses/" in uri and "GET" not in uri:
            op = 5
        write(out, "providers", provider_input(op, [body]))
        try:
            doc = json.loads(body)
        except ValueError:
            continue
        items = doc if isinstance(doc, list) else [doc]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("content"), str) and item["content"]:
                write(out, "html", item["content"].encode("utf-8"))
        n += 1
    for path in sorted((recorded / "atproto-python").rglob("*.json")):
        body = path.read_bytes()
        for op in (0x80, 0x81, 0x82, 0x85, 0x86):
            write(out, "providers", provider_input(op, [body]))
        n += 1
    for folder in ("python-facebook", "restfb", "go-reddit"):
        for path in sorted((recorded / folder).rglob("*.json"))[:400]:
            # Each network's bodies go to its provider (op bits 5-7), for every operation:
            # Reddit 0x20, Threads 0x40, Instagram 0x60, Facebook 0xA0.
            p = str(path)
            if folder == "go-reddit":
                net = 0x20
            elif "/threads/" in p or "threads_" in path.name:
                net = 0x40
            elif "/instagram" in p:
                net = 0x60
            elif folder == "python-facebook" or "/webhooks/" in p:
                net = 0xA0
            else:
                net = None
            ops = [net | k for k in range(8)] if net is not None else [len(path.name) % 8]
            for op in ops:
                write(out, "providers", provider_input(op, [path.read_bytes()]))
            n += 1
    print(f"fuzz_seeds: {n} recorded bodies into {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
