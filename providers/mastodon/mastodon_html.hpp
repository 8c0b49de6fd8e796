// Mastodon sends statuses as HTML; the inbox shows plain text. Paragraphs become blank lines,
// <br> newlines, links their text (Mastodon splits long URLs into invisible/ellipsis spans whose
// text together is the full URL), mentions "@user", and entities are decoded.
#pragma once

#include <string>
#include <string_view>

namespace crier::mastodon {
std::string html_to_text(std::string_view html);
}
