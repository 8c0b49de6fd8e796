// The records crier keeps. Plain data; the store reads and writes them, the engine decides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clock.hpp"

namespace crier {

struct Account {
  int64_t id = 0;
  std::string network;
  std::string handle;
  std::string server;
  std::string alias;     // "" when none
  std::string status = "active";  // active | auth_failed | paused
  std::string settings = "{}";    // JSON, provider-specific, never secret
  Timestamp created_at{};
  // The network rate limited this account: nothing of it is claimed before this time.
  std::optional<Timestamp> rate_limited_until;

  std::string name() const { return network + ":" + handle; }
};

struct MediaItem {
  std::string path;  // a copy kept in crier's data dir, so the post survives the original
  std::string alt;
  std::string mime;
  int64_t bytes = 0;
  int width = 0, height = 0;  // from the file's header (0: not known, e.g. stored by an older crier)
};

struct Post {
  int64_t id = 0;
  std::string text;
  bool thread = false;             // split to fit each network, as a thread
  std::vector<std::string> parts;  // parts the author split by hand (a thread); else empty
  std::vector<MediaItem> media;
  std::string options = "{}";  // JSON: "lang", "visibility", "content_warning" where given
  std::string origin = "typed";
  std::string status = "ready";
  Timestamp created_at{};
};

// One part of a published post (the root, or a later part of a thread) on the network.
struct RemotePart {
  std::string id;
  std::string url;
};

enum class DeliveryStatus { queued, publishing, published, failed, dead, cancelled };
std::string to_string(DeliveryStatus s);
std::optional<DeliveryStatus> delivery_status_from_string(std::string_view s);

struct Delivery {
  int64_t id = 0;
  int64_t post_id = 0;
  int64_t account_id = 0;
  DeliveryStatus status = DeliveryStatus::queued;
  Timestamp due_at{};
  std::string tz = "UTC";
  int attempts = 0;
  std::optional<Timestamp> next_attempt_at;
  std::string lease_owner;
  std::optional<Timestamp> lease_until;
  std::string idempotency_key;
  std::string remote_id;
  std::string remote_url;
  std::string last_error;
  std::string last_error_kind;
  std::optional<Timestamp> published_at;
  Timestamp created_at{};
  std::optional<int64_t> schedule_id;  // the recurring schedule that made it, if any
  std::optional<Timestamp> first_attempt_at;  // when the first attempt began (reconcile's lower bound)
  std::optional<Timestamp> last_attempt_at;   // when the latest attempt began
  // An attempt may have reached the network without crier learning what it made: the next one
  // reconciles first. Cleared only by a finished reconcile (or a recorded outcome).
  bool outcome_unknown = false;
  std::vector<RemotePart> remote_parts;  // every part of what was published, root first
  std::string progress;  // the provider's own record of what it made on the way (containers); "" none
  // Handed to the network's own scheduling up to this many seconds before due_at (claimed from
  // then on); nullopt: crier's queue publishes it at due_at.
  std::optional<int64_t> native_lead;
};

// A recurring post: the content (a template post), its accounts and its rule.
struct Schedule {
  int64_t id = 0;
  int64_t post_id = 0;
  std::vector<int64_t> account_ids;
  std::string rule;  // as written: readable or RRULE
  std::string tz;    // IANA zone the rule is expanded in
  Timestamp starts_at{};
  std::optional<Timestamp> until;
  std::optional<int> max_count;
  int occurrences = 0;
  std::optional<Timestamp> last_occurrence_at;
  std::string status = "active";  // active | ended | cancelled
  Timestamp created_at{};
};

// An account's posting slots.
struct SlotRule {
  int64_t account_id = 0;
  std::string rule;
  std::string tz;
  Timestamp updated_at{};
};

// A post written with a language model, and how.
struct Draft {
  int64_t id = 0;
  std::string topic;
  std::string text;                // what `post draft:ID` sends
  std::vector<std::string> parts;  // a thread's parts; empty for a single post
  std::string variants = "[]";     // JSON: every variant, with its counts per network
  std::string template_name;
  std::string backend, model;
  std::optional<int> prompt_tokens, completion_tokens;
  long long latency_ms = 0;
  int calls = 0;
  Timestamp created_at{}, updated_at{};
};

// One call to a language model, for the record (never the API key).
struct LlmCall {
  std::string backend, model, purpose, prompt, response;
  std::optional<int> prompt_tokens, completion_tokens;
  long long latency_ms = 0;
  std::string status = "ok";  // ok | refused | error
  std::string error;
  Timestamp created_at{};
};

// How an attempt that did not publish ended, for Store::mark_unsuccessful.
struct AttemptFailure {
  DeliveryStatus status = DeliveryStatus::queued;  // queued (retry at next_attempt_at), failed or dead
  std::string error_kind;
  std::string error;
  std::optional<Timestamp> next_attempt_at;
  // false: the attempt never reached the network, or the network only said "not now" (a rate
  // limit); it does not count towards publish.max_attempts (the claim's increment is undone).
  bool counted = true;
  // true: the network may have made the post; the next attempt reconciles first.
  bool outcome_unknown = false;
};

// A delivery this worker now holds. `reclaimed` is true when an earlier worker's lease had
// expired mid-call: the outcome of that call is unknown and must be reconciled first.
struct Lease {
  Delivery delivery;
  bool reclaimed = false;
};

struct DeliveryFilter {
  std::vector<DeliveryStatus> statuses;  // empty: any
  std::optional<int64_t> account_id;
  std::optional<int64_t> post_id;
  std::optional<Timestamp> published_since;
  std::optional<Timestamp> due_from;   // due_at >= this
  std::optional<Timestamp> due_until;  // due_at <= this
  std::optional<int64_t> schedule_id;
  int limit = 0;  // 0: no limit
};

struct InboxItem {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string kind;  // reply | comment | mention | quote | dm
  std::string remote_id;
  std::string thread_id;
  std::string parent_remote_id;
  std::optional<int64_t> delivery_id;
  std::string author;
  std::string author_name;
  std::string text;
  std::string url;
  Timestamp created_at{};
  Timestamp fetched_at{};
  std::string status = "new";
  std::string triage;
  std::string reply_remote_id;
  std::string meta = "{}";  // provider data needed to answer it (visibility, cids), JSON
  std::string reply_text;   // what we answered, when we did
};

struct InboxFilter {
  std::vector<std::string> statuses;  // empty: any
  std::vector<std::string> kinds;
  std::optional<int64_t> account_id;
  std::optional<Timestamp> since;  // created at or after
  std::vector<std::string> intents;  // triage labels: any of these
  bool urgent = false;               // triaged as urgent
  bool untriaged = false;            // not triaged yet
  bool oldest_first = false;
  int limit = 0;
};

// A reply the model suggested for an inbox item, grounded in the knowledge base.
struct Suggestion {
  int64_t id = 0;
  int64_t item_id = 0;
  int number = 0;  // 1.. in the latest suggest run for the item
  std::string text;
  std::string sources = "[]";  // [{"n", "chunk_id", "citation", "score"}], JSON
  double confidence = 0;
  bool grounded = false;  // it cites at least one source
  std::string model;
  std::string template_version;
  Timestamp created_at{};
};

// An inbox item found by a search: where the words matched, our answer's text included.
struct InboxHit {
  InboxItem item;
  std::string reply_text;  // what we answered, when we did
  double score = 0;        // higher is better
  std::string snippet;     // matches between \x02 and \x03
};

struct MetricSnapshot {
  int64_t delivery_id = 0;
  Timestamp taken_at{};
  int64_t likes = 0, reposts = 0, replies = 0, quotes = 0;
  std::optional<int64_t> views;
  std::optional<double> upvote_ratio;  // share of votes that are up, 0..1 (Reddit)
};

// A document of the knowledge base: a file or a URL, as last read.
struct KbSource {
  int64_t id = 0;
  std::string location;  // absolute path or URL
  std::string kind;      // markdown | text | html | pdf
  std::string title;
  std::string content_hash;
  int64_t bytes = 0;
  std::optional<Timestamp> source_mtime;
  Timestamp added_at{};
  Timestamp indexed_at{};
  int64_t chunks = 0;  // filled in by listings
};

// A piece of a source, cut at paragraph and sentence boundaries, with where it came from.
struct KbChunk {
  int64_t id = 0;
  int64_t source_id = 0;
  int seq = 0;
  std::string heading;  // "Guide > Refunds", "page 3", or ""
  int64_t start_offset = 0;
  int64_t end_offset = 0;
  std::string text;
  std::string hash;
};

// A chunk found by a search, best first.
struct KbHit {
  KbChunk chunk;
  std::string location;
  std::string title;
  double score = 0;      // higher is better: BM25 negated, or the fused rank when by meaning too
  std::string snippet;   // the text around the match, matches between \x02 and \x03
  std::optional<double> bm25;        // BM25 (negated: higher is better), when words matched
  std::optional<double> similarity;  // cosine similarity to the query, when found by meaning
};

struct AccountMetric {
  int64_t account_id = 0;
  Timestamp taken_at{};
  int64_t followers = 0;
  std::optional<int64_t> following;
  std::optional<int64_t> posts;
  std::optional<int64_t> score;  // the network's own score of the account (Reddit's karma)
};

}  // namespace crier
