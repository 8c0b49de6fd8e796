// Where crier keeps its files (XDG base directories).
#pragma once

#include <filesystem>
#include <string>

namespace crier {

// $XDG_CONFIG_HOME/crier (default ~/.config/crier).
std::filesystem::path config_dir();
// $XDG_DATA_HOME/crier (default ~/.local/share/crier).
std::filesystem::path data_dir();
// config_dir()/config.toml
std::filesystem::path default_config_path();
// data_dir()/crier.db
std::filesystem::path default_db_path();

// Writes `content` to `path` atomically (temp file + rename) with the given mode; creates
// parent directories. Throws Error(internal) with the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                     std::filesystem::perms::owner_write);
// Reads a whole file; throws Error(not_found) when it does not exist.
std::string read_file(const std::filesystem::path& path);

}  // namespace crier
