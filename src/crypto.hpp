// SHA-256 and HMAC-SHA-256 (from nettle): content-addressed media keys, S3's payload hash and
// the signatures of presigned S3 URLs. Hex is lower case.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace crier {

std::string sha256_hex(std::string_view data);
// Of a file's bytes, read in pieces. Throws Error(invalid_input) when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);
// The raw 32-byte MAC.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);

}  // namespace crier
