#include "providers/sandbox/sandbox_provider.hpp"

#include <cstdlib>
#include <map>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "error.hpp"
#include "providers/sandbox/sandbox_network.hpp"

namespace crier {
namespace {

using nlohmann::json;

constexpr int k_page_size = 50;

// CRIER_SANDBOX_FAULT parsed once per provider.
std::map<std::string, std::string> parse_faults() {
  std::map<std::string, std::string> out;
  const char* env = std::getenv("CRIER_SANDBOX_FAULT");
  if (env == nullptr) return out;
  std::string s = env;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto eq = item.find('=');
    if (eq != std::string::npos) out[item.substr(0, eq)] = item.substr(eq + 1);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::string post_url(const std::string& handle, const std::string& id) {
  return "sandbox://" + handle + "/post/" + id;
}

class SandboxProvider final : public Provider {
 public:
  explicit SandboxProvider(ProviderEnv& env)
      : m_network(env.data_dir / "sandbox", env.clock,
                  static_cast<uint64_t>(env.config.get_int("sandbox.seed")),
                  env.config.get_int("sandbox.speed")),
        m_faults(parse_faults()) {}

  std::string_view name() const override { return "sandbox"; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.images = c.threads = true;
    c.inbox_replies = c.inbox_mentions = c.inbox_dms = true;
    c.reply = c.send_dm = true;
    c.post_metrics = c.account_metrics = true;
    c.native_idempotency = true;
    c.title = true;  // optional: the sandbox keeps one when given
    return c;
  }

  TextRules text_rules(const Account&) const override {
    TextRules r;
    r.max_length = 500;
    r.unit = "graphemes";
    r.max_images = 4;
    r.max_image_bytes = 5'000'000;
    return r;
  }

  Connected connect(const ConnectRequest& q) override {
    if (q.handle.empty())
      throw Error(ErrorKind::usage, "the sandbox needs a handle", "e.g. crier accounts add sandbox --handle me");
    for (char c : q.handle)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
        throw Error(ErrorKind::invalid_input,
                    "sandbox handles use letters, digits, '.', '-' and '_', not '" + q.handle + "'");
    Connected c;
    c.handle = q.handle;
    c.server = "local";
    c.display_name = q.handle;
    c.secret = json{{"token", m_network.register_account(q.handle)}}.dump();
    return c;
  }

  std::string secret_from_token(const std::string& token) const override { return json{{"token", token}}.dump(); }

  void verify(Session& s) override {
    fault("verify", s.account.handle);
    m_network.check_token(s.account.handle, token(s));
  }

  PublishResult publish(Session& s, const PublishRequest& q) override {
    verify(s);
    bool lose_answer = fault("publish", s.account.handle);
    PublishResult result;
    std::string parent;
    for (size_t i = 0; i < q.parts.size(); ++i) {
      sandbox::NetPost p;
      p.author = s.account.handle;
      p.text = q.parts[i].text;
      p.media = static_cast<int>(q.parts[i].media.size());
      p.reply_to = parent;
      p.idempotency_key = part_key(q.idempotency_key, i);
      if (i == 0) {
        p.title = q.title;
        p.options = q.options;
      }
      auto created = m_network.create_post(p);
      parent = created.id;
      result.parts.push_back({created.id, post_url(s.account.handle, created.id)});
    }
    if (lose_answer)
      throw Error(ErrorKind::transient, "sandbox: connection dropped before the answer arrived");
    return result;
  }

  std::optional<PublishResult> reconcile(Session& s, const PublishRequest& q) override {
    verify(s);
    PublishResult result;
    // Exact: the sandbox keeps each part's idempotency key.
    for (size_t i = 0; i < q.parts.size(); ++i) {
      auto p = m_network.find_by_key(s.account.handle, part_key(q.idempotency_key, i));
      if (!p) break;  // a thread cut short is finished by publishing again: each part's key dedups
      result.parts.push_back({p->id, post_url(s.account.handle, p->id)});
    }
    if (result.parts.empty()) return std::nullopt;
    return result;
  }

  InboxPage fetch_inbox(Session& s, InboxStream stream, const std::string& cursor) override {
    verify(s);
    fault("inbox", s.account.handle);
    std::string want = stream == InboxStream::dms ? "dm"
                       : stream == InboxStream::mentions ? "mention" : "reply";
    // The cursor is "<unix time>:<id>" of the last item seen; events are ordered by both.
    long long c_time = -1;
    std::string c_id;
    if (auto colon = cursor.find(':'); colon != std::string::npos) {
      c_time = std::stoll(cursor.substr(0, colon));
      c_id = cursor.substr(colon + 1);
    }
    InboxPage page;
    for (const auto& e : m_network.events(s.account.handle)) {
      if (e.kind != want) continue;
      long long t = to_unix(e.at);
      if (t < c_time || (t == c_time && e.id <= c_id)) continue;
      if (static_cast<int>(page.items.size()) == k_page_size) {
        page.more = true;
        break;
      }
      page.items.push_back({e.kind, e.id, e.thread_id, e.parent_id, e.author, e.author_name,
                            e.text, post_url(e.author, e.id), e.at});
      page.next_cursor = std::to_string(t) + ":" + e.id;
    }
    return page;
  }

  PublishedPart reply(Session& s, const RemoteItem& to, const std::string& text,
                      const std::string& key) override {
    verify(s);
    bool lose_answer = fault("reply", s.account.handle);
    sandbox::NetPost p;
    p.author = s.account.handle;
    p.text = text;
    p.idempotency_key = key;
    if (to.kind == "dm")
      p.conversation = to.thread_id.empty() ? "sbx-conv-" + to.author : to.thread_id;
    else
      p.reply_to = to.remote_id;
    auto created = m_network.create_post(p);
    if (lose_answer) throw Error(ErrorKind::transient, "sandbox: connection dropped");
    return {created.id, post_url(s.account.handle, created.id)};
  }

  std::vector<PostStats> post_metrics(Session& s, const std::vector<std::string>& ids) override {
    verify(s);
    fault("metrics", s.account.handle);
    std::vector<PostStats> out;
    for (const auto& id : ids) {
      auto st = m_network.stats(id);
      out.push_back({id, st.likes, st.reposts, st.replies, st.quotes, st.views, std::nullopt});
    }
    return out;
  }

  AccountStats account_metrics(Session& s) override {
    verify(s);
    fault("metrics", s.account.handle);
    AccountStats a;
    a.followers = m_network.followers(s.account.handle);
    a.following = 80;
    a.posts = m_network.post_count(s.account.handle);
    return a;
  }

 private:
  static std::string token(const Session& s) {
    auto j = json::parse(s.secret, nullptr, false);
    if (!j.is_object() || !j.contains("token"))
      throw Error(ErrorKind::auth, "no sandbox token stored for '" + s.account.handle + "'",
                  "reconnect: crier accounts add sandbox --handle " + s.account.handle);
    return j["token"];
  }

  static std::string part_key(const std::string& key, size_t i) {
    return i == 0 ? key : key + "#" + std::to_string(i);
  }

  // Throws the injected error for `op` ("op" or "op@handle"); returns true when the answer
  // should be lost instead.
  bool fault(const std::string& op, const std::string& handle = {}) {
    auto it = m_faults.find(op + "@" + handle);
    if (it == m_faults.end()) it = m_faults.find(op);
    if (it == m_faults.end()) return false;
    if (it->second == "lost_response") return true;
    auto kind = error_kind_from_string(it->second).value_or(ErrorKind::transient);
    Error e(kind, "sandbox: injected " + it->second + " failure for " + op);
    if (kind == ErrorKind::rate_limited) e.with_retry_after(std::chrono::seconds{120});
    throw e;
  }

  sandbox::Network m_network;
  std::map<std::string, std::string> m_faults;
};

}  // namespace

std::unique_ptr<Provider> make_sandbox_provider(ProviderEnv& env) {
  return std::make_unique<SandboxProvider>(env);
}

}  // namespace crier
