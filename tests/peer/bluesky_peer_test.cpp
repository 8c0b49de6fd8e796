// End to end against the real local Bluesky network (../shared/peers/bluesky, MODE=full):
// PLC + PDS + AppView. Run by scripts/peer-test.sh, which starts the network; ctest label
// "peer". The AppView indexes writes asynchronously, so every check polls until what it
// waits for is visible (bounded), never sleeping a fixed time.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "fakes/images.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "paths.hpp"

using namespace crier;
using namespace crier::testing;
using nlohmann::json;

namespace {

std::string pds() {
  const char* p = std::getenv("CRIER_PEER_PDS");
  return p ? p : "http://localhost:2583";
}

struct Xrpc {
  std::unique_ptr<Transport> http = make_curl_transport();
  json call(const std::string& method, const std::string& nsid, const json& body = nullptr, const std::string& token = "",
            const std::string& query = "") {
    Headers h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    if (method == "POST") h.emplace_back("Content-Type", "application/json");
    auto r = http->send({method, pds() + "/xrpc/" + nsid + (query.empty() ? "" : "?" + query), h,
                         body.is_null() ? "" : body.dump()});
    INFO(nsid << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.body.empty() ? json::object() : json::parse(r.body);
  }
};

// Polls `check` until it is true: at most ~30 s, in 200 ms steps.
template <typename F>
bool eventually(F&& check) {
  for (int i = 0; i < 150; ++i) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::string now_iso() {
  return format_utc(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())).insert(19, ".000");
}

}  // namespace

TEST_CASE("bluesky on the real local network: post, reply, like, repost, poll, answer, measure", "[peer][bluesky]") {
  Xrpc x;
  REQUIRE(x.http->send({"GET", pds() + "/xrpc/_health", {}, ""}).status == 200);
  std::string sfx = std::to_string(std::random_device{}() % 1000000);
  std::string alice = "alice" + sfx + ".test", bob = "bob" + sfx + ".test";
  for (const auto& h : {alice, bob})
    x.call("POST", "com.atproto.server.createAccount", {{"handle", h}, {"email", h + "@example.com"}, {"password", "hunter2"}});
  json bob_session = x.call("POST", "com.atproto.server.createSession", {{"identifier", bob}, {"password", "hunter2"}});
  std::string bob_token = bob_session["accessJwt"], bob_did = bob_session["did"];

  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"init"}).exit_code == 0);
  auto add = h.run({"accounts", "add", "bluesky", "--handle", alice, "--server", pds(), "--secret-stdin"}, std::string("hunter2\n"));
  INFO(add.err);
  REQUIRE(add.exit_code == 0);

  auto img = h.home() / "pixel.png";
  write_file_atomic(img, test_png(508));
  std::string text = "Hello @" + bob + "! Notes at https://example.com/a/rather/long/path/to/the/notes #crier 👋";
  auto post = h.json({"post", text, "--image", img.string(), "--alt", "a test image", "--no-card"});
  REQUIRE(post["deliveries"][0]["result"] == "published");
  std::string uri = post["deliveries"][0]["remote_id"];
  std::string did = uri.substr(5, uri.find('/', 5) - 5);
  std::string rkey = uri.substr(uri.rfind('/') + 1);

  // What the PDS stored: facets at the right bytes, the mention resolved to bob's DID, the image.
  json rec = x.call("GET", "com.atproto.repo.getRecord", nullptr, "",
                    "repo=" + did + "&collection=app.bsky.feed.post&rkey=" + rkey);
  std::string stored = rec["value"]["text"];
  CHECK(stored == "Hello @" + bob + "! Notes at example.com/a/rather/long/p... #crier 👋");
  REQUIRE(rec["value"]["facets"].size() == 3);
  for (const auto& f : rec["value"]["facets"]) {
    size_t s = f["index"]["byteStart"], e = f["index"]["byteEnd"];
    std::string span = stored.substr(s, e - s);
    std::string type = f["features"][0]["$type"];
    if (type == "app.bsky.richtext.facet#mention") {
      CHECK(span == "@" + bob);
      CHECK(f["features"][0]["did"] == bob_did);
    } else if (type == "app.bsky.richtext.facet#link") {
      CHECK(f["features"][0]["uri"] == "https://example.com/a/rather/long/path/to/the/notes");
    } else {
      CHECK(span == "#crier");
    }
  }
  CHECK(rec["value"]["embed"]["images"][0]["alt"] == "a test image");
  json ref = {{"uri", uri}, {"cid", rec["cid"]}};

  // Bob answers once the AppView has indexed the post (a reply to an unindexed parent is lost).
  REQUIRE(eventually([&] {
    auto r = x.call("GET", "app.bsky.feed.getPosts", nullptr, bob_token, "uris=" + url_encode(uri));
    return !r["posts"].empty();
  }));
  x.call("POST", "com.atproto.repo.createRecord",
         {{"repo", bob_did}, {"collection", "app.bsky.feed.post"},
          {"record", {{"$type", "app.bsky.feed.post"}, {"text", "Nice, thanks!"}, {"createdAt", now_iso()},
                      {"reply", {{"root", ref}, {"parent", ref}}}}}},
         bob_token);
  x.call("POST", "com.atproto.repo.createRecord",
         {{"repo", bob_did}, {"collection", "app.bsky.feed.like"},
          {"record", {{"$type", "app.bsky.feed.like"}, {"subject", ref}, {"createdAt", now_iso()}}}},
         bob_token);
  x.call("POST", "com.atproto.repo.createRecord",
         {{"repo", bob_did}, {"collection", "app.bsky.feed.repost"},
          {"record", {{"$type", "app.bsky.feed.repost"}, {"subject", ref}, {"createdAt", now_iso()}}}},
         bob_token);

  // crier poll brings the reply into the inbox.
  json reply_item;
  REQUIRE(eventually([&] {
    h.run({"poll"});
    auto inbox = h.json({"inbox", "list", "--kind", "reply"});
    if (inbox["items"].empty()) return false;
    reply_item = inbox["items"][0];
    return true;
  }));
  CHECK(reply_item["text"] == "Nice, thanks!");
  CHECK(reply_item["author"] == "@" + bob);
  CHECK(reply_item["delivery_id"] == post["deliveries"][0]["id"]);

  // crier inbox reply answers in the thread, with the right root and parent.
  auto answered = h.json({"inbox", "reply", std::to_string(reply_item["id"].get<int>()), "You're welcome!"});
  std::string answer_uri = answered["reply"]["remote_id"];
  json answer = x.call("GET", "com.atproto.repo.getRecord", nullptr, "",
                       "repo=" + did + "&collection=app.bsky.feed.post&rkey=" + answer_uri.substr(answer_uri.rfind('/') + 1));
  CHECK(answer["value"]["reply"]["root"]["uri"] == uri);
  CHECK(answer["value"]["reply"]["parent"]["uri"] == reply_item["remote_id"]);

  // crier analytics refresh shows the counts once the AppView has them.
  REQUIRE(eventually([&] {
    h.run({"analytics", "refresh"});
    auto s = h.json({"analytics", "summary"});
    auto a = s["accounts"][0];
    return a["likes"] == 1 && a["reposts"] == 1 && a["replies"] == 1;
  }));

  // Publishing the same delivery again collides with the first write (exactly once).
  auto reconcile = h.json({"publish", "--due"});
  CHECK(reconcile["deliveries"].empty());
}

TEST_CASE("bluesky on the real local network: a thread is listed in its order, each part once", "[peer][bluesky]") {
  // Every part used to carry the same createdAt (".000"): the AppView listed part 2, part 3,
  // an older post, then part 1. Each part now has its own, strictly later, with milliseconds.
  Xrpc x;
  REQUIRE(x.http->send({"GET", pds() + "/xrpc/_health", {}, ""}).status == 200);
  std::string sfx = std::to_string(std::random_device{}() % 1000000);
  std::string carol = "carol" + sfx + ".test";
  x.call("POST", "com.atproto.server.createAccount",
         {{"handle", carol}, {"email", carol + "@example.com"}, {"password", "hunter2"}});
  json session = x.call("POST", "com.atproto.server.createSession", {{"identifier", carol}, {"password", "hunter2"}});
  CrierHome h(CRIER_BINARY);
  REQUIRE(h.run({"accounts", "add", "bluesky", "--handle", carol, "--server", pds(), "--secret-stdin"},
                std::string("hunter2\n"))
              .exit_code == 0);
  REQUIRE(h.json({"post", "An older post, before the thread.", "--no-card"})["deliveries"][0]["result"] == "published");
  std::string text;
  for (int i = 1; i <= 12; ++i) text += "Sentence " + std::to_string(i) + " of a thread about ordering things well. ";
  auto thread = h.json({"post", text, "--thread", "--no-card"});
  REQUIRE(thread["deliveries"][0]["result"] == "published");
  auto parts = thread["deliveries"][0]["parts"];
  REQUIRE(parts.size() >= 3);
  json feed;
  REQUIRE(eventually([&] {
    feed = x.call("GET", "app.bsky.feed.getAuthorFeed", nullptr, session["accessJwt"],
                  "actor=" + url_encode(carol) + "&limit=50");
    return feed["feed"].size() == parts.size() + 1;
  }));
  // Newest first: the last part, ..., the first part, then the older post.
  std::vector<std::string> order;
  for (const auto& item : feed["feed"]) order.push_back(item["post"]["uri"]);
  for (size_t i = 0; i < parts.size(); ++i) CHECK(order[i] == parts[parts.size() - 1 - i]["remote_id"]);
  CHECK(order.back() != parts[0]["remote_id"]);
}
