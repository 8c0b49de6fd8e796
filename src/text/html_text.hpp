// HTML to faithful plain text (Mastodon statuses, page titles for link cards). Paragraphs
// become blank lines, <br> newlines, links their text (Mastodon splits long URLs into
// invisible/ellipsis spans whose text together is the full URL), mentions "@user", and
// entities are decoded.
#pragma once

#include <string>
#include <string_view>

namespace crier {
std::string html_to_text(std::string_view html);
}
