// Helpers shared by command files: reading text arguments, and the stable JSON shapes of
// crier's records (documented in crier(1), JSON OUTPUT).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "context.hpp"
#include "store/types.hpp"

namespace crier {

// The argument itself, or all of stdin when it is "-".
std::string read_text_arg(Context& ctx, const std::string& arg);

// A time as the user reads it: local time in the configured zone, or "-" when unset.
std::string show_time(Context& ctx, std::optional<Timestamp> t);

nlohmann::json account_json(const Account& a);
nlohmann::json delivery_json(const Delivery& d, const std::string& account_name);
nlohmann::json inbox_json(const InboxItem& i, const std::string& account_name);
// An ISO 8601 UTC string, or null.
nlohmann::json time_json(std::optional<Timestamp> t);

// Values given repeated or comma-separated ("--status failed,dead", "--status failed --status
// dead"), trimmed, empty ones dropped: every option that takes a list takes both.
std::vector<std::string> split_commas(const std::vector<std::string>& values);

// "network:handle" of an account id, "?" when gone; cached per run by the caller if needed.
std::string account_name(Context& ctx, int64_t account_id);

}  // namespace crier
