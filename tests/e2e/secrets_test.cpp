// Secrets never leave crier: canary credentials, held by servers that echo them back in error
// bodies, headers and JSON fields, must not appear in anything crier writes - stdout, stderr,
// -vv logs, --json, the database's non-secret tables, or any file in its data directory.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sqlite3.h>

#include "providers/bluesky/testing/bluesky_fake.hpp"
#include "fakes/loopback_server.hpp"
#include "providers/mastodon/testing/mastodon_fake.hpp"
#include "providers/reddit/testing/reddit_fake.hpp"
#include "providers/threads/testing/threads_fake.hpp"
#include "providers/instagram/testing/instagram_fake.hpp"
#include "providers/facebook/testing/facebook_fake.hpp"
#include "fakes/images.hpp"
#include "fakes/s3_server.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"

using namespace crier;
using namespace crier::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string k_masto_token = "canary-masto-7f3a9c2e51b04d8e";
const std::string k_bsky_password = "canary-bsky-pass-41d8e2a9";
const std::string k_bsky_prefix = "canary-bsky-jwt-9e1f-";
const std::string k_llm_key = "sk-canary-llm-0c3b5d7e";
const std::string k_reddit_secret = "canary-reddit-secret-5b2e";
const std::string k_reddit_password = "canary-reddit-pass-8d1f";
const std::string k_reddit_token = "fake-access-";  // every token the Reddit fake hands out
const std::vector<std::string> k_canaries{k_masto_token, k_bsky_password, k_bsky_prefix, k_llm_key,
                                          k_reddit_secret, k_reddit_password, k_reddit_token};

std::string leaked(const std::string& where, const std::string& text) {
  for (const auto& c : k_canaries)
    if (text.find(c) != std::string::npos) return where + " holds " + c;
  return "";
}

// Every row of every table but secrets, as text.
std::string non_secret_tables(const fs::path& db_file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::vector<std::string> tables;
  sqlite3_exec(
      db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'secrets'",
      [](void* out, int, char** row, char**) {
        static_cast<std::vector<std::string>*>(out)->push_back(row[0]);
        return 0;
      },
      &tables, nullptr);
  std::string all;
  for (const auto& t : tables)
    sqlite3_exec(
        db, ("SELECT * FROM \"" + t + "\"").c_str(),
        [](void* out, int n, char** row, char**) {
          for (int i = 0; i < n; ++i) *static_cast<std::string*>(out) += (row[i] ? row[i] : "") + std::string("|");
          return 0;
        },
        &all, nullptr);
  sqlite3_close(db);
  return all;
}

}  // namespace

TEST_CASE("secrets: canaries echoed by every server never reach output, logs, the store or the data dir",
          "[e2e][secrets]") {
  MastodonFake masto;
  masto.set_token(k_masto_token);
  masto.echo_secrets = true;
  BlueskyFake bsky(true, k_bsky_prefix, k_bsky_password);
  LoopbackServer llm;
  int llm_calls = 0;
  std::mutex llm_mutex;
  llm.server().Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(llm_mutex);
    std::string auth = req.get_header_value("Authorization");
    res.set_header("X-Echo", auth);
    if (llm_calls++ == 0) {  // as OpenAI does: the refused key, quoted
      res.status = 401;
      res.set_content(json{{"error", {{"message", "Incorrect API key provided: " + auth.substr(7)}}}}.dump(),
                      "application/json");
      return;
    }
    json content = {{"variants", {"A post about the canary " + auth.substr(7)}}};
    res.set_content(json{{"model", "m"},
                         {"choices", {{{"message", {{"role", "assistant"}, {"content", content.dump()}}},
                                       {"finish_reason", "stop"}}}}}
                        .dump(),
                    "application/json");
  });
  std::string llm_url = llm.start();

  CrierHome h(CRIER_BINARY);
  h.env["CRIER_LLM_BACKEND"] = "openai";
  h.env["CRIER_LLM_ENDPOINT"] = llm_url + "/v1";
  h.env["CRIER_LLM_MODEL"] = "m";
  h.env["OPENAI_API_KEY"] = k_llm_key;
  h.env["CRIER_BLUESKY_CHAT"] = BlueskyFake::k_chat;
  std::vector<std::pair<std::string, ProcessResult>> runs;
  auto run = [&](std::vector<std::string> args, std::optional<std::string> in = std::nullopt) {
    for (bool verbose : {false, true}) {
      std::vector<std::string> a = args;
      if (verbose) a.insert(a.begin(), "-vv");
      auto r = h.run(a, in);
      std::string name;
      for (const auto& w : a) name += w + " ";
      runs.emplace_back(name, r);
      if (args[0] == "accounts" && args.size() > 1 && args[1] == "add") break;  // once is enough
    }
  };
  run({"init"});
  run({"config", "set", "publish.backoff_seconds", "0"});
  run({"accounts", "add", "mastodon", "--server", masto.url(), "--secret-stdin", "--alias", "m"}, k_masto_token + "\n");
  run({"accounts", "add", "bluesky", "--handle", BlueskyFake::k_handle, "--server", bsky.url(), "--secret-stdin",
       "--alias", "b"},
      k_bsky_password + "\n");
  run({"accounts", "add", "bluesky", "--handle", BlueskyFake::k_handle, "--server", bsky.url(), "--secret-stdin"},
      "wrong-" + k_bsky_password + "\n");  // refused: the server quotes the password back
  run({"accounts", "list"});
  run({"accounts", "list", "--json"});
  run({"accounts", "check"});
  run({"doctor"});
  run({"doctor", "--json"});
  masto.fail("/api/v1/statuses", 500, {}, 1, R"({"error":"boom"})");  // echoes the token in the body
  run({"post", "hello canary world", "--to", "m,b", "--no-card"});
  masto.fail("/api/v1/statuses", 422, {}, 2, R"({"error":"Validation failed"})");
  run({"post", "refused for good", "--to", "m", "--json"});
  run({"publish", "--due"});
  run({"queue", "list", "--all"});
  run({"queue", "list", "--all", "--json"});
  run({"queue", "show", "1"});
  run({"queue", "show", "1", "--json"});
  masto.add_mention("carol@example.social", "hey, is this your token? " + k_masto_token);
  // (The app password is not kept after sign-in, so a later run cannot know it: the session is
  // what a server can echo then.)
  bsky.add_mention("bob.test", "and yours? " + bsky.access_token());
  run({"poll"});
  run({"inbox", "list"});
  run({"inbox", "list", "--json"});
  run({"inbox", "show", "1"});
  run({"inbox", "reply", "1", "thanks!"});
  run({"analytics", "refresh"});
  run({"analytics"});
  run({"draft", "a topic", "--for", "mastodon"});  // 401 quoting the key
  run({"draft", "a topic", "--for", "mastodon", "--json"});
  run({"drafts", "list"});
  run({"config", "get", "--all"});
  masto.fail("/api/v1/accounts/verify_credentials", 401, {}, 1, R"({"error":"revoked"})");
  run({"accounts", "check", "m"});

  bool worked = false;
  for (const auto& [name, r] : runs) {
    INFO(name << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(leaked("stdout", r.out) == "");
    CHECK(leaked("stderr", r.err) == "");
    if (name.rfind("poll", 0) == 0 && r.exit_code == 0) worked = true;
  }
  CHECK(worked);  // the commands really talked to the servers
  CHECK(masto.our_statuses().size() >= 2);
  CHECK(llm_calls >= 2);

  CHECK(leaked("the database", non_secret_tables(h.db_file())) == "");
  for (const auto& e : fs::recursive_directory_iterator(h.home())) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    if (name.rfind("crier.db", 0) == 0) continue;  // the secrets table is there, by design
    INFO(e.path().string());
    CHECK(leaked(e.path().string(), read_file(e.path())) == "");
  }
}

TEST_CASE("secrets: Reddit's client secret, password and tokens, echoed back, never leave crier", "[e2e][secrets][reddit]") {
  // The script app's password is kept (Reddit gives script apps no refresh token): all the more
  // reason it must never show.
  RedditFake reddit;
  reddit.set_credentials(k_reddit_secret, k_reddit_password);
  reddit.echo_secrets = true;
  CrierHome h(CRIER_BINARY);
  std::vector<std::pair<std::string, ProcessResult>> runs;
  auto run = [&](std::vector<std::string> args, std::optional<std::string> in = std::nullopt) {
    for (bool verbose : {false, true}) {
      std::vector<std::string> a = args;
      if (verbose) a.insert(a.begin(), "-vv");
      std::string name;
      for (const auto& w : a) name += w + " ";
      runs.emplace_back(name, h.run(a, in));
      if (args[0] == "accounts" && args.size() > 1 && args[1] == "add") break;
    }
  };
  run({"init"});
  run({"config", "set", "publish.backoff_seconds", "0"});
  json wrong = json::parse(reddit.credentials());
  wrong["password"] = "wrong-" + k_reddit_password;  // refused: the fake quotes it back
  run({"accounts", "add", "reddit", "--handle", "crier_tester", "--server", reddit.url(), "--secret-stdin"},
      wrong.dump() + "\n");
  run({"accounts", "add", "reddit", "--handle", "crier_tester", "--server", reddit.url(), "--secret-stdin",
       "--alias", "r"},
      reddit.credentials() + "\n");
  run({"post", "a body", "--to", "r", "--title", "Canary", "--opt", "subreddit=test"});
  run({"post", "a body", "--to", "r", "--title", "Nowhere", "--opt", "subreddit=nosuchplace"});
  reddit.add_dm("mallory", "your token?", "is it fake-access-1?");
  reddit.expire_tokens();  // the next run signs in again, with the password
  run({"poll"});
  run({"inbox", "list", "--json"});
  run({"inbox", "reply", "1", "no"});
  run({"analytics", "refresh"});
  run({"accounts", "check"});
  run({"doctor"});
  run({"queue", "list", "--all", "--json"});
  bool posted = false;
  for (const auto& [name, r] : runs) {
    INFO(name << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(leaked("stdout", r.out) == "");
    CHECK(leaked("stderr", r.err) == "");
    if (name.rfind("post a body --to r --title Canary", 0) == 0 && r.exit_code == 0) posted = true;
  }
  CHECK(posted);
  CHECK(reddit.tokens_issued() >= 2);
  bool polled = false;  // the message quoting an old token came in (redacted)
  for (const auto& [name, r] : runs)
    if (name.rfind("inbox list --json", 0) == 0) polled = polled || r.out.find("mallory") != std::string::npos;
  CHECK(polled);
  CHECK(leaked("the database", non_secret_tables(h.db_file())) == "");
  for (const auto& e : fs::recursive_directory_iterator(h.home())) {
    if (!e.is_regular_file() || e.path().filename().string().rfind("crier.db", 0) == 0) continue;
    INFO(e.path().string());
    CHECK(leaked(e.path().string(), read_file(e.path())) == "");
  }
}

TEST_CASE("secrets: Meta tokens (user, Page, Instagram, Threads, refreshed) and the S3 key never leave crier",
          "[e2e][secrets][meta]") {
  // Every token these fakes hand out or take starts with one of these.
  const std::vector<std::string> canaries{"THQVJfake-long-lived-token", "IGAAfake-instagram-login-token",
                                          "EAAfake-fb-user-token", "EAAfake-page-token-", "EAAfake-facebook-user-token",
                                          "canary-s3-secret-2c9d41"};
  auto leak = [&](const std::string& where, const std::string& text) -> std::string {
    for (const auto& c : canaries)
      if (text.find(c) != std::string::npos) return where + " holds " + c;
    return "";
  };
  S3Server s3;
  ThreadsFake threads;
  InstagramFake ig;
  FacebookFake fb;
  threads.echo_secrets = ig.echo_secrets = fb.echo_secrets = true;
  CrierHome h(CRIER_BINARY);
  h.env["AWS_SECRET_ACCESS_KEY"] = "canary-s3-secret-2c9d41";  // s3rver takes any secret
  std::vector<std::pair<std::string, ProcessResult>> runs;
  auto run = [&](std::vector<std::string> args, std::optional<std::string> in = std::nullopt) {
    for (bool verbose : {false, true}) {
      std::vector<std::string> a = args;
      if (verbose) a.insert(a.begin(), "-vv");
      std::string name;
      for (const auto& w : a) name += w + " ";
      runs.emplace_back(name, h.run(a, in));
      if (args[0] == "accounts" && args.size() > 1 && args[1] == "add") break;
    }
  };
  run({"init"});
  {
    std::ofstream cfg(h.config_file(), std::ios::app);
    cfg << "\n" << s3.config_toml();
  }
  run({"config", "set", "publish.backoff_seconds", "0"});
  run({"accounts", "add", "threads", "--server", threads.url(), "--secret-stdin"}, "THQVJfake-long-lived-token-wrong\n");
  run({"accounts", "add", "threads", "--server", threads.url(), "--secret-stdin", "--alias", "th"}, threads.token() + "\n");
  run({"accounts", "add", "instagram", "--server", ig.url(), "--secret-stdin", "--alias", "ig"}, ig.ig_token() + "\n");
  run({"accounts", "add", "facebook", "--server", fb.url(), "--secret-stdin", "--alias", "fb"},
      std::string(FacebookFake::k_user_token) + "\n");
  write_file_atomic(h.home() / "a.jpg", test_jpeg(700, 1080, 1080));
  run({"post", "canary post", "--to", "th,ig,fb", "--image", (h.home() / "a.jpg").string(), "--alt", "a test"});
  threads.add_mention("mallory", "is your token " + threads.token() + "?");
  ig.add_dm("mallory", "is it " + ig.ig_token() + "?");
  fb.add_message("Mallory", "or " + fb.page_token() + "?");
  run({"poll"});
  run({"inbox", "list", "--json"});
  run({"analytics", "refresh"});
  run({"accounts", "check"});
  run({"doctor"});
  run({"doctor", "--json"});
  run({"queue", "list", "--all", "--json"});
  run({"config", "get", "--all"});
  threads.revoke();  // refused: the fake quotes the token
  run({"accounts", "check", "th"});
  run({"post", "after revoking", "--to", "th"});
  bool posted = false;
  for (const auto& [name, r] : runs) {
    INFO(name << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(leak("stdout", r.out) == "");
    CHECK(leak("stderr", r.err) == "");
    if (name.rfind("post canary post", 0) == 0 && r.exit_code == 0) posted = true;
  }
  CHECK(posted);
  CHECK(threads.our_posts().size() == 2);  // the post ran twice: plain and -vv
  CHECK(ig.our_media().size() == 2);
  CHECK(fb.posts().size() == 2);
  CHECK(leak("the database", non_secret_tables(h.db_file())) == "");
  for (const auto& e : fs::recursive_directory_iterator(h.home())) {
    if (!e.is_regular_file() || e.path().filename().string().rfind("crier.db", 0) == 0) continue;
    INFO(e.path().string());
    CHECK(leak(e.path().string(), read_file(e.path())) == "");
  }
}
