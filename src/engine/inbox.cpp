#include "engine/inbox.hpp"

#include <nlohmann/json.hpp>

#include "engine/accounts.hpp"
#include "hash.hpp"
#include "log.hpp"
#include "store/store.hpp"
#include "text/text_rules.hpp"

namespace crier {
namespace {

bool has_stream(const Capabilities& c, InboxStream s) {
  switch (s) {
    case InboxStream::replies: return c.inbox_replies;
    case InboxStream::mentions: return c.inbox_mentions;
    case InboxStream::dms: return c.inbox_dms;
  }
  return false;
}

void poll_stream(Engine& engine, Provider& provider, Session& session, PollResult& r, int max_pages) {
  std::string stream(to_string(r.stream));
  std::string cursor = engine.store.cursor(r.account.id, stream).value_or("");
  for (int page_no = 0; page_no < max_pages; ++page_no) {
    InboxPage page = provider.fetch_inbox(session, r.stream, cursor);
    Timestamp now = engine.clock.now();
    for (const auto& item : page.items) {
      InboxItem i;
      i.account_id = r.account.id;
      i.kind = item.kind;
      i.remote_id = item.remote_id;
      i.thread_id = item.thread_id;
      i.parent_remote_id = item.parent_remote_id;
      if (!item.parent_remote_id.empty())
        i.delivery_id = engine.store.delivery_by_remote_id(r.account.id, item.parent_remote_id);
      i.author = item.author;
      i.author_name = item.author_name;
      i.text = item.text;
      i.url = item.url;
      i.created_at = item.created_at;
      i.fetched_at = now;
      i.meta = item.meta;
      ++r.fetched;
      if (engine.store.add_inbox_item(i)) {
        ++r.added;
        r.added_ids.push_back(i.id);
      }
    }
    // The cursor moves only after the page's items are stored: a crash re-reads, never skips.
    if (!page.next_cursor.empty() && page.next_cursor != cursor) {
      cursor = page.next_cursor;
      engine.store.set_cursor(r.account.id, stream, cursor, now);
    }
    if (!page.more) break;
  }
}

}  // namespace

std::vector<PollResult> poll_inbox(Engine& engine, const PollOptions& options) {
  std::vector<PollResult> results;
  for (const auto& account : engine.store.list_accounts()) {
    if (options.account_id && account.id != *options.account_id) continue;
    if (account.status != "active" && !options.account_id) continue;
    Provider& provider = engine.providers.get(account.network);
    auto caps = provider.capabilities();
    std::vector<InboxStream> streams = options.streams;
    if (streams.empty()) streams = {InboxStream::replies, InboxStream::mentions, InboxStream::dms};
    std::optional<Session> session;
    for (auto s : streams) {
      if (!has_stream(caps, s)) continue;
      PollResult r;
      r.account = account;
      r.stream = s;
      try {
        if (!session) session = open_session(engine, account);
        poll_stream(engine, provider, *session, r, options.max_pages);
      } catch (const Error& e) {
        r.error_kind = e.kind();
        r.error = e.what();
        spdlog::warn("poll {} {}: {}", account.name(), to_string(s), e.what());
        if (e.kind() == ErrorKind::auth) {
          engine.store.set_account_status(account.id, "auth_failed");
          results.push_back(r);
          break;
        }
      }
      results.push_back(r);
    }
  }
  return results;
}

RemoteItem remote_item(const InboxItem& i) {
  return {i.kind,        i.remote_id, i.thread_id, i.parent_remote_id, i.author,
          i.author_name, i.text,      i.url,       i.created_at,       i.meta};
}

InboxItem hide_item(Engine& engine, int64_t id, bool hidden) {
  auto item = engine.store.find_inbox_item(id);
  if (!item) throw Error(ErrorKind::not_found, "no inbox item " + std::to_string(id), "see: crier inbox list");
  auto account = engine.store.find_account(item->account_id);
  if (!account) throw Error(ErrorKind::not_found, "the account of inbox item " + std::to_string(id) + " is gone");
  Provider& provider = engine.providers.get(account->network);
  if (!provider.capabilities().hide)
    throw Error(ErrorKind::unsupported, account->network + " has no way to hide a comment through its API",
                "hide it on " + account->network + " itself: " + item->url);
  Session session = open_session(engine, *account);
  provider.hide(session, remote_item(*item), hidden);
  std::string status = hidden ? "ignored" : "read";
  engine.store.set_inbox_status(id, status);
  item->status = status;
  return *item;
}

ReplyOutcome reply_to_item(Engine& engine, int64_t id, const std::string& text, bool human_agent) {
  auto item = engine.store.find_inbox_item(id);
  if (!item)
    throw Error(ErrorKind::not_found, "no inbox item " + std::to_string(id), "see: crier inbox list");
  auto account = engine.store.find_account(item->account_id);
  if (!account) throw Error(ErrorKind::not_found, "the account of inbox item " + std::to_string(id) + " is gone");
  Provider& provider = engine.providers.get(account->network);
  auto caps = provider.capabilities();
  if (item->kind == "dm" ? !caps.send_dm : !caps.reply)
    throw Error(ErrorKind::unsupported, account->network + " cannot answer this " + item->kind + " through crier");
  std::string body = checked_text(text, "the reply");
  while (!body.empty() && body.back() == '\n') body.pop_back();
  if (body.find_first_not_of(" \t\n\r") == std::string::npos)
    throw Error(ErrorKind::invalid_input, "the reply is empty");
  RemoteItem to = remote_item(*item);
  // Counted as sent: with the "@user " a network puts before it.
  auto check = check_length(provider.reply_text(to, body), provider.text_rules(*account));
  if (!check.fits())
    throw Error(ErrorKind::invalid_input, "reply too long for " + account->name() + ": " + check.describe(),
                "shorten it");
  Session session = open_session(engine, *account);
  if (human_agent) {
    auto meta = nlohmann::json::parse(to.meta, nullptr, false);
    if (!meta.is_object()) meta = nlohmann::json::object();
    meta["human_agent"] = true;
    to.meta = meta.dump();
  }
  // The same answer to the same item is one reply, however often it is retried.
  std::string key = "crier-reply-" + std::to_string(id) + "-" + std::to_string(fnv1a(body) % 1000000007ull);
  ReplyOutcome out{*item, provider.reply(session, to, body, key)};
  if (out.sent.remote_id.empty())
    throw Error(ErrorKind::transient, account->network + " answered the reply without its id; whether it was sent is unknown",
                "send the same reply again: it carries the same idempotency key, so the network keeps one");
  engine.store.set_inbox_status(id, "replied", out.sent.remote_id, body);
  out.item.status = "replied";
  out.item.reply_remote_id = out.sent.remote_id;
  return out;
}

}  // namespace crier
