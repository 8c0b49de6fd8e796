#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "commands.hpp"
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
    return redact_known(terminal_safe(redact_known(one)));
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

// The long names of an App's options ("--to", "--at", ...), for did-you-mean.
std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent())
    for (const CLI::Option* o : a->get_options())
      for (const auto& l : o->get_lnames()) out.push_back("--" + l);
  return out;
}

// Words after "prefix" in a CLI11 message, split at spaces.
std::vector<std::string> words_after(const std::string& msg, const std::string& prefix) {
  std::vector<std::string> out;
  auto p = msg.find(prefix);
  if (p == std::string::npos) return out;
  std::string rest = msg.substr(p + prefix.size());
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t sp = rest.find(' ', pos);
    std::string w = rest.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    if (!w.empty()) out.push_back(w);
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  return out;
}

// A number as people write it: 1, 256, 1.5 (CLI11 prints ranges as 0.000000 to 1.79e308).
std::string plain_number(const std::string& s) {
  try {
    double d = std::stod(s);
    if (d > 1e15) return "";
    if (d == static_cast<double>(static_cast<long long>(d))) return std::to_string(static_cast<long long>(d));
    return s;
  } catch (const std::exception&) {
    return s;
  }
}

// CLI11's messages in crier's words: what was wrong, with the option or argument named, and a
// suggestion when a name was mistyped. Returns the message and the hint.
std::pair<std::string, std::string> explain(const CLI::App* at, const CLI::ParseError& e) {
  std::string where = command_path(at);
  std::string see = "see: " + where + " --help";
  std::string msg = e.what();
  if (!msg.empty() && msg.back() == '\n') msg.pop_back();
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    auto extras = words_after(msg, "expected: ");
    std::reverse(extras.begin(), extras.end());  // CLI11 lists them last first
    for (const auto& w : extras)
      if (!w.empty() && w[0] == '-') {
        std::string option = w.substr(0, w.find('='));
        std::string guess = did_you_mean(option, option_names(at));
        return {"unknown option '" + option + "' for " + where,
                guess.empty() ? see : "did you mean " + guess + "?"};
      }
    std::string first = extras.empty() ? "" : extras.front();
    return {"'" + first + "' was not expected after " + where,
            "put text with spaces in quotes, or give lists with commas (--to a,b); " + see};
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    std::string name = msg.substr(0, msg.find(" is required"));
    const CLI::Option* o = at->get_option_no_throw(name);
    std::string about = o != nullptr && !o->get_description().empty() ? ": " + o->get_description() : "";
    std::string what = name.rfind("--", 0) == 0 ? name : std::string(1, static_cast<char>(std::toupper(name[0]))) + name.substr(1);
    for (auto& c : what)
      if (name.rfind("--", 0) != 0) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return {where + " needs " + what + about, see};
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    std::string option = msg.substr(0, msg.find(':'));
    return {option + " needs a value", see};
  }
  if (dynamic_cast<const CLI::ConversionError*>(&e) != nullptr || dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    // "--count: Value 0 not in range 1 to 256", "Could not convert: --limit = abc"
    std::string option, value;
    if (auto p = msg.find("convert: "); p != std::string::npos) {
      std::string rest = msg.substr(p + 9);
      option = rest.substr(0, rest.find(" = "));
      value = rest.find(" = ") == std::string::npos ? "" : rest.substr(rest.find(" = ") + 3);
      if (option.find("--") != 0) option = "--" + option;
      return {option + " takes a number, not '" + value + "'", see};
    }
    option = msg.substr(0, msg.find(':'));
    auto range = words_after(msg, "not in range ");
    auto v = words_after(msg, "Value ");
    value = v.empty() ? "" : v[0];
    bool numeric = !value.empty() && value.find_first_not_of("-+0123456789.") == std::string::npos;
    if (!numeric) return {option + " takes a number, not '" + value + "'", see};
    if (range.size() >= 3) {
      std::string lo = plain_number(range[0]), hi = plain_number(range[2]);
      std::string want = hi.empty() ? "at least " + lo : "from " + lo + " to " + hi;
      if (hi.empty() && lo == "0") want = value == "0" ? "a positive number" : "0 or more";
      return {option + " must be " + want + ", not '" + value + "'", see};
    }
    return {lower_first(msg), see};
  }
  return {lower_first(msg), see};
}

// Handles a parse failure: one line, a suggestion when a name was mistyped, exit 2.
int report_parse_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args,
                       std::ostream& err) {
  const CLI::App* at = deepest(app);
  auto names = subcommand_names(*at);
  std::string msg = e.what();
  bool no_subcommand = msg.find("subcommand is required") != std::string::npos;
  // A mistyped command: the first word that is not an option, after the command path. Only
  // when CLI11 could not place a word (an extra) or wanted a command: otherwise the word is
  // an option's value (--limit abc), not a command.
  std::string unknown;
  if (!names.empty() && (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr || no_subcommand)) {
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
  if (no_subcommand && !names.empty()) {
    std::string list;
    for (size_t i = 0; i < names.size(); ++i)
      list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    if (at->get_parent() == nullptr)
      print_error(err, "no command given", "see: crier --help, or take the tour: crier demo");
    else
      print_error(err, "'" + command_path(at) + "' needs one of: " + list, "see: " + command_path(at) + " --help");
    return exit_code::usage;
  }
  auto [message, hint] = explain(at, e);
  print_error(err, message, hint);
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
  for (const auto& info : command_table()) {
    info.add(*app, info, selected);
    // Every command's --help ends with examples and the options every command takes.
    CLI::App* sub = app->get_subcommand(std::string(info.name));
    std::string footer = sub->get_footer() == app->get_footer() ? std::string() : sub->get_footer();
    if (!footer.empty()) footer += "\n\n";
    footer += "Examples:\n";
    std::string_view ex = info.examples;
    for (size_t pos = 0; pos < ex.size();) {
      size_t nl = ex.find('\n', pos);
      footer += "  " + std::string(ex.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos)) + "\n";
      pos = nl == std::string_view::npos ? ex.size() : nl + 1;
    }
    footer += "\nEvery command also takes --config FILE, --db FILE, --json, -q, -v/-vv and --no-color\n"
              "(crier --help). The manual: man crier.";
    sub->footer(footer);
    for (CLI::App* verb : sub->get_subcommands([](const CLI::App*) { return true; })) verb->footer(footer);
  }
  return app;
}

// Help that lists what every network takes asks the external providers too, only when shown.
void refresh_option_help(CLI::App& app) {
  auto* shown = const_cast<CLI::App*>(deepest(app));
  if (CLI::Option* opt = shown->get_option_no_throw("--opt")) opt->description(post_option_help(true));
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, std::istream& in) {
  GlobalOptions g;
  Runner selected;
  auto app = build_cli(g, selected);
  std::vector<std::string> words = args;
  // "crier help", "crier help post", "crier help queue cancel": the same as --help.
  if (!words.empty() && words[0] == "help") {
    words.erase(words.begin());
    words.push_back("--help");
  }
  try {
    std::vector<std::string> reversed(words.rbegin(), words.rend());
    app->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    refresh_option_help(*app);
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
      refresh_option_help(*app);
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
