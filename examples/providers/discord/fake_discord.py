#!/usr/bin/env python3
"""A Discord API (v10) on 127.0.0.1 for testing crier-provider-discord: one server, one channel,
a bot and the people who answer it. It keeps state like Discord: snowflake ids from its clock,
messages listed newest first with after/limit, enforce_nonce dedup for five minutes, replies
carrying referenced_message, reactions, 401/404/429 bodies shaped like Discord's.

    fake_discord.py --port-file FILE   # writes its port to FILE once it listens

Test controls (not Discord's): POST /_fake/advance?seconds=N lets time pass (people reply to
the bot's messages, mention it, react); GET /_fake/count is how many messages the bot has
made; POST /_fake/lose_next makes the next message and then answers 500 (a lost answer);
POST /_fake/throttle_next answers the next message with a 429.
"""

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN = "fake-bot-token"
BOT = {"id": "1100000000000000001", "username": "crier-bot", "global_name": None, "bot": True,
       "discriminator": "0000"}
CHANNEL_ID = "1100000000000000010"
GUILD_ID = "1100000000000000100"
PEOPLE = [{"id": "1100000000000001001", "username": "ada", "global_name": "Ada"},
          {"id": "1100000000000001002", "username": "grace", "global_name": "Grace H."}]
DISCORD_EPOCH_MS = 1420070400000


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.offset = 0.0  # seconds added to the real clock by /_fake/advance
        self.messages = []  # oldest first
        self.seq = 0
        self.nonces = {}  # (author id, nonce) -> (message, time)
        self.lose_next = False
        self.throttle_next = False
        self.answered = set()

    def now(self):
        return time.time() + self.offset

    def snowflake(self):
        self.seq += 1
        ms = int(self.now() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (self.seq & 0x3FFFFF))

    def stamp(self):
        t = self.now()
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06d+00:00" % int((t % 1) * 1e6)

    def add(self, author, content, reply_to=None, mentions=(), attachments=(), nonce=None):
        m = {"id": self.snowflake(), "type": 19 if reply_to else 0, "channel_id": CHANNEL_ID, "author": author,
             "content": content, "timestamp": self.stamp(), "edited_timestamp": None, "tts": False,
             "mention_everyone": False, "mentions": list(mentions), "attachments": list(attachments),
             "embeds": [], "pinned": False, "flags": 0}
        if nonce is not None:
            m["nonce"] = nonce
        if reply_to:
            parent = next((x for x in self.messages if x["id"] == reply_to), None)
            m["message_reference"] = {"type": 0, "message_id": reply_to, "channel_id": CHANNEL_ID,
                                      "guild_id": GUILD_ID}
            m["referenced_message"] = {k: v for k, v in parent.items() if k != "referenced_message"} if parent else None
        self.messages.append(m)
        return m


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Limit", "5")
        self.send_header("X-RateLimit-Remaining", "4")
        self.send_header("X-RateLimit-Reset-After", "1.000")
        self.send_header("X-RateLimit-Bucket", "fakebucket")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authorized(self):
        if self.headers.get("Authorization") != "Bot " + TOKEN:
            self.send(401, {"message": "401: Unauthorized", "code": 0})
            return False
        return True

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        raw = self.body()
        if path.startswith("/_fake/"):
            return self.control(path, query)
        if not path.startswith("/api/v10/"):
            return self.send(404, {"message": "404: Not Found", "code": 0})
        path = path[len("/api/v10"):]
        if not self.authorized():
            return
        with STATE.lock:
            if method == "GET" and path == "/users/@me":
                return self.send(200, BOT)
            if method == "GET" and path == "/channels/" + CHANNEL_ID:
                return self.send(200, {"id": CHANNEL_ID, "type": 0, "guild_id": GUILD_ID, "name": "announcements",
                                       "position": 0, "nsfw": False})
            if method == "GET" and path == "/guilds/" + GUILD_ID:
                return self.send(200, {"id": GUILD_ID, "name": "Creators", "approximate_member_count": 1234,
                                       "approximate_presence_count": 56})
            m = re.fullmatch(r"/channels/(\d+)/messages", path)
            if m and m.group(1) == CHANNEL_ID:
                return self.list_messages(query) if method == "GET" else self.create(raw)
            m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)
            if m and m.group(1) == CHANNEL_ID and method == "GET":
                found = next((x for x in STATE.messages if x["id"] == m.group(2)), None)
                if found:
                    return self.send(200, found)
                return self.send(404, {"message": "Unknown Message", "code": 10008})
            if re.fullmatch(r"/channels/\d+(/.*)?", path):
                return self.send(404, {"message": "Unknown Channel", "code": 10003})
        self.send(404, {"message": "404: Not Found", "code": 0})

    def list_messages(self, query):
        limit = max(1, min(int(query.get("limit", 50)), 100))
        after = int(query.get("after", 0))
        newer = [x for x in STATE.messages if int(x["id"]) > after][:limit]
        self.send(200, list(reversed(newer)))  # newest first, as Discord lists them

    def create(self, raw):
        ctype = self.headers.get("Content-Type", "")
        files = 0
        if ctype.startswith("multipart/form-data"):
            boundary = ctype.split("boundary=", 1)[1].encode()
            payload = None
            for chunk in raw.split(b"--" + boundary):
                head, _, content = chunk.partition(b"\r\n\r\n")
                if b'name="payload_json"' in head:
                    payload = json.loads(content.rstrip(b"\r\n"))
                elif b'name="files[' in head:
                    files += 1
            body = payload or {}
        else:
            body = json.loads(raw or b"{}")
        content = body.get("content", "")
        if len(content) > 2000:
            return self.send(400, {"message": "Invalid Form Body", "code": 50035,
                                   "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                                                        "message": "Must be 2000 or fewer in length."}]}}})
        if not content and not files:
            return self.send(400, {"message": "Cannot send an empty message", "code": 50006})
        if STATE.throttle_next:
            STATE.throttle_next = False
            return self.send(429, {"message": "You are being rate limited.", "retry_after": 1.5, "global": False},
                             {"Retry-After": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"})
        key = (BOT["id"], body.get("nonce"))
        if body.get("enforce_nonce") and body.get("nonce") is not None and key in STATE.nonces:
            previous, at = STATE.nonces[key]
            if STATE.now() - at < 300:
                return self.send(200, previous)
        reply_to = (body.get("message_reference") or {}).get("message_id")
        attachments = [{"id": STATE.snowflake(), "filename": a.get("filename", "file"),
                        "description": a.get("description", ""), "size": 1} for a in body.get("attachments") or []]
        if len(attachments) != files:
            return self.send(400, {"message": "Invalid Form Body", "code": 50035})
        m = STATE.add(BOT, content, reply_to, attachments=attachments, nonce=body.get("nonce"))
        if body.get("nonce") is not None:
            STATE.nonces[key] = (m, STATE.now())
        if STATE.lose_next:
            STATE.lose_next = False
            return self.send(500, {"message": "500: Internal Server Error", "code": 0})
        self.send(200, m)

    def control(self, path, query):
        with STATE.lock:
            if path == "/_fake/advance":
                STATE.offset += float(query.get("seconds", 0))
                for m in list(STATE.messages):
                    if m["author"]["id"] != BOT["id"] or m["id"] in STATE.answered:
                        continue
                    STATE.answered.add(m["id"])
                    STATE.add(PEOPLE[0], "nice one", reply_to=m["id"])
                    m.setdefault("reactions", [{"count": 0, "me": False, "emoji": {"id": None, "name": "👍"}}])
                    m["reactions"][0]["count"] += 3
                STATE.add(PEOPLE[1], "<@%s> have you seen this?" % BOT["id"], mentions=[BOT])
                STATE.add(PEOPLE[1], "just chatting")
                return self.send(200, {})
            if path == "/_fake/count":
                return self.send(200, {"count": sum(1 for m in STATE.messages if m["author"]["id"] == BOT["id"])})
            if path == "/_fake/lose_next":
                STATE.lose_next = True
                return self.send(200, {})
            if path == "/_fake/throttle_next":
                STATE.throttle_next = True
                return self.send(200, {})
        self.send(404, {"message": "no such control"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
