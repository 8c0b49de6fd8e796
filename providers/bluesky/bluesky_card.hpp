// Link cards: Bluesky shows a preview of a link only when the post embeds one
// (app.bsky.embed.external), which the client builds from the page's Open Graph tags.
#pragma once

#include <optional>
#include <string>

namespace crier::bluesky {

struct PageCard {
  std::string title;
  std::string description;
  std::string image_url;  // absolute, or ""
};

// Reads og:title, og:description and og:image (falling back to <title> and the description
// meta tag) from an HTML page. Entities are decoded; a relative image URL is made absolute
// against `page_url`. nullopt when the page has no title at all.
std::optional<PageCard> parse_open_graph(const std::string& html, const std::string& page_url);

}  // namespace crier::bluesky
