#include "engine/analytics.hpp"

#include <map>

#include "engine/accounts.hpp"
#include "error.hpp"
#include "provider/provider.hpp"
#include "store/store.hpp"

namespace crier {

RefreshResult refresh_metrics(Engine& engine, Timestamp since, const std::function<void(const std::string&)>& progress) {
  RefreshResult result;
  DeliveryFilter f;
  f.statuses = {DeliveryStatus::published};
  f.published_since = since;
  std::map<int64_t, std::vector<Delivery>> by_account;
  Timestamp now = engine.clock.now();
  for (auto& d : engine.store.list_deliveries(f))
    if (!d.published_at || *d.published_at <= now)  // handed to a network's scheduling: not live yet
      by_account[d.account_id].push_back(d);

  for (const auto& account : engine.store.list_accounts()) {
    if (account.status != "active") continue;
    try {
      Provider& provider = engine.providers.get(account.network);
      auto caps = provider.capabilities();
      Session session = open_session(engine, account);
      const auto& deliveries = by_account[account.id];
      if (caps.post_metrics) {
        for (size_t i = 0; i < deliveries.size(); i += 25) {
          if (progress)
            progress("metrics of " + account.name() + ": " + std::to_string(i) + "/" + std::to_string(deliveries.size()) +
                     " posts");
          std::vector<std::string> ids;
          std::map<std::string, int64_t> delivery_of;
          for (size_t j = i; j < std::min(i + 25, deliveries.size()); ++j) {
            ids.push_back(deliveries[j].remote_id);
            delivery_of[deliveries[j].remote_id] = deliveries[j].id;
          }
          std::vector<MetricSnapshot> snaps;
          for (const auto& st : provider.post_metrics(session, ids)) {
            auto it = delivery_of.find(st.remote_id);
            if (it == delivery_of.end()) continue;
            snaps.push_back({it->second, engine.clock.now(), st.likes, st.reposts, st.replies, st.quotes,
                             st.views, st.upvote_ratio});
          }
          engine.store.add_metrics(snaps);
          result.posts += static_cast<int>(snaps.size());
        }
      }
      if (caps.account_metrics) {
        if (progress) progress("followers of " + account.name());
        AccountStats st = provider.account_metrics(session);
        engine.store.add_account_metric(
            {account.id, engine.clock.now(), st.followers, st.following, st.posts, st.score});
        ++result.accounts;
      }
    } catch (const Error& e) {
      result.errors.push_back(account.name() + ": " + e.what());
      if (e.kind() == ErrorKind::auth) engine.store.set_account_status(account.id, "auth_failed");
    }
  }
  return result;
}

std::vector<AccountSummary> summarize(Engine& engine, Timestamp since) {
  std::map<int64_t, AccountSummary> by_id;
  for (const auto& a : engine.store.list_accounts()) by_id[a.id].account = a;
  DeliveryFilter f;
  f.statuses = {DeliveryStatus::published};
  f.published_since = since;
  std::map<int64_t, int64_t> account_of;
  for (const auto& d : engine.store.list_deliveries(f)) {
    account_of[d.id] = d.account_id;
    by_id[d.account_id].posts++;
  }
  for (const auto& m : engine.store.latest_metrics(since)) {
    auto it = account_of.find(m.delivery_id);
    if (it == account_of.end()) continue;
    auto& s = by_id[it->second];
    s.likes += m.likes;
    s.reposts += m.reposts;
    s.replies += m.replies;
    s.quotes += m.quotes;
    if (m.views) s.views = s.views.value_or(0) + *m.views;
  }
  std::vector<AccountSummary> out;
  for (auto& [id, s] : by_id) {
    auto series = engine.store.account_metrics(id, since);
    if (!series.empty()) {
      s.followers = series.back().followers;
      s.followers_change = series.back().followers - series.front().followers;
      s.score = series.back().score;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace crier
