// How Mastodon counts a status: every link as a fixed number of characters (23 unless the
// instance says otherwise), a mention of another server's account as @user without @domain,
// everything else in graphemes.
#pragma once

#include <cstddef>
#include <string_view>

namespace crier::mastodon {

size_t count_text(std::string_view text, size_t url_length);

}  // namespace crier::mastodon
