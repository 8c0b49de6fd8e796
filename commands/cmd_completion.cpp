// crier completion bash|zsh|fish: prints the script shipped in completions/ (compiled in).
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "embedded.hpp"

namespace crier {

void add_completion(CLI::App& app, const CommandInfo& info, Runner& selected) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_option("shell", *shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->footer(
      "Install: crier completion bash > ~/.local/share/bash-completion/completions/crier\n"
      "         crier completion zsh > \"${fpath[1]}/_crier\"\n"
      "         crier completion fish > ~/.config/fish/completions/crier.fish");
  cmd->callback([shell, &selected] {
    selected = [shell](Context& ctx) {
      std::string name = *shell == "bash" ? "completions/crier.bash"
                         : *shell == "zsh" ? "completions/_crier"
                                           : "completions/crier.fish";
      ctx.out << embedded_file(name);
      return 0;
    };
  });
}

}  // namespace crier
