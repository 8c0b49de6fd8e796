// A provider is one network behind one interface. It receives an HTTP transport, a clock and
// its settings, never the store: the engine hands it what it needs (a Session with the
// account's credentials) and records what comes back.
//
// Contract for every operation: return on success; throw crier::Error with a kind on failure
// (auth, rate_limited with retry_after, not_found, invalid_input, unsupported, transient,
// network, permanent). An operation the network lacks throws unsupported, never a silent no-op.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clock.hpp"
#include "config/config_keys.hpp"
#include "store/types.hpp"
#include "text/text_rules.hpp"

namespace crier {

class Config;
class Transport;

struct Capabilities {
  bool images = false;
  bool threads = false;
  bool link_cards = false;
  bool inbox_replies = false;   // replies and comments to our posts
  bool inbox_mentions = false;
  bool inbox_dms = false;
  bool reply = false;           // answer an inbox item publicly
  bool send_dm = false;
  bool hide = false;            // hide a comment or reply on our post from others (moderation)
  bool post_metrics = false;
  bool account_metrics = false;
  bool native_idempotency = false;  // the network itself dedups a repeated publish
  bool title = false;               // a post has a title (--title), as on Reddit
  bool title_required = false;      // ... and cannot go without one
};

// An option a network's posts take (--opt NAME=VALUE): declared once in the provider's row,
// checked for every target before anything is stored or sent.
struct PostOption {
  enum class Type { text, boolean, number };
  std::string_view name;  // "subreddit"
  Type type = Type::text;
  bool required = false;
  std::string_view help;  // one line for --help and crier(1)
};
// Names of the capabilities that are set, e.g. {"images", "threads", ...}.
std::vector<std::string> capability_names(const Capabilities& c);

// What `crier accounts add NETWORK` gathered from the user.
// Sign-in in a browser (OAuth authorization code). The provider registers redirect_uri() with
// the network, sends the user to its authorization address carrying state(), and gets the code
// back from code_for(); the code arrives on a loopback redirect or is pasted by the user.
class BrowserSignIn {
 public:
  virtual ~BrowserSignIn() = default;
  virtual std::string redirect_uri() = 0;
  // For a network that only takes the redirect URI registered with it: listen on this port
  // (call before redirect_uri()).
  virtual void use_port(int port) { (void)port; }
  virtual std::string state() = 0;
  // Shows (and may open) the address; returns the code. Throws Error(auth) when the user
  // refused or the answer is not for this request, Error(transient) on timeout.
  virtual std::string code_for(const std::string& authorize_url) = 0;
};

struct ConnectRequest {
  std::string handle;
  std::string server;
  std::string secret;  // app password / token read from stdin or a command; may be empty
  // Which of several the user picked, where one sign-in reaches several (ProviderInfo::
  // connect_flags): a Facebook Page, an Instagram account linked to one. "" when not given.
  std::string page = "";
  std::string ig_user = "";
  // Browser sign-in; null when there is no one to sign in (no terminal, no browser).
  BrowserSignIn* sign_in = nullptr;
  // The same for a password: nothing is echoed.
  std::function<std::string(const std::string& prompt)> ask_secret = nullptr;
};

// What the provider reports back after connecting.
struct Connected {
  std::string handle;        // canonical handle on the network
  std::string server;
  std::string display_name;
  std::string secret;        // opaque to crier (JSON as the provider likes); stored in secrets
  std::string settings = "{}";
};

// An account with its credentials for one run. A provider that refreshes tokens calls
// save_secret with the new secret so the engine can store it.
struct Session {
  Account account;
  std::string secret;
  std::function<void(const std::string&)> save_secret = [](const std::string&) {};
};

struct OutgoingPart {
  std::string text;
  std::vector<MediaItem> media;
};

struct PublishedPart {
  std::string remote_id;
  std::string url;
};

struct PublishRequest {
  // Stable for the delivery across retries and processes: the network's own dedup, or the
  // provider's reconcile, keys on it.
  std::string idempotency_key;
  std::vector<OutgoingPart> parts;  // one for a single post; more for a thread, in order
  Timestamp created_at{};           // when the delivery was created; stable across retries
  std::string lang;                 // BCP 47 language of the text, "" when not given
  std::string visibility;           // public | unlisted | private | direct ("" = account default)
  std::string content_warning;      // shown before the text where the network has one
  bool link_card = true;            // build a preview of the first link where the network needs one
  std::string title;                // --title, for networks whose posts have one ("" when none)
  // --opt values this network declares (PostOption), checked: "true"/"false" for booleans.
  std::map<std::string, std::string> options;

  // For reconcile: what this delivery can have made, and nothing else.
  // When its first attempt began (our clock). A post created before that is another's...
  Timestamp attempt_started{};
  // ...but the network's clock is not ours: the earliest time one of its posts can carry is a
  // margin before that. A post in the margin is taken only when none after attempt_started is.
  Timestamp not_before{};
  // True when `remote_id` is already recorded as another delivery's post on this account.
  std::function<bool(const std::string& remote_id)> taken = nullptr;
  // For publish: the parts of a thread cut short that reconcile found on the network, in
  // order. The provider publishes only the rest, the first of them replying to the last of
  // these, and returns all parts. Empty: publish everything.
  std::vector<PublishedPart> already;

  // What an earlier attempt of this delivery made on the network on the way to the post (a
  // container not yet published, say): the provider's own JSON, "" when nothing. A provider
  // whose networks publish in steps calls save_progress as soon as each step exists - before
  // the next request - so a retry after a crash goes on from there instead of starting again.
  std::string progress;
  std::function<void(const std::string&)> save_progress = [](const std::string&) {};

  // Set when the network is to publish the post itself at this time (native_scheduling): the
  // provider hands it over scheduled, and its reconcile looks among the scheduled posts too.
  std::optional<Timestamp> schedule_at;
};


// The window in which a network takes a post to publish later (Provider::native_scheduling).
struct NativeScheduling {
  std::chrono::seconds max_lead{0};  // handed over at most this long before its time...
  std::chrono::seconds min_lead{0};  // ...and at least this long; closer, crier's queue sends it
};
// The --opt that asks for it, declared by each network that has it.
inline constexpr std::string_view k_native_schedule_option = "native_schedule";

struct PublishResult {
  std::vector<PublishedPart> parts;  // parts[0] is the root
};

enum class InboxStream { replies, mentions, dms };
std::string_view to_string(InboxStream s);

// An item as the network reports it; the engine turns it into an InboxItem.
struct RemoteItem {
  std::string kind;  // reply | comment | mention | quote | dm
  std::string remote_id;
  std::string thread_id;
  std::string parent_remote_id;
  std::string author;
  std::string author_name;
  std::string text;
  std::string url;
  Timestamp created_at{};
  std::string meta = "{}";  // what the provider needs to answer it later (JSON), kept in the store
};

struct InboxPage {
  std::vector<RemoteItem> items;
  std::string next_cursor;  // pass back to get what came after; "" keeps the old cursor
  bool more = false;        // another page is waiting now
};

struct PostStats {
  std::string remote_id;
  int64_t likes = 0, reposts = 0, replies = 0, quotes = 0;
  std::optional<int64_t> views;
  std::optional<double> upvote_ratio;  // share of votes that are up, 0..1, where a network has votes
};

struct AccountStats {
  int64_t followers = 0;
  std::optional<int64_t> following;
  std::optional<int64_t> posts;
  std::optional<int64_t> score;  // the network's own score of the account (Reddit's karma)
};

class Provider {
 public:
  virtual ~Provider() = default;

  virtual std::string_view name() const = 0;
  virtual Capabilities capabilities() const = 0;
  // Limits for this account (they may depend on its server).
  virtual TextRules text_rules(const Account& account) const = 0;

  // Checks the credentials with the network and returns what to store.
  virtual Connected connect(const ConnectRequest& request) = 0;
  // The stored-secret form of a bare token printed by the account's token_cmd. Throws
  // Error(unsupported) for a network that signs in otherwise.
  virtual std::string secret_from_token(const std::string& token) const;
  // Throws Error(auth) when the stored credentials no longer work.
  virtual void verify(Session& session) = 0;
  // When the stored token stops working (Meta's long-lived tokens last 60 days), for doctor and
  // warnings; nullopt when it does not expire or the network does not say.
  virtual std::optional<Timestamp> token_expires_at(const Session& session) const;
  // Where the network schedules posts itself and the user asked for it (--opt
  // native_schedule=true with --at): how long before its time a post may be handed over, at
  // most and at least. The engine then claims the delivery early and sets
  // PublishRequest::schedule_at. nullopt: the network has no scheduling of its own.
  virtual std::optional<NativeScheduling> native_scheduling() const;

  // Every part of the result has a remote id: a 2xx answer without one (not the documented
  // object) is Error(transient), since the post may exist - the engine then reconciles.
  virtual PublishResult publish(Session& session, const PublishRequest& request) = 0;
  // Looks on the network for what a publish of this request made, accepting only what this
  // delivery can have made: its idempotency key where the network keeps one, else a post
  // created at or after request.not_before with the request's own content (text, images, the
  // post it answers) that request.taken() does not claim for another delivery. Never a guess:
  // when in doubt, answer nullopt and let the network's idempotency key catch the resend.
  // nullopt when none of it is there (publish again); the parts found, in order, when some or
  // all are (fewer than requested: a thread cut short, finished by publish with `already`).
  virtual std::optional<PublishResult> reconcile(Session& session, const PublishRequest& request) = 0;

  // Items after `cursor` ("" for the first poll), oldest first.
  virtual InboxPage fetch_inbox(Session& session, InboxStream stream, const std::string& cursor);
  // Answers `to` (reply in its thread, or a DM in its conversation).
  virtual PublishedPart reply(Session& session, const RemoteItem& to, const std::string& text,
                              const std::string& idempotency_key);
  // The text reply() sends for `text` (Mastodon starts it with "@user "): what is counted.
  virtual std::string reply_text(const RemoteItem& to, const std::string& text) const;
  // Hides `item` (a comment or reply on one of our posts) from everyone but its author, or
  // shows it again.
  virtual void hide(Session& session, const RemoteItem& item, bool hidden);
  virtual std::vector<PostStats> post_metrics(Session& session,
                                              const std::vector<std::string>& remote_ids);
  virtual AccountStats account_metrics(Session& session);
};

// What a provider is built with.
class Pacer;
class MediaStores;

struct ProviderEnv {
  Transport& http;
  const Clock& clock;
  const Config& config;
  std::filesystem::path data_dir;  // crier's data dir; a provider may keep caches under it
  // Rate-limit pacing shared by every worker thread (so one account is paced the same whichever
  // thread sends for it); null: each provider paces on its own.
  Pacer* pacer = nullptr;
  // Where images go for networks that fetch them by URL ([media]); made on first use. Null: the
  // ProviderSet makes its own.
  MediaStores* media = nullptr;
};

// A provider describes itself: the core, the commands, the completions and the man pages read
// this row and name no network themselves.
struct ProviderInfo {
  std::string_view name;
  std::string_view summary;
  std::unique_ptr<Provider> (*make)(ProviderEnv& env);
  // Its settings in the config ("bluesky.chat_service"): read, checked, listed and documented
  // like crier's own (config get --all, crier-config(5)).
  std::span<const ConfigKey> config_keys = {};
  // What `accounts add` wants for it, shown when an account must be reconnected.
  std::string_view connect_hint = "";
  // The options its posts take with --opt.
  std::span<const PostOption> post_options = {};
  // The `accounts add` flags it takes beyond --handle and --server: "--page --ig-user".
  std::string_view connect_flags = "";
  // An external provider (crier-provider(7)) has no `make`: this is its executable.
  std::string_view path = "";
  std::string_view version = "";  // what it says of itself
};

// The table of built-in providers (providers/registry.cpp, not the core), in the order
// `crier providers list` shows them.
std::span<const ProviderInfo> provider_table();
// A built-in provider, else an external one (crier-provider-NAME, described on first use);
// nullptr when there is neither. Throws Error(config) for a plugin that cannot describe itself.
const ProviderInfo* find_provider(std::string_view name);
// Built-in and external providers alike, built-in first. A plugin that cannot describe itself
// is left out and its error added to `broken` (when given).
std::vector<const ProviderInfo*> every_provider(std::vector<std::string>* broken = nullptr);

// Instantiates providers on first use and keeps them for the run.
class ProviderSet {
 public:
  explicit ProviderSet(ProviderEnv env);
  ~ProviderSet();
  // Throws Error(invalid_input) naming the known networks when `name` is not one.
  Provider& get(std::string_view name);

 private:
  ProviderEnv m_env;
  std::unique_ptr<MediaStores> m_media;
  std::vector<std::pair<std::string, std::unique_ptr<Provider>>> m_providers;
};

}  // namespace crier
