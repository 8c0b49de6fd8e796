// The README is a test: every command line shown in README.md, in crier(1)'s EXAMPLES and at
// the end of each command's --help runs, in order, against the sandbox in a temporary HOME with
// a clock that moves on an hour a line - as a new user would type them. Lines that need a real
// server on the internet are listed below with why; the accounts they would create exist as
// sandbox accounts under the same names, so the lines after them run too.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>

#include "clock.hpp"
#include "fakes/images.hpp"
#include "fakes/loopback_server.hpp"
#include "fakes/pdf.hpp"
#include "fakes/s3_server.hpp"
#include "fakes/temp_home.hpp"
#include "paths.hpp"

using namespace crier;
using namespace crier::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Lines that reach out to a real network, or never end - and what runs in their place, so
// that the lines after them find what they would have made.
struct NotHere {
  std::string pattern, why, instead;
};
const std::vector<NotHere> k_not_here{
    {"accounts add bluesky --handle you.bsky.social", "signs in at bsky.social",
     "crier accounts add sandbox --handle you.bsky.social --alias bluesky"},
    {"accounts add mastodon --server fosstodon.org", "signs in at fosstodon.org",
     "crier accounts add sandbox --handle fosstodon --alias masto"},
    {"accounts add discord --handle CHANNEL_ID", "signs in at discord.com with a bot token",
     "crier accounts add sandbox --handle CHANNEL_ID --alias discord"},
    {"accounts add threads --secret-stdin", "signs in at graph.threads.net",
     "crier accounts add sandbox --handle threads --alias threads"},
    {"accounts add instagram --secret-stdin", "signs in at graph.instagram.com",
     "crier accounts add sandbox --handle instagram --alias instagram"},
    {"config set media.s3_endpoint https://ACCOUNT", "is Cloudflare's: here, a real S3-compatible server on loopback",
     "crier config set media.s3_endpoint \"$CRIER_TEST_S3\""},
    {"config set media.s3_secret_cmd \"pass show r2\"", "needs pass(1) and a key in it",
     "crier config set media.s3_secret_cmd \"echo S3RVER\""},
    {"draft --url https://example.com", "fetches a page from example.com", ""},
    {"publish --watch", "keeps running until stopped", ""},
};

const NotHere* not_here(const std::string& line) {
  for (const auto& n : k_not_here)
    if (line.find(n.pattern) != std::string::npos) return &n;
  return nullptr;
}

std::vector<std::string> lines_between_fences(const std::string& text, const std::string& fence_open) {
  std::vector<std::string> out;
  bool inside = false;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("```", 0) == 0) {
      inside = !inside && l.rfind(fence_open, 0) == 0;
      continue;
    }
    if (inside && l.rfind("crier ", 0) == 0) out.push_back(l);
  }
  return out;
}

// "crier post x   # a comment" -> "crier post x"
std::string without_comment(std::string l) {
  static const std::regex k_comment(R"(\s+#\s[^"']*$)");
  l = std::regex_replace(l, k_comment, "");
  while (!l.empty() && l.back() == ' ') l.pop_back();
  return l;
}

}  // namespace

TEST_CASE("every command line in the README, crier(1) and --help runs as shown", "[e2e][examples]") {
  // A model for the draft lines: a variant per request, fitted to any network.
  LoopbackServer llm;
  std::mutex mutex;
  int asked = 0;
  llm.server().Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    json body = json::parse(req.body);
    std::string prompt = body["messages"].back()["content"];
    json variants = json::array();
    for (int i = 0; i < 3; ++i) variants.push_back("Meetup on Friday, variant " + std::to_string(++asked) + ".");
    std::string content = prompt.find("thread") != std::string::npos && prompt.find("\"parts\"") != std::string::npos
                              ? json{{"parts", {"One.", "Two."}}}.dump()
                              : json{{"variants", variants}}.dump();
    // The inbox's prompts: a reply that states nothing, labels for every item, a summary.
    if (prompt.find("reply suggestion") != std::string::npos) {
      json replies = json::array();
      for (const char* t :
           {"Thank you, that means a lot!", "Thanks for writing, I will check and get back to you."})
        replies.push_back({{"text", t}, {"sources", json::array()}, {"confidence", 0.6}});
      content = json{{"answerable", true}, {"replies", replies}}.dump();
    } else if (prompt.find("Label each message") != std::string::npos) {
      json items = json::array();
      static const std::regex k_item("<<<ITEM ([0-9]+) ");
      for (std::sregex_iterator it(prompt.begin(), prompt.end(), k_item), end; it != end; ++it)
        items.push_back({{"ref", (*it)[1].str()},
                         {"intent", "question"},
                         {"sentiment", "neutral"},
                         {"urgency", "high"},
                         {"language", "en"},
                         {"toxicity", 0}});
      content = json{{"items", items}}.dump();
    } else if (prompt.find("Summarise") != std::string::npos) {
      content = "Themes: the meetup.\nOpen questions: none.\nWaiting: nobody.";
    }
    res.set_content(json{{"model", "fake"},
                         {"choices", {{{"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}}}
                        .dump(),
                    "application/json");
  });
  std::string llm_url = llm.start();

  S3Server s3("my-crier-images");  // the README's bucket
  CrierHome h(CRIER_BINARY);
  h.env["CRIER_TEST_S3"] = s3.url();
  h.env["AWS_ACCESS_KEY_ID"] = S3Server::k_access_key;  // over the README's KEY_ID (the environment wins)
  fs::path bin = h.home() / "bin";
  fs::create_directories(bin);
  fs::create_symlink(CRIER_BINARY, bin / "crier");
  // crontab(1), kept in a file: `cron install --write` must not touch the machine's.
  write_file_atomic(bin / "crontab",
                    "#!/bin/sh\nt=\"$HOME/crontab.txt\"\nif [ \"$1\" = -l ]; then [ -f \"$t\" ] && exec cat \"$t\"; exit 1; fi\n"
                    "cat > \"$t\"\n",
                    fs::perms::owner_all);
  write_file_atomic(h.home() / "announcement.txt", "Big news tomorrow.\n");
  write_file_atomic(h.home() / "essay.txt", std::string(40, 'x') + ". " + "A longer thought, in parts. " + std::string(700, 'y') + "\n");
  write_file_atomic(h.home() / "token.txt", "not-a-real-token\n");
  write_file_atomic(h.home() / "app-password.txt", "not-a-real-password\n");
  write_file_atomic(h.home() / "cat.png", test_png(400));
  write_file_atomic(h.home() / "print.jpg", test_jpeg(600, 1080, 1350));
  // The knowledge base's documents.
  fs::create_directories(h.home() / "shop" / "site");
  fs::create_directories(h.home() / "notes");
  fs::create_directories(h.home() / "site" / "docs");
  write_file_atomic(h.home() / "shop" / "faq.md", "# FAQ\n\n## Refunds\n\nRefunds take 5 to 10 days to arrive.\n");
  write_file_atomic(h.home() / "shop" / "site" / "index.html", "<h1>Shop</h1><p>Prints and cards.</p>");
  write_file_atomic(h.home() / "manual.pdf", test_pdf({"The studio manual.", "Refund policy: 30 days."}));
  write_file_atomic(h.home() / "notes" / "faq.md", "# Notes\n\nOur refund policy is simple.\n");
  write_file_atomic(h.home() / "site" / "docs" / "about.md", "# About\n\nA small print shop.\n");
  h.env["PATH"] = bin.string() + ":/usr/bin:/bin";
  h.env["CRIER_LLM_BACKEND"] = "openai";
  h.env["CRIER_LLM_ENDPOINT"] = llm_url + "/v1";
  h.env["CRIER_LLM_MODEL"] = "fake";
  h.env["OPENAI_API_KEY"] = "sk-test-examples";
  h.env["EDITOR"] = "true";
  h.env["VISUAL"] = "true";

  Timestamp t0 = *parse_iso8601("2026-11-23T08:00:00Z");  // a Monday
  auto at = [&](int hour) {
    return std::map<std::string, std::optional<std::string>>{{"CRIER_NOW", format_utc(t0 + std::chrono::hours{hour})}};
  };

  std::vector<std::pair<std::string, std::string>> lines;  // (where, line)
  for (const auto& l : lines_between_fences(read_file(std::string(CRIER_SOURCE_DIR) + "/README.md"), "```sh"))
    lines.emplace_back("README.md", without_comment(l));
  {
    std::string man = read_file(std::string(CRIER_SOURCE_DIR) + "/man/crier.1.scd");
    std::string ex = man.substr(man.find("# EXAMPLES"), man.find("# SEE ALSO") - man.find("# EXAMPLES"));
    std::istringstream in(ex);
    for (std::string l; std::getline(in, l);) {
      l.erase(0, l.find_first_not_of("\t "));
      if (l.size() > 2 && l.compare(l.size() - 2, 2, "++") == 0) l.resize(l.size() - 2);
      if (l.find("crier ") != std::string::npos) lines.emplace_back("crier(1)", without_comment(l));
    }
  }
  auto commands = h.json({"providers", "list"});  // (any command: the list of commands comes from --help)
  (void)commands;
  std::string root_help = h.run({"--help"}).out;
  std::regex k_command(R"(^  ([a-z]+)\s)");
  std::vector<std::string> names;
  {
    std::istringstream in(root_help.substr(root_help.find("Subcommands:")));
    for (std::string l; std::getline(in, l);) {
      std::smatch m;
      if (std::regex_search(l, m, k_command)) names.push_back(m[1]);
    }
  }
  REQUIRE(names.size() >= 15);
  // The --help examples run after the README's, with an account for each name they use.
  lines.emplace_back("setup", "crier accounts add sandbox --handle bsky --alias bsky");
  for (const auto& name : names) {
    std::string help = h.run({"help", name}).out;
    auto p = help.find("Examples:\n");
    REQUIRE(p != std::string::npos);
    std::istringstream in(help.substr(p + 10));
    for (std::string l; std::getline(in, l) && l.rfind("  crier ", 0) == 0;)
      lines.emplace_back("crier " + name + " --help", l.substr(2));
  }

  int hour = 1, ran = 0;
  std::vector<std::string> skipped;
  for (auto [where, line] : lines) {
    if (const NotHere* n = not_here(line)) {
      skipped.push_back(line + " (" + n->why + ")");
      if (n->instead.empty()) continue;
      line = n->instead;
    }
    ProcessOptions po;
    po.env = h.env;
    for (const auto& [k, v] : at(hour++)) po.env[k] = v;
    auto r = run_process({"/bin/sh", "-c", "cd \"$HOME\" && " + line}, po);
    INFO(where << ": " << line << "\nexit " << r.exit_code << "\nstdout: " << r.out.substr(0, 2000) << "\nstderr: " << r.err);
    CHECK(r.exit_code == 0);
    ++ran;
  }
  WARN("ran " << ran << " example lines; not here: " << skipped.size());
  CHECK(ran >= 60);
  CHECK(skipped.size() <= 9);  // sign-ins at real networks, a fetch, --watch, R2's address and pass(1)

  // The README's cron lines are what `cron show` prints.
  auto cron = lines_between_fences(read_file(std::string(CRIER_SOURCE_DIR) + "/README.md"), "```cron");
  (void)cron;
  std::string shown = h.run({"cron", "show"}).out;
  std::string readme = read_file(std::string(CRIER_SOURCE_DIR) + "/README.md");
  std::string block = readme.substr(readme.find("```cron\n") + 8);
  block = block.substr(0, block.find("```"));
  std::istringstream in(block);
  for (std::string l; std::getline(in, l);) {
    std::string schedule = l.substr(0, l.find("crier "));
    std::string args = l.substr(l.find("crier ") + 6);
    INFO(l);
    CHECK_THAT(shown, Catch::Contains(schedule + "'" + (bin / "crier").string() + "' " + args) ||
                          Catch::Contains(schedule + "'" + std::string(CRIER_BINARY) + "' " + args));
  }
}
