// A small, stable, non-cryptographic hash (64-bit FNV-1a) for names and keys derived from
// content: media file names, reply keys, Bluesky record keys. Never for secrets.
#pragma once

#include <cstdint>
#include <string_view>

namespace crier {

inline uint64_t fnv1a(std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace crier
