// crier cron show|install: the crontab lines (or systemd user timers) that run crier, and
// installing them. Without --write, install only says what it would do.
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "commands.hpp"
#include "common.hpp"
#include "error.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace crier {
namespace {

namespace fs = std::filesystem;

struct CronOptions {
  bool systemd = false;
  bool write = false;
  std::string poll_every = "5";
};

// What runs crier on a timer: the one list crontab lines, systemd units, the README and
// crier(1) are written from (a test holds the README to it).
struct Job {
  std::string name;      // systemd unit name: crier-NAME
  std::string what;      // its description
  std::string args;      // crier's arguments
  std::string cron;      // crontab schedule
  std::string calendar;  // systemd OnCalendar=
};

std::vector<Job> jobs(const CronOptions& o) {
  return {{"publish", "publish what is due", "publish --due -q", "* * * * *", "*-*-* *:*:00"},
          {"poll", "poll the inbox", "poll -q", "*/" + o.poll_every + " * * * *", "*-*-* *:0/" + o.poll_every + ":00"},
          {"analytics", "refresh analytics", "analytics refresh -q", "0 * * * *", "*-*-* *:00:00"}};
}

const char* k_begin = "# >>> crier (crier cron install) >>>";
const char* k_end = "# <<< crier <<<";

enum class Format { crontab, systemd };

// A word for /bin/sh, which runs a crontab's command: single quotes, a quote inside as '\''.
// cron itself reads the line first: a newline ends the entry and '%' is one, so a path with
// either cannot be written there.
std::string cron_word(const std::string& s) {
  for (char c : s)
    if (c == '\n' || c == '\r' || c == '%' || static_cast<unsigned char>(c) < 0x20)
      throw Error(ErrorKind::invalid_input,
                  "cannot write the path '" + s + "' into a crontab (it has a newline, a control character or '%')",
                  "move the file to a plainer path, or use systemd timers: crier cron install --systemd");
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A word for systemd's ExecStart=: double quotes with C escapes; '%' (specifiers) doubled and
// '$' (variables) doubled, so the path is taken as written. A newline cannot be written.
std::string systemd_word(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n' || c == '\r' || static_cast<unsigned char>(c) < 0x20)
      throw Error(ErrorKind::invalid_input, "cannot write the path '" + s + "' into a systemd unit (it has a newline "
                                            "or a control character)",
                  "move the file to a plainer path");
    if (c == '"' || c == '\\') out += '\\';
    if (c == '%') out += '%';
    if (c == '$') out += '$';
    out += c;
  }
  return out + "\"";
}

// The command line cron or systemd runs: this binary, with the config and database this
// invocation used when they are not the defaults, each path quoted for the format.
std::string crier_command(Context& ctx, const std::string& args, Format f) {
  auto word = [f](const std::string& p) { return f == Format::crontab ? cron_word(p) : systemd_word(p); };
  std::string cmd = word(self_executable());
  if (!ctx.global().config_path.empty() || std::getenv("CRIER_CONFIG"))
    cmd += " --config " + word(fs::absolute(ctx.config_path()).string());
  if (!ctx.global().db_path.empty() || std::getenv("CRIER_DB"))
    cmd += " --db " + word(fs::absolute(ctx.db_path()).string());
  return cmd + " " + args;
}

std::string crontab_block(Context& ctx, const CronOptions& o) {
  std::string block = std::string(k_begin) + "\n";
  for (const auto& j : jobs(o)) block += j.cron + " " + crier_command(ctx, j.args, Format::crontab) + "\n";
  return block + k_end + "\n";
}

struct UnitFile {
  std::string name;
  std::string text;
};

std::vector<UnitFile> systemd_units(Context& ctx, const CronOptions& o) {
  auto service = [&](const std::string& what, const std::string& args) {
    return "[Unit]\nDescription=crier: " + what + "\n\n[Service]\nType=oneshot\nExecStart=" +
           crier_command(ctx, args, Format::systemd) +
           "\n";
  };
  auto timer = [](const std::string& what, const std::string& calendar) {
    return "[Unit]\nDescription=crier: " + what + "\n\n[Timer]\nOnCalendar=" + calendar +
           "\nPersistent=true\nAccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n";
  };
  std::vector<UnitFile> units;
  for (const auto& j : jobs(o)) {
    units.push_back({"crier-" + j.name + ".service", service(j.what, j.args)});
    units.push_back({"crier-" + j.name + ".timer", timer(j.what, j.calendar)});
  }
  return units;
}

// $XDG_CONFIG_HOME/systemd/user: beside crier's own config dir.
fs::path systemd_user_dir() { return config_dir().parent_path() / "systemd" / "user"; }

int run_show(const CronOptions& o, Context& ctx) {
  if (o.systemd) {
    for (const auto& u : systemd_units(ctx, o))
      ctx.out << "# " << (systemd_user_dir() / u.name).string() << '\n' << u.text << '\n';
    return 0;
  }
  ctx.out << crontab_block(ctx, o);
  return 0;
}

// The user's crontab with crier's block replaced (or added); other lines are kept as they are.
std::string merged_crontab(const std::string& current, const std::string& block) {
  std::string out;
  bool inside = false;
  size_t pos = 0;
  while (pos < current.size()) {
    size_t nl = current.find('\n', pos);
    std::string line = current.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? current.size() : nl + 1;
    if (line == k_begin) inside = true;
    if (!inside) out += line + "\n";
    if (line == k_end) inside = false;
  }
  return out + block;
}

int run_install(const CronOptions& o, Context& ctx) {
  if (o.systemd) {
    auto units = systemd_units(ctx, o);
    fs::path dir = systemd_user_dir();
    if (!o.write) {
      for (const auto& u : units) ctx.out << "would write " << (dir / u.name).string() << '\n';
      ctx.out << "run again with --write to install them (crier cron show --systemd shows them)\n";
      return 0;
    }
    for (const auto& u : units) {
      write_file_atomic(dir / u.name, u.text, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                                  fs::perms::others_read);
      ctx.info("wrote " + (dir / u.name).string());
    }
    std::string timers;
    for (const auto& j : jobs(o)) timers += " crier-" + j.name + ".timer";
    ctx.info("now run: systemctl --user daemon-reload && systemctl --user enable --now" + timers);
    return 0;
  }
  std::string block = crontab_block(ctx, o);
  if (!o.write) {
    ctx.out << "would add to your crontab:\n" << block << "run again with --write to install it\n";
    return 0;
  }
  ProcessResult current;
  try {
    current = run_process({"crontab", "-l"});
  } catch (const Error&) {
    throw Error(ErrorKind::unsupported, "cannot run crontab", "install cron, or use --systemd for systemd user timers");
  }
  // "no crontab for USER" is exit 1 with nothing on stdout: start from empty.
  std::string merged = merged_crontab(current.exit_code == 0 ? current.out : "", block);
  ProcessOptions po;
  po.stdin_text = merged;
  auto r = run_process({"crontab", "-"}, po);
  if (r.exit_code != 0)
    throw Error(ErrorKind::permanent, "crontab refused the new table: " + r.err.substr(0, r.err.find('\n')),
                "see crier cron show for the lines to add by hand");
  ctx.info("installed in your crontab (crontab -l shows it; run again to update, it replaces its own lines)");
  return 0;
}

}  // namespace

void add_cron(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto o = std::make_shared<CronOptions>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->require_subcommand(1);
  auto common = [o](CLI::App* c) {
    c->add_flag("--systemd", o->systemd, "systemd user timers instead of a crontab");
    c->add_option("--poll-every", o->poll_every, "minutes between polls of the inbox (default 5)")
        ->check(CLI::Range(1, 59));
  };
  auto* show = cmd->add_subcommand("show", "print the crontab lines (or systemd units) that run crier");
  common(show);
  show->callback([o, &selected] { selected = [o](Context& c) { return run_show(*o, c); }; });
  auto* install = cmd->add_subcommand("install", "install them (only with --write; otherwise say what would change)");
  common(install);
  install->add_flag("--write", o->write, "really change the crontab or write the unit files");
  install->callback([o, &selected] { selected = [o](Context& c) { return run_install(*o, c); }; });
}

}  // namespace crier
