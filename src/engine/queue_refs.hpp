// The one way a user names what is in the queue. The queue holds posts; a post goes to one or
// more accounts (a delivery each); a recurring schedule makes posts. So:
//
//   10          post 10: every delivery of it (what `post` and `schedule` print)
//   10@masto    post 10 on one account (alias, network:handle, or handle)
//   s3          recurring schedule 3 (what `schedule --every` prints)
//   d42         delivery 42 by its internal id (the "id" of --json output), for scripts
//
// Every command that prints something in the queue prints the reference that the next command
// accepts (ref_for), so the numbers a user sees and types are the same numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.hpp"

namespace crier {

class Store;

struct QueueRef {
  enum class Kind { post, delivery, schedule };
  Kind kind = Kind::post;
  int64_t id = 0;       // post, delivery or schedule id
  std::string account;  // for post@account: how the account was named
  std::string text;     // as typed
};

// Throws Error(usage) with the forms above when `text` is none of them.
QueueRef parse_queue_ref(std::string_view text);

// The deliveries the reference names, in due order. Throws Error(not_found) naming the
// reference when there is nothing by that name (or the post has no delivery on that account).
std::vector<Delivery> resolve_queue_ref(Store& store, const QueueRef& ref);

// How an account is shown in messages: its alias when it has one, else network:handle.
std::string account_label(const Account& account);
// The shortest name that still names the account: its alias, else its handle when no other
// account has that handle, else network:handle. Used in references ("10@me") and tables.
std::string short_label(Store& store, const Account& account);

// The reference a user types for this delivery: "10" when the post went to one account only,
// else "10@" + short_label.
std::string ref_for(Store& store, const Delivery& delivery);

// The first line of a post's text, cut to `width` columns, in quotes: "Good morning…".
std::string quoted_excerpt(const std::string& text, size_t width = 40);

}  // namespace crier
