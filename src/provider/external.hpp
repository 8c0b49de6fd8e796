// External providers: a network in any language. An executable named crier-provider-NAME, in
// $XDG_DATA_HOME/crier/providers/ or on PATH, speaks the provider interface as JSON-RPC 2.0,
// one message per line on its stdin and stdout (stderr is its log), like git's remote helpers.
// The protocol is man/crier-provider.7.scd; this is crier's side of it.
//
// A plugin is started on first use, once per run (every thread shares the one process, one
// call at a time), and asked to `describe` itself; each call has general.provider_timeout_seconds
// to answer. A plugin that hangs, crashes, or prints what is not an answer is stopped (with what
// it started) and the call is an error of that target - never a crash or a hang of crier.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provider/provider.hpp"

namespace crier {

// The protocol version crier speaks; a plugin reports its own in `describe`.
inline constexpr int k_provider_protocol = 1;

// How long one call may take (set from general.provider_timeout_seconds when the config loads).
void set_external_provider_timeout(std::chrono::seconds timeout);

struct ExternalProviderFile {
  std::string name;  // "discord" for crier-provider-discord
  std::filesystem::path path;
};
// Every plugin found, the first of each name in search order ($XDG_DATA_HOME/crier/providers,
// then PATH), sorted by name.
std::vector<ExternalProviderFile> find_external_providers();

// The row of plugin `name` (it describes itself the first time, once per run); nullptr when
// there is no such executable. Throws Error(config) naming the file when it cannot describe
// itself (will not start, hangs, crashes, answers garbage, speaks another protocol version).
const ProviderInfo* external_provider_info(std::string_view name);

// The provider for a row external_provider_info returned.
std::unique_ptr<Provider> make_external_provider(ProviderEnv& env, const ProviderInfo& info);

// Stops every plugin process started in this run (closing its stdin first, so it can finish).
void stop_external_providers();

// For fuzzing how crier reads what a plugin says, without a process: the provider that
// `description` (describe's result) makes, every call answered by `answer` (which may throw
// crier::Error as a plugin's error would arrive). Throws Error(config) as describe would.
std::unique_ptr<Provider> external_provider_for_fuzzing(
    const nlohmann::json& description, std::function<nlohmann::json(const std::string&)> answer);

}  // namespace crier
