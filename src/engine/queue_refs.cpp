#include "engine/queue_refs.hpp"

#include <algorithm>

#include "engine/accounts.hpp"
#include "error.hpp"
#include "output/table.hpp"
#include "store/store.hpp"

namespace crier {
namespace {

const char* k_forms = "a post: 10, one account of it: 10@ALIAS, a recurring schedule: s3 (see: crier queue)";

std::optional<int64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  return std::stoll(std::string(s));
}

}  // namespace

QueueRef parse_queue_ref(std::string_view text) {
  QueueRef r;
  r.text = std::string(text);
  std::string_view t = text;
  if (!t.empty() && (t[0] == 's' || t[0] == 'S' || t[0] == 'd' || t[0] == 'D')) {
    if (auto n = number(t.substr(1))) {
      r.kind = (t[0] == 's' || t[0] == 'S') ? QueueRef::Kind::schedule : QueueRef::Kind::delivery;
      r.id = *n;
      return r;
    }
  }
  if (!t.empty() && t[0] == '#') t.remove_prefix(1);  // "#10" as a post
  auto at = t.find('@');
  if (auto n = number(t.substr(0, at))) {
    r.id = *n;
    if (at != std::string_view::npos) {
      r.account = std::string(t.substr(at + 1));
      if (r.account.empty()) throw Error(ErrorKind::usage, "'" + r.text + "' names no account after '@'", k_forms);
    }
    return r;
  }
  throw Error(ErrorKind::usage, "'" + r.text + "' is not something in the queue", k_forms);
}

std::vector<Delivery> resolve_queue_ref(Store& store, const QueueRef& ref) {
  std::vector<Delivery> out;
  if (ref.kind == QueueRef::Kind::delivery) {
    if (auto d = store.find_delivery(ref.id)) out.push_back(*d);
    if (out.empty()) throw Error(ErrorKind::not_found, "no delivery " + ref.text, "see: crier queue --all");
    return out;
  }
  DeliveryFilter f;
  if (ref.kind == QueueRef::Kind::schedule) {
    if (!store.find_schedule(ref.id)) throw Error(ErrorKind::not_found, "no schedule " + ref.text, "see: crier queue");
    f.schedule_id = ref.id;
    return store.list_deliveries(f);
  }
  f.post_id = ref.id;
  out = store.list_deliveries(f);
  if (out.empty()) throw Error(ErrorKind::not_found, "no post " + std::to_string(ref.id) + " in the queue",
                               "see: crier queue --all");
  if (!ref.account.empty()) {
    Account a = resolve_account(store, ref.account);
    out.erase(std::remove_if(out.begin(), out.end(), [&](const Delivery& d) { return d.account_id != a.id; }),
              out.end());
    if (out.empty())
      throw Error(ErrorKind::not_found, "post " + std::to_string(ref.id) + " does not go to " + account_label(a),
                  "see: crier queue show " + std::to_string(ref.id));
  }
  return out;
}

std::string account_label(const Account& a) { return a.alias.empty() ? a.name() : a.alias; }

std::string short_label(Store& store, const Account& a) {
  if (!a.alias.empty()) return a.alias;
  int same = 0;
  for (const auto& other : store.list_accounts()) same += other.handle == a.handle;
  return same == 1 ? a.handle : a.name();
}

std::string ref_for(Store& store, const Delivery& d) {
  DeliveryFilter f;
  f.post_id = d.post_id;
  if (store.list_deliveries(f).size() <= 1) return std::to_string(d.post_id);
  auto a = store.find_account(d.account_id);
  return std::to_string(d.post_id) + "@" + (a ? short_label(store, *a) : "?");
}

std::string quoted_excerpt(const std::string& text, size_t width) {
  std::string first = text.substr(0, text.find('\n'));
  std::string cut = truncate_display(first, width);
  if (first.size() < text.size() && cut.size() == first.size()) cut += "…";  // more lines follow
  return "\"" + cut + "\"";
}

}  // namespace crier
