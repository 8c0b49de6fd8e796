// The store: crier's state. This interface is all the rest of crier sees; SQLite is one
// implementation (sqlite_store.cpp, the only file that includes sqlite3.h), and a PostgreSQL
// backend can implement the same contract. Every method is atomic on its own; methods that
// write several rows do so in one transaction. Lookups return nullopt when absent and throw
// Error only on failure.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/types.hpp"

namespace crier {

class Store {
 public:
  virtual ~Store() = default;

  // --- schema ---
  virtual int schema_version() = 0;
  // "ok" or the problems PRAGMA integrity_check found.
  virtual std::string integrity_check() = 0;

  // --- accounts and secrets ---
  // Inserts the account and its secret in one transaction; returns the new id.
  // Throws Error(invalid_input) when network:handle or the alias is taken.
  virtual int64_t add_account(const Account& account, const std::string& secret) = 0;
  virtual std::vector<Account> list_accounts() = 0;
  virtual std::optional<Account> find_account(int64_t id) = 0;
  virtual std::optional<Account> find_account(const std::string& network,
                                              const std::string& handle) = 0;
  virtual std::optional<Account> find_account_by_alias(const std::string& alias) = 0;
  virtual void set_account_status(int64_t id, const std::string& status) = 0;
  virtual void remove_account(int64_t id) = 0;  // cascades to its deliveries, inbox, metrics
  virtual std::optional<std::string> secret(int64_t account_id) = 0;
  virtual void set_secret(int64_t account_id, const std::string& data, Timestamp now) = 0;

  // --- posts and deliveries ---
  // Inserts the post and one delivery per entry in one transaction; fills in the ids.
  virtual void add_post(Post& post, std::vector<Delivery>& deliveries) = 0;
  virtual std::optional<Post> find_post(int64_t id) = 0;
  virtual std::optional<Delivery> find_delivery(int64_t id) = 0;
  virtual std::vector<Delivery> list_deliveries(const DeliveryFilter& filter) = 0;
  // queued → cancelled. Returns false when the delivery is not queued.
  virtual bool cancel_delivery(int64_t id) = 0;
  // failed|dead → queued, due now, attempts reset. Returns false when not failed or dead.
  virtual bool retry_delivery(int64_t id, Timestamp now) = 0;

  // cancelled → queued, due at its time or at `now` when that has passed (attempts kept).
  // Returns false when the delivery is not cancelled.
  virtual bool restore_delivery(int64_t id, Timestamp now) = 0;

  // queued → queued at a new time (attempts kept, backoff cleared). False when not queued.
  virtual bool reschedule_delivery(int64_t id, Timestamp due) = 0;

  // --- recurring schedules ---
  // Inserts the template post, the schedule and its first occurrence (as add_occurrence) in one
  // transaction; fills in the ids.
  virtual void add_schedule(Post& post, Schedule& schedule, Timestamp first_at, std::vector<Delivery>& first,
                            bool ends) = 0;
  virtual std::optional<Schedule> find_schedule(int64_t id) = 0;
  virtual std::vector<Schedule> list_schedules(const std::vector<std::string>& statuses) = 0;
  // Adds the occurrence at `at`: a copy of the template post and the deliveries (schedule_id
  // set), and moves last_occurrence_at to `at`; `ends` also sets the schedule ended. Applies
  // only while last_occurrence_at still equals `expected_last` (another process may have added
  // it first): returns false then, and writes nothing.
  virtual bool add_occurrence(int64_t schedule_id, std::optional<Timestamp> expected_last, Timestamp at,
                              std::vector<Delivery>& deliveries, bool ends) = 0;
  virtual void set_schedule_status(int64_t id, const std::string& status) = 0;
  // Cancels the schedule and its queued deliveries; returns how many deliveries were cancelled.
  virtual int cancel_schedule(int64_t id) = 0;

  // --- posting slots ---
  virtual void set_slots(const SlotRule& slots) = 0;
  virtual std::optional<SlotRule> slots(int64_t account_id) = 0;
  virtual std::vector<SlotRule> list_slots() = 0;
  virtual bool clear_slots(int64_t account_id) = 0;

  // Takes a lease on the next due delivery: queued and due (and past next_attempt_at), or
  // publishing with an expired lease. Sets first_attempt_at (once) and last_attempt_at to now
  // and counts the attempt. Only deliveries of active accounts that are not rate limited at
  // `now`, with no other delivery
  // under a live lease (one at a time per account, in due order, across processes); optionally
  // only one post's. One transaction, so concurrent workers never hold the same delivery.
  virtual std::optional<Lease> claim_due(Timestamp now, const std::string& owner,
                                         Timestamp lease_until,
                                         std::optional<int64_t> post_id = std::nullopt) = 0;
  // Outcomes. Each applies only while `owner` still holds the lease; returns false otherwise.
  // `parts` holds every part published, root first (remote_id/remote_url are the root's); it
  // must not be empty. Clears outcome_unknown.
  virtual bool mark_published(int64_t id, const std::string& owner, const std::vector<RemotePart>& parts,
                              Timestamp now) = 0;
  virtual bool mark_unsuccessful(int64_t id, const std::string& owner, const AttemptFailure& failure) = 0;
  // What the provider made on the way to the post (a container), written at once and kept
  // whatever the lease: it is a fact about the network, and the next attempt needs it.
  virtual void set_progress(int64_t id, const std::string& progress) = 0;
  // The network rate limited the account until `until` (nullopt: clears it). Moves the time
  // only later. claim_due skips the account's deliveries until then.
  virtual void set_rate_limited(int64_t account_id, std::optional<Timestamp> until) = 0;
  // Earliest time something becomes due (queued due_at / next_attempt_at / the account's rate
  // limit, of active accounts; a lease expiry; or an active schedule's latest occurrence, after
  // which the next one is to be added).
  virtual std::optional<Timestamp> next_due_time() = 0;

  // --- drafts and LLM calls ---
  virtual void add_draft(Draft& draft) = 0;
  virtual std::optional<Draft> find_draft(int64_t id) = 0;
  virtual std::vector<Draft> list_drafts(int limit) = 0;  // newest first; 0: all
  // The draft's text, a thread's parts and its variants (JSON) after an edit.
  virtual bool update_draft(int64_t id, const std::string& text, const std::vector<std::string>& parts,
                            const std::string& variants, Timestamp now) = 0;
  virtual bool remove_draft(int64_t id) = 0;
  virtual int64_t add_llm_call(const LlmCall& call) = 0;
  // The calls made at or after `since`, oldest first, without their prompt and response.
  virtual std::vector<LlmCall> llm_calls_since(Timestamp since) = 0;

  // --- inbox ---
  // Inserts the item unless (account, remote_id) is known; returns true when inserted.
  virtual bool add_inbox_item(InboxItem& item) = 0;
  virtual std::vector<InboxItem> list_inbox(const InboxFilter& filter) = 0;
  virtual std::optional<InboxItem> find_inbox_item(int64_t id) = 0;
  // With a reply: its remote id and our text (kept, and searchable).
  virtual void set_inbox_status(int64_t id, const std::string& status, const std::string& reply_remote_id = {},
                                const std::string& reply_text = {}) = 0;
  // Items matching the FTS5 query `match` (any of the filter's account, kinds and since; its
  // statuses and limit too), best first.
  virtual std::vector<InboxHit> search_inbox(const std::string& match, const InboxFilter& filter) = 0;
  // The item on that account with that remote id, or the one we answered with it, if any.
  virtual std::optional<InboxItem> find_inbox_by_remote_id(int64_t account_id,
                                                           const std::string& remote_id) = 0;
  // The items of a thread (same account and thread id), oldest first.
  virtual std::vector<InboxItem> thread_items(int64_t account_id, const std::string& thread_id) = 0;
  // Triage labels, JSON ("" to clear them).
  virtual void set_inbox_triage(int64_t id, const std::string& triage) = 0;
  // Suggested replies: a new run's replace the item's earlier ones (numbered from 1).
  virtual void replace_suggestions(int64_t item_id, std::vector<Suggestion>& suggestions) = 0;
  virtual std::vector<Suggestion> suggestions(int64_t item_id) = 0;
  virtual std::optional<std::string> cursor(int64_t account_id, const std::string& stream) = 0;
  virtual void set_cursor(int64_t account_id, const std::string& stream,
                          const std::string& cursor, Timestamp now) = 0;
  // The delivery whose remote_id (on that account) is `remote_id`, if any.
  virtual std::optional<int64_t> delivery_by_remote_id(int64_t account_id,
                                                       const std::string& remote_id) = 0;

  // --- knowledge base ---
  // Stores the source (a new one, or the one at its location, replaced) with its chunks, in one
  // transaction; fills in the ids. The old chunks of a replaced source are gone.
  virtual void put_kb_source(KbSource& source, std::vector<KbChunk>& chunks) = 0;
  virtual std::vector<KbSource> list_kb_sources() = 0;  // with their chunk counts, by id
  virtual std::optional<KbSource> find_kb_source(int64_t id) = 0;
  virtual std::optional<KbSource> find_kb_source(const std::string& location) = 0;
  virtual std::vector<KbChunk> kb_chunks(int64_t source_id) = 0;
  virtual std::optional<KbChunk> find_kb_chunk(int64_t id) = 0;
  virtual bool remove_kb_source(int64_t id) = 0;
  // Full-text search (FTS5 MATCH syntax in `match`), best first, at most `limit`.
  virtual std::vector<KbHit> search_kb(const std::string& match, int limit) = 0;
  // The chunk texts (hash -> text, one per hash) with no vector of `model` yet.
  virtual std::vector<std::pair<std::string, std::string>> kb_texts_to_embed(const std::string& model) = 0;
  // Stores vectors (float32 blobs, vector_blob()) of `model` by chunk hash, in one transaction.
  virtual void put_kb_embeddings(const std::string& model,
                                 const std::vector<std::pair<std::string, std::string>>& hash_blobs,
                                 Timestamp now) = 0;
  // Chunks with a vector of `model`, and how many chunks there are.
  virtual std::pair<int64_t, int64_t> kb_embedded_count(const std::string& model) = 0;
  // The `limit` chunks whose `model` vectors are nearest `query` (normalised; by dot product),
  // best first, as (chunk id, similarity). Vectors of another length are skipped.
  virtual std::vector<std::pair<int64_t, double>> kb_nearest(const std::string& model,
                                                             const std::vector<float>& query, int limit) = 0;
  // Forgets the vectors of texts no chunk has any more; returns how many. Called once after a
  // whole add, refresh or rm, so a text that moved from one source to another keeps its vector.
  virtual int64_t prune_kb_embeddings() = 0;
  // BM25 alone, best first: (chunk id, BM25 negated), no rows read - for fusing with another
  // ranking before the few kept are read (kb_hit, kb_snippet).
  virtual std::vector<std::pair<int64_t, double>> kb_ranked_by_words(const std::string& match, int limit) = 0;
  // The snippet of a chunk for a MATCH query, matches between \x02 and \x03 ("" if none).
  virtual std::string kb_snippet(const std::string& match, int64_t chunk_id) = 0;
  // Whether any text has a vector of `model` (cheap, unlike kb_embedded_count).
  virtual bool kb_has_vectors(const std::string& model) = 0;
  // A chunk as a search hit (no snippet), for one found by meaning only.
  virtual std::optional<KbHit> kb_hit(int64_t chunk_id) = 0;

  // --- metrics ---
  virtual void add_metrics(const std::vector<MetricSnapshot>& snapshots) = 0;
  virtual void add_account_metric(const AccountMetric& metric) = 0;
  // Latest snapshot per delivery published at or after `since`.
  virtual std::vector<MetricSnapshot> latest_metrics(Timestamp since) = 0;
  // The newest snapshot of one delivery's counts, if any was taken.
  virtual std::optional<MetricSnapshot> latest_metric(int64_t delivery_id) = 0;
  // Account metrics taken at or after `since`, oldest first.
  virtual std::vector<AccountMetric> account_metrics(int64_t account_id, Timestamp since) = 0;
};

// Opens (creating when missing, mode 0600) and migrates the SQLite database at `path`.
// Never changes the mode of a file that is there already. Throws Error(config) when the file is
// not a regular file, not a crier database or from a newer crier, Error(temporary) when its
// disk is full or it is busy. target_version < 0 migrates to the latest; tests pass an earlier
// version. follow_symlinks false (crier's own default path): a link at the name is refused.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path, int target_version = -1,
                                         bool follow_symlinks = true);

// The migrations compiled into the binary, in order; migration i brings the schema to i+1.
std::vector<std::string_view> embedded_migrations();

}  // namespace crier
