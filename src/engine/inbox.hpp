// The inbox: poll each account's streams from their stored cursors, keep each item once, and
// answer items through the network they came from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "error.hpp"
#include "provider/provider.hpp"
#include "store/types.hpp"

namespace crier {

struct PollOptions {
  std::optional<int64_t> account_id;  // all accounts when unset
  std::vector<InboxStream> streams;   // every stream the provider has when empty
  int max_pages = 20;                 // per stream and run, so a poll always ends
};

struct PollResult {
  Account account;
  InboxStream stream = InboxStream::replies;
  int fetched = 0;
  int added = 0;  // new to the inbox
  std::vector<int64_t> added_ids;
  std::optional<ErrorKind> error_kind;
  std::string error;
};

std::vector<PollResult> poll_inbox(Engine& engine, const PollOptions& options);

// The item as its provider sees it.
RemoteItem remote_item(const InboxItem& item);

struct ReplyOutcome {
  InboxItem item;
  PublishedPart sent;
};
// Sends `text` as an answer to inbox item `id` (a reply in its thread, or a DM). Checks the
// text against the network's rules first. Throws Error(not_found) for an unknown id.
// Hides item `id` on its network (a comment or reply on our post), or shows it again, and marks
// it ignored (shown again: read). Error(unsupported) where the network cannot.
InboxItem hide_item(Engine& engine, int64_t id, bool hidden);

// `human_agent`: a person answers a DM outside the network's automated window (Meta's
// HUMAN_AGENT tag, up to 7 days); the provider is told through the item's meta.
ReplyOutcome reply_to_item(Engine& engine, int64_t id, const std::string& text, bool human_agent = false);

}  // namespace crier
