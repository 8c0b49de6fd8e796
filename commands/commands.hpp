// One add_* per command file. Each parses only; its run function does the work with a Context.
#pragma once

#include "command_table.hpp"

namespace crier {
void add_init(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_doctor(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_version(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_config(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_accounts(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_draft(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_drafts(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_templates(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_post(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_schedule(CLI::App& app, const CommandInfo& info, Runner& selected);
// The help of --opt: the post options each network declares (external ones too: starts them).
std::string post_option_help(bool external);
void add_queue(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_slots(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_cron(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_publish(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_poll(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_inbox(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_kb(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_usage(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_analytics(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_providers(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_completion(CLI::App& app, const CommandInfo& info, Runner& selected);
void add_demo(CLI::App& app, const CommandInfo& info, Runner& selected);
}  // namespace crier
