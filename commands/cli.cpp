#include "cli.hpp"

#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>

#include "error.hpp"
#include "log.hpp"
#include "output/safe_text.hpp"
#include "output/style.hpp"
#include "redact.hpp"

namespace crier {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const auto* s : app.get_subcommands([](const CLI::App*) { return true; }))
    if (!s->get_name().empty() && s->get_group() != "") out.push_back(s->get_name());
  return out;
}

// The command path the user chose so far ("queue"), and the deepest App.
const CLI::App* deepest(const CLI::App& app) {
  for (const auto* s : app.get_subcommands())
    if (s->parsed()) return deepest(*s);
  return &app;
}

std::string lower_first(std::string s) {
  if (!s.empty() && std::isupper(static_cast<unsigned char>(s[0])) &&
      !(s.size() > 1 && std::isupper(static_cast<unsigned char>(s[1]))))
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// One line (two with a hint): what failed may quote a server, a file or the user, so newlines
// and control characters in it are shown, not obeyed, and known secrets are redacted.
void print_error(std::ostream& err, const std::string& message, const std::string& hint) {
  auto line = [](const std::string& s) {
    std::string one = s;
    std::replace(one.begin(), one.end(), '\n', ' ');
    return terminal_safe(redact_known(one));
  };
  err << "crier: error: " << line(message) << '\n';
  if (!hint.empty()) err << "hint: " << line(hint) << '\n';
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (const CLI::App* a = app; a != nullptr && a->get_parent() != nullptr; a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path.empty() ? "crier" : "crier " + path;
}

// Handles a parse failure: one line, a suggestion when a command name was mistyped, exit 2.
int report_parse_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args,
                       std::ostream& err) {
  const CLI::App* at = deepest(app);
  auto names = subcommand_names(*at);
  // The first word that is not an option, after the words of the chosen command path.
  std::string unknown;
  if (!names.empty()) {
    size_t depth = 0;
    for (const CLI::App* a = at; a->get_parent() != nullptr; a = a->get_parent()) ++depth;
    size_t seen = 0;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--config" || a == "--db") {
        ++i;
        continue;
      }
      if (!a.empty() && a[0] == '-') continue;
      if (seen++ == depth) {
        unknown = a;
        break;
      }
    }
  }
  if (!unknown.empty() && std::find(names.begin(), names.end(), unknown) == names.end()) {
    std::string where = command_path(at);
    std::string suggestion = did_you_mean(unknown, names);
    print_error(err, "'" + unknown + "' is not a " + where + " command",
                suggestion.empty() ? "see: " + where + " --help"
                                   : "did you mean '" + where + " " + suggestion + "'?");
    return exit_code::usage;
  }
  std::string msg = lower_first(e.what());
  if (!msg.empty() && msg.back() == '\n') msg.pop_back();
  if (msg.find("subcommand is required") != std::string::npos && !names.empty()) {
    std::string list;
    for (size_t i = 0; i < names.size(); ++i)
      list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    if (at->get_parent() == nullptr)
      print_error(err, "no command given", "see: crier --help, or take the tour: crier demo");
    else
      print_error(err, "'" + command_path(at) + "' needs one of: " + list, "see: " + command_path(at) + " --help");
    return exit_code::usage;
  }
  print_error(err, msg, "see: " + command_path(at) + " --help");
  return exit_code::usage;
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (c.rfind(word, 0) == 0 && word.size() >= 2) d = std::min<size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::unique_ptr<CLI::App> build_cli(GlobalOptions& g, Runner& selected) {
  auto app = std::make_unique<CLI::App>(
      "crier: social automation from the terminal. Post, schedule, answer and measure on your "
      "networks, exactly once.",
      "crier");
  app->fallthrough(true);
  app->set_version_flag("--version", std::string("crier ") + CRIER_VERSION);
  app->add_option("--config", g.config_path, "config file (default: $XDG_CONFIG_HOME/crier/config.toml; env CRIER_CONFIG)");
  app->add_option("--db", g.db_path, "database file (default: $XDG_DATA_HOME/crier/crier.db; env CRIER_DB)");
  app->add_flag("--json", g.json, "print one JSON document on stdout");
  app->add_flag("-q,--quiet", g.quiet, "print only errors and requested data");
  app->add_flag("-v,--verbose", g.verbosity, "more detail on stderr (-vv: HTTP traffic, redacted)");
  app->add_flag("--no-color", g.no_color, "no colour (also NO_COLOR)");
  app->require_subcommand(1);
  app->footer("Run 'crier COMMAND --help' for a command's options; 'man crier' for the manual.");
  for (const auto& info : command_table()) info.add(*app, info, selected);
  return app;
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::istream& in) {
  GlobalOptions g;
  Runner selected;
  auto app = build_cli(g, selected);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app->help();
    return exit_code::ok;
  } catch (const CLI::CallForAllHelp&) {
    out << app->help("", CLI::AppFormatMode::All);
    return exit_code::ok;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << '\n';
    return exit_code::ok;
  } catch (const CLI::ParseError& e) {
    // --help on a subcommand comes through as CallForHelp above only for the root; CLI11 reports
    // a subcommand's --help as a ParseError with exit code 0.
    if (e.get_exit_code() == 0) {
      out << deepest(*app)->help();
      return exit_code::ok;
    }
    return report_parse_error(*app, e, args, err);
  }
  if (g.quiet && g.verbosity > 0) {
    print_error(err, "-q and -v contradict each other", "use one of them");
    return exit_code::usage;
  }
  bool err_tty = &err == &std::cerr && want_color("auto", g.no_color, 2);
  init_logging(g.quiet ? -1 : g.verbosity, err_tty);
  if (!selected) {
    print_error(err, "no command given", "see: crier --help");
    return exit_code::usage;
  }
  Context ctx(out, err, in, g);
  try {
    return selected(ctx);
  } catch (const Error& e) {
    print_error(err, e.what(), e.hint());
    return exit_code_for(e.kind());
  } catch (const std::exception& e) {
    print_error(err, std::string("internal error: ") + e.what(),
                "this is a bug; please report it with the command you ran");
    return exit_code::failure;
  }
}

}  // namespace crier
