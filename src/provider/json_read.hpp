// Reading what a network sent without trusting its shape. A server may send a number where
// the API documents a string, a list where it documents an object, or nothing at all; nlohmann's
// operator[] and value() throw (or, on a const object, assert) on those. These never do: a
// missing key, a wrong type or a value that is not an object reads as absent (a null, "", 0, an
// empty list). Whether absent is acceptable is the caller's decision.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace crier::json_read {

using nlohmann::json;

// j[key] when j is an object that has it; otherwise null.
inline const json& at(const json& j, std::string_view key) {
  static const json k_null;
  if (!j.is_object()) return k_null;
  auto it = j.find(std::string(key));
  return it == j.end() ? k_null : *it;
}

// The string at key, or "" when it is absent or not a string.
inline std::string str(const json& j, std::string_view key) {
  const json& v = at(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// The non-negative count at key (likes, followers), or 0 when absent, negative or not a number.
inline int64_t count(const json& j, std::string_view key) {
  const json& v = at(j, key);
  if (v.is_number_unsigned())
    return static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), std::numeric_limits<int64_t>::max()));
  if (v.is_number_integer()) return std::max<int64_t>(v.get<int64_t>(), 0);
  return 0;
}

// The array at key, or an empty one.
inline const json& list(const json& j, std::string_view key) {
  static const json k_empty = json::array();
  const json& v = at(j, key);
  return v.is_array() ? v : k_empty;
}

// j itself when it is an array, else an empty one (a list endpoint that answered with something else).
inline const json& as_list(const json& j) {
  static const json k_empty = json::array();
  return j.is_array() ? j : k_empty;
}

}  // namespace crier::json_read
