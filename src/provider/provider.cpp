#include "provider/provider.hpp"

#include "media/media_store.hpp"

#include "error.hpp"
#include "provider/external.hpp"

namespace crier {

std::vector<std::string> capability_names(const Capabilities& c) {
  std::vector<std::string> out;
  auto add = [&](bool on, const char* name) {
    if (on) out.emplace_back(name);
  };
  add(c.images, "images");
  add(c.threads, "threads");
  add(c.link_cards, "link_cards");
  add(c.inbox_replies, "inbox_replies");
  add(c.inbox_mentions, "inbox_mentions");
  add(c.inbox_dms, "inbox_dms");
  add(c.reply, "reply");
  add(c.send_dm, "send_dm");
  add(c.hide, "hide");
  add(c.post_metrics, "post_metrics");
  add(c.account_metrics, "account_metrics");
  add(c.native_idempotency, "native_idempotency");
  add(c.title, "title");
  return out;
}

std::string_view to_string(InboxStream s) {
  switch (s) {
    case InboxStream::replies: return "replies";
    case InboxStream::mentions: return "mentions";
    case InboxStream::dms: return "dms";
  }
  return "replies";
}

namespace {
Error unsupported(const Provider& p, const char* what) {
  return Error(ErrorKind::unsupported, std::string(p.name()) + " does not support " + what);
}
}  // namespace

std::string Provider::secret_from_token(const std::string&) const {
  throw Error(ErrorKind::unsupported, std::string(name()) + " does not take a token_cmd",
              "remove token_cmd from the account's table in the config");
}

InboxPage Provider::fetch_inbox(Session&, InboxStream s, const std::string&) {
  throw unsupported(*this, (std::string("reading ") + std::string(to_string(s))).c_str());
}
PublishedPart Provider::reply(Session&, const RemoteItem&, const std::string&, const std::string&) {
  throw unsupported(*this, "replies");
}
std::vector<PostStats> Provider::post_metrics(Session&, const std::vector<std::string>&) {
  throw unsupported(*this, "post metrics");
}
AccountStats Provider::account_metrics(Session&) { throw unsupported(*this, "account metrics"); }
std::string Provider::reply_text(const RemoteItem&, const std::string& text) const {
  return text;
}

void Provider::hide(Session&, const RemoteItem&, bool) { throw unsupported(*this, "hiding comments"); }

std::optional<Timestamp> Provider::token_expires_at(const Session&) const { return std::nullopt; }
std::optional<NativeScheduling> Provider::native_scheduling() const { return std::nullopt; }

ProviderSet::ProviderSet(ProviderEnv env) : m_env(env) {
  if (m_env.media == nullptr) {
    m_media = std::make_unique<MediaStores>(m_env.config, m_env.http, m_env.clock);
    m_env.media = m_media.get();
  }
}

ProviderSet::~ProviderSet() = default;

Provider& ProviderSet::get(std::string_view name) {
  for (auto& [n, p] : m_providers)
    if (n == name) return *p;
  const ProviderInfo* info = find_provider(name);
  if (info == nullptr) {
    std::string known;
    for (const auto* i : every_provider()) known += (known.empty() ? "" : ", ") + std::string(i->name);
    throw Error(ErrorKind::invalid_input, "unknown network '" + std::string(name) + "'",
                "known networks: " + known + " (crier providers list)");
  }
  m_providers.emplace_back(std::string(name),
                           info->make ? info->make(m_env) : make_external_provider(m_env, *info));
  return *m_providers.back().second;
}

}  // namespace crier
