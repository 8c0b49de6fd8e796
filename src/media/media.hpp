// Images attached to posts: read, identified by content (not by name), checked against a
// network's rules before any network call, and kept in crier's data dir so a scheduled post
// does not depend on the original file still being there.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "store/types.hpp"
#include "text/text_rules.hpp"

namespace crier {

// Reads `path` and identifies the image type from its first bytes.
// Throws Error(invalid_input) when the file is missing, unreadable, empty or not an image.
MediaItem inspect_image(const std::filesystem::path& path, std::string alt);

// Checks count, type and size against `rules`; `network` names the network in the message.
// Throws Error(invalid_input) naming the file and the limit.
void check_media(const std::vector<MediaItem>& media, const TextRules& rules,
                 const std::string& network);

// "1.5 MB", "16 MiB", "830 bytes": a size as people read it.
std::string human_bytes(int64_t bytes);

// Copies the image into `dir` under a name derived from its content; returns the item with
// path pointing at the copy. Idempotent for the same content.
MediaItem keep_media_copy(const MediaItem& item, const std::filesystem::path& dir);

}  // namespace crier
