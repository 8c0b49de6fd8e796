// Bluesky rich text: links, mentions and hashtags are clickable only through facets, which
// point at UTF-8 byte ranges of the text. Long URLs are shortened in the visible text (as the
// official app does) while the facet keeps the full URL.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clock.hpp"

namespace crier::bluesky {

struct RichText {
  std::string text;        // what is shown (long URLs shortened)
  nlohmann::json facets;   // app.bsky.richtext.facet array (may be empty)
};

// The visible form of a URL: scheme dropped, cut to 27 characters plus "..." when longer.
std::string shorten_url(const std::string& url);

// Builds the visible text and its facets. `resolve` maps a handle to a DID (nullopt when it does
// not resolve: the mention is left as plain text, never linked to the wrong account).
RichText build_rich_text(const std::string& text,
                         const std::function<std::optional<std::string>(const std::string& handle)>& resolve);

// The text as Bluesky will show it (URLs shortened), for counting graphemes.
std::string visible_text(const std::string& text);

// A record key (TID: 13 characters of base32-sortable) that is the same for the same delivery
// key and creation time, so a retried createRecord collides with the first instead of duplicating.
std::string tid_for(const std::string& idempotency_key, Timestamp created_at, unsigned part);

}  // namespace crier::bluesky
