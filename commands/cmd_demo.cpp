// crier demo: a guided tour on the sandbox network, in a throw-away data dir. It runs the real
// crier binary for every step and prints each command first, so what you see is what you
// would type. The sandbox's clock is moved forward with CRIER_NOW to let followers react.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "commands.hpp"
#include "common.hpp"
#include "error.hpp"
#include "process.hpp"

namespace crier {
namespace {

struct DemoOptions {
  bool keep = false;
};

class Tour {
 public:
  Tour(Context& ctx, std::filesystem::path dir) : m_ctx(ctx), m_dir(std::move(dir)), m_exe(self_executable()) {}

  void at(Timestamp t) { m_now = format_utc(t); }
  void say(const std::string& line) { m_ctx.out << '\n' << m_ctx.style().dim("# " + line) << '\n'; }

  // Runs crier with args, showing the command; returns its exit code.
  int run(const std::vector<std::string>& args, std::optional<std::string> stdin_text = std::nullopt) {
    std::string shown = "$ crier";
    for (const auto& a : args) shown += " " + quote(a);
    m_ctx.out << m_ctx.style().bold(shown) << '\n';
    m_ctx.out.flush();
    ProcessOptions o = options();
    o.capture = false;
    o.stdin_text = std::move(stdin_text);
    std::vector<std::string> argv{m_exe};
    argv.insert(argv.end(), args.begin(), args.end());
    int code = run_process(argv, o).exit_code;
    if (code != 0) m_ctx.out << m_ctx.style().dim("(exit status " + std::to_string(code) + ")") << '\n';
    return code;
  }

  // Runs crier quietly and returns its stdout (for picking ids to use in the next step).
  std::string capture(const std::vector<std::string>& args) {
    std::vector<std::string> argv{m_exe};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, options()).out;
  }

 private:
  ProcessOptions options() const {
    ProcessOptions o;
    o.env["HOME"] = m_dir.string();
    o.env["XDG_CONFIG_HOME"] = (m_dir / "config").string();
    o.env["XDG_DATA_HOME"] = (m_dir / "data").string();
    o.env["CRIER_NOW"] = m_now;
    o.env["CRIER_DB"] = std::nullopt;
    o.env["CRIER_CONFIG"] = std::nullopt;
    o.env["CRIER_TIMEZONE"] = "UTC";
    if (!m_ctx.style().enabled()) o.env["NO_COLOR"] = "1";
    return o;
  }
  static std::string quote(const std::string& s) {
    if (s.find_first_of(" '\"!$&;|<>*?") == std::string::npos && !s.empty()) return s;
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }

  Context& m_ctx;
  std::filesystem::path m_dir;
  std::string m_exe;
  std::string m_now;
};

int run_demo(const DemoOptions& o, Context& ctx) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "crier-demo-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw Error(ErrorKind::internal, "cannot create a temporary directory");
  std::filesystem::path dir = tmpl;
  Tour tour(ctx, dir);
  Timestamp start = std::chrono::time_point_cast<std::chrono::hours>(ctx.clock().now());
  tour.at(start);
  ctx.out << "crier demo: a tour on the sandbox, an offline network with simulated followers.\n"
          << "Everything happens in " << dir.string() << (o.keep ? " (kept)." : " (deleted afterwards).") << '\n';
  int failures = 0;
  auto step = [&](const std::vector<std::string>& args, std::optional<std::string> in = std::nullopt) {
    if (tour.run(args, std::move(in)) != 0) ++failures;
  };

  tour.say("set up: a config file and a database");
  step({"init"});
  tour.say("connect an account on the sandbox network (real networks: see crier providers list)");
  step({"accounts", "add", "sandbox", "--handle", "you.sandbox", "--alias", "me"});
  step({"accounts", "list"});
  tour.say("see what would be sent, and its length as the network counts it");
  step({"post", "--dry-run", "Hello from the terminal! 👋 Posting with crier: exactly once, on time."});
  tour.say("post now");
  step({"post", "Hello from the terminal! 👋 Posting with crier: exactly once, on time."});
  tour.say("schedule a longer text as a thread, two hours from now");
  step({"schedule", "--at", "in 2h", "--thread", "-"},
       "Three things I learned shipping a CLI this year. First, stdout is for data and stderr is "
       "for people: scripts will thank you. Second, every command needs --json with a stable shape, "
       "because someone will pipe it into jq on day one. Third, exit codes are an API. Document "
       "them, test them, and never change what they mean. What would you add to the list? I'm "
       "collecting the best answers for a follow-up post next week.");
  step({"queue", "list"});
  tour.say("three hours later (the demo moves the sandbox clock with CRIER_NOW): cron runs publish");
  tour.at(start + std::chrono::hours{3});
  step({"publish", "--due"});
  step({"queue", "list", "--all"});
  tour.say("ten hours later: followers replied, mentioned you and wrote DMs; poll fetches them");
  tour.at(start + std::chrono::hours{10});
  step({"poll"});
  step({"inbox", "list"});
  auto items = nlohmann::json::parse(tour.capture({"inbox", "list", "--json"}), nullptr, false);
  if (items.is_object() && !items["items"].empty()) {
    std::string id = std::to_string(items["items"].back()["id"].get<int64_t>());
    step({"inbox", "show", id});
    tour.say("answer it: a reply in the same thread (or a DM, for a DM)");
    step({"inbox", "reply", id, "Thanks! Glad it was useful."});
  }
  tour.say("take metrics and see how the posts did");
  step({"analytics", "refresh"});
  step({"analytics", "summary"});

  std::error_code ec;
  if (!o.keep) std::filesystem::remove_all(dir, ec);
  ctx.out << '\n'
          << (failures == 0 ? "That's the tour." : "The tour had " + std::to_string(failures) + " failing steps.")
          << " Start for real with: crier init && crier accounts add NETWORK ...\n";
  return failures == 0 ? exit_code::ok : exit_code::failure;
}

}  // namespace

void add_demo(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_flag("--keep", o->keep, "keep the temporary directory to look around afterwards");
  cmd->callback([o, &selected] { selected = [o](Context& c) { return run_demo(*o, c); }; });
}

}  // namespace crier
