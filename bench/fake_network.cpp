// A Mastodon-shaped network for benchmarks: many accounts (token "tok-N" is account N), every
// request answered after a fixed latency, statuses counted per account. Speaks what crier
// and toot send (form or JSON bodies, Idempotency-Key). Prints its port, then serves until
// stdin closes.
//
//   crier_bench_fake [--latency-ms 50] [--threads 128]
//   GET /stats → {"statuses": N, "duplicates": D, "requests": R}
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

using nlohmann::json;

namespace {

struct Network {
  std::mutex mutex;
  long long next_id = 100000;
  std::map<std::string, std::vector<json>> statuses;        // account id → newest last
  std::map<std::string, std::string> keys;                  // account|Idempotency-Key → status id
  std::map<std::pair<std::string, std::string>, int> texts;  // (account, text) → count
  std::atomic<long long> requests{0};
};

std::string account_of(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer tok-", 0) != 0) return {};
  return auth.substr(11);
}

json account_json(const std::string& id, const std::string& base) {
  return {{"id", id},
          {"username", "user" + id},
          {"acct", "user" + id},
          {"display_name", "User " + id},
          {"url", base + "/@user" + id},
          {"followers_count", 0},
          {"following_count", 0},
          {"statuses_count", 0}};
}

}  // namespace

int main(int argc, char** argv) {
  int latency_ms = 50, threads = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--latency-ms") latency_ms = std::stoi(argv[i + 1]);
    if (a == "--threads") threads = std::stoi(argv[i + 1]);
  }
  Network net;
  httplib::Server s;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  std::string base;
  s.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    ++net.requests;
    if (req.path != "/stats") std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms));
    if (req.path == "/stats" || req.path == "/api/v2/instance" || req.path == "/api/v1/instance")
      return httplib::Server::HandlerResponse::Unhandled;
    if (account_of(req).empty()) {
      res.status = 401;
      res.set_content(R"({"error":"The access token is invalid"})", "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get("/stats", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(net.mutex);
    long long n = 0, dup = 0;
    for (const auto& [k, c] : net.texts) {
      n += c;
      dup += c - 1;
    }
    res.set_content(json{{"statuses", n}, {"duplicates", dup}, {"requests", net.requests.load()}}.dump(),
                    "application/json");
  });
  auto instance = [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"uri":"bench.example","title":"bench","version":"4.3.0","configuration":{"statuses":)"
                    R"({"max_characters":500,"characters_reserved_per_url":23,"max_media_attachments":4}}})",
                    "application/json");
  };
  s.Get("/api/v2/instance", instance);
  s.Get("/api/v1/instance", instance);
  s.Get("/api/v1/accounts/verify_credentials", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_content(account_json(account_of(req), base).dump(), "application/json");
  });
  s.Post("/api/v1/statuses", [&](const httplib::Request& req, httplib::Response& res) {
    std::string who = account_of(req);
    std::string text;
    if (req.get_header_value("Content-Type").find("json") != std::string::npos) {
      auto body = json::parse(req.body, nullptr, false);
      if (body.is_object()) text = body.value("status", "");
    } else {
      text = req.get_param_value("status");
    }
    if (text.empty()) {
      res.status = 422;
      res.set_content(R"({"error":"Validation failed: Text can't be blank"})", "application/json");
      return;
    }
    std::lock_guard lock(net.mutex);
    std::string key = req.get_header_value("Idempotency-Key");
    if (!key.empty() && net.keys.count(who + "|" + key)) {
      for (const auto& st : net.statuses[who])
        if (st["id"] == net.keys[who + "|" + key]) res.set_content(st.dump(), "application/json");
      return;
    }
    std::string id = std::to_string(++net.next_id);
    json st = {{"id", id},
               {"url", base + "/@user" + who + "/" + id},
               {"uri", base + "/users/user" + who + "/statuses/" + id},
               {"content", "<p>" + text + "</p>"},
               {"visibility", "public"},
               {"created_at", "2026-11-22T10:00:00.000Z"},
               {"in_reply_to_id", nullptr},
               {"account", account_json(who, base)},
               {"favourites_count", 0},
               {"reblogs_count", 0},
               {"replies_count", 0}};
    net.statuses[who].push_back(st);
    ++net.texts[{who, text}];
    if (!key.empty()) net.keys[who + "|" + key] = id;
    res.set_content(st.dump(), "application/json");
  });
  s.Get(R"(/api/v1/accounts/(\d+)/statuses)", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(net.mutex);
    json list = json::array();
    const auto& all = net.statuses[req.matches[1].str()];
    for (auto it = all.rbegin(); it != all.rend() && list.size() < 40; ++it) list.push_back(*it);
    res.set_content(list.dump(), "application/json");
  });
  int port = s.bind_to_any_port("127.0.0.1");
  base = "http://127.0.0.1:" + std::to_string(port);
  std::cout << port << std::endl;
  std::thread server([&] { s.listen_after_bind(); });
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  s.stop();
  server.join();
  return 0;
}
