#include "providers/meta/graph.hpp"

#include <algorithm>
#include <set>
#include <thread>

#include "error.hpp"
#include "log.hpp"
#include "provider/json_read.hpp"
#include "config/config.hpp"
#include "process.hpp"
#include "redact.hpp"
#include "text/text_rules.hpp"

namespace crier::meta {

using json_read::at;
using json_read::count;
using json_read::list;
using json_read::str;
using namespace std::chrono;

namespace {

bool is_rate_limit(int64_t code) {
  return code == 4 || code == 17 || code == 32 || code == 613 || (code >= 80001 && code <= 80014);
}

bool is_permission(int64_t code) { return code == 10 || (code >= 200 && code <= 299); }

}  // namespace

HttpResponse Graph::send(HttpRequest q, const std::string& token, std::string_view what) {
  remember_secret(token);
  if (!token.empty()) q.headers.emplace_back("Authorization", "Bearer " + token);
  return m_rest.send_any(q, what);
}

json Graph::get(const std::string& url, const std::string& token, std::string_view what) {
  HttpResponse r = send(HttpRequest{"GET", url, {}, ""}, token, what);
  if (r.status < 200 || r.status >= 300) fail(r, what);
  return RestClient::json_of(r, what);
}

json Graph::post(const std::string& url, const FormFields& form, const std::string& token, std::string_view what) {
  HttpResponse r = send(
      HttpRequest{"POST", url, {{"Content-Type", "application/x-www-form-urlencoded"}}, form_encode(form)}, token,
      what);
  if (r.status < 200 || r.status >= 300) fail(r, what);
  return RestClient::json_of(r, what);
}

void Graph::fail(const HttpResponse& r, std::string_view what) const {
  json body = json::parse(r.body, nullptr, false);
  const json& e = at(body, "error");
  if (!e.is_object()) throw_for_status(r, what, clock().now());  // not Graph's error object
  int64_t code = count(e, "code"), sub = count(e, "error_subcode");
  std::string message = str(e, "error_user_msg").empty() ? str(e, "message") : str(e, "error_user_msg");
  if (message.empty()) message = "HTTP " + std::to_string(r.status);
  std::string text = std::string(what) + ": " + message + " (code " + std::to_string(code) +
                     (sub ? ", subcode " + std::to_string(sub) : "") + ")";
  std::string tag = std::to_string(code) + (sub ? "/" + std::to_string(sub) : "");
  if (code == 190 || code == 102 || r.status == 401)
    throw Error(ErrorKind::auth, text, "the token expired or was revoked: crier accounts add " + m_network + " again")
        .with_code(tag);
  if (is_permission(code))
    throw Error(ErrorKind::auth, text,
                "the token lacks a permission this needs: sign in again granting it (crier accounts add " +
                    m_network + ")")
        .with_code(tag);
  if (is_rate_limit(code) || r.status == 429) {
    auto wait = rate_limit_wait(r, clock().now()).value_or(minutes{15});
    throw Error(ErrorKind::rate_limited, text).with_code(tag).with_retry_after(wait);
  }
  // The image could not be fetched from its URL (Instagram 9004 / 2207052, Threads alike).
  if (code == 9004 || sub == 2207052 || sub == 2207003 || sub == 2207020)
    throw Error(ErrorKind::invalid_input, text,
                "the network could not fetch the image from the media store's URL: is it public? (crier doctor)")
        .with_code(tag);
  // Not ready yet (Instagram: "Media ID is not available", 9007 / 2207027).
  if (code == 9007 || sub == 2207027) throw Error(ErrorKind::transient, text).with_code(tag);
  if (code == 1 || code == 2 || r.status >= 500 || at(e, "is_transient") == true)
    throw Error(ErrorKind::transient, text).with_code(tag);
  if (code == 100 && sub == 33) throw Error(ErrorKind::not_found, text).with_code(tag);
  if (r.status == 404) throw Error(ErrorKind::not_found, text).with_code(tag);
  throw Error(ErrorKind::permanent, text).with_code(tag);
}

std::vector<ContainerState> read_progress(const std::string& progress) {
  std::vector<ContainerState> out;
  json j = json::parse(progress, nullptr, false);
  for (const auto& p : list(j, "parts")) {
    ContainerState s;
    for (const auto& c : list(p, "children"))
      if (c.is_string()) s.children.push_back(c.get<std::string>());
    s.container = str(p, "container");
    s.media = str(p, "media");
    s.url = str(p, "url");
    out.push_back(std::move(s));
  }
  return out;
}

std::string write_progress(const std::vector<ContainerState>& parts) {
  json all = json::array();
  for (const auto& s : parts)
    all.push_back({{"children", s.children}, {"container", s.container}, {"media", s.media}, {"url", s.url}});
  return json{{"parts", all}}.dump();
}

std::string wait_until_ready(const std::function<std::pair<std::string, std::string>()>& status_of,
                             milliseconds max_wait, const std::string& what) {
  auto deadline = steady_clock::now() + max_wait;
  milliseconds pause{250};
  for (;;) {
    auto [status, reason] = status_of();
    if (status == "FINISHED" || status == "PUBLISHED" || status == "EXPIRED") return status;
    if (status == "ERROR")
      throw Error(ErrorKind::invalid_input,
                  what + ": the network could not make the post" + (reason.empty() ? "" : ": " + reason),
                  "check the images (type, size, aspect ratio) and that their URLs are public");
    if (status != "IN_PROGRESS" && !status.empty())
      spdlog::debug("{}: unknown container status {}", what, status);
    if (steady_clock::now() + pause > deadline)
      throw Error(ErrorKind::transient, what + ": the network is still processing the post (" +
                                            (status.empty() ? "no status" : status) + ")",
                  "crier publishes it on the next run, without making it again");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds{5000});
  }
}

PublishedPart publish_container(const ContainerApi& api, ContainerState& st,
                                const std::function<ContainerPlan()>& plan, const std::function<void()>& save) {
  auto ready = [&](const std::string& id) {
    return wait_until_ready([&] { return api.status(id); }, api.max_wait, api.network);
  };
  if (!st.media.empty()) return {st.media, st.url.empty() ? api.permalink(st.media) : st.url};
  if (!st.container.empty()) {
    std::string status = ready(st.container);
    if (status == "PUBLISHED") {  // published by an attempt that never heard the answer
      auto post = api.find_published();
      if (!post)
        throw Error(ErrorKind::transient, api.network + ": the container was published but the post is not listed yet",
                    "crier looks again on the next run");
      st.media = post->remote_id;
      st.url = post->url;
      save();
      return *post;
    }
    if (status == "EXPIRED") {
      spdlog::info("{}: container {} expired unpublished; making a new one", api.network, st.container);
      st = ContainerState{};
      save();
    }
  }
  if (st.container.empty()) {
    ContainerPlan p = plan();
    if (!p.items.empty()) {
      for (size_t k = st.children.size(); k < p.items.size(); ++k) {
        std::string id = api.create(p.items[k], api.network + " carousel item");
        if (id.empty()) throw Error(ErrorKind::transient, api.network + ": a carousel item has no id");
        st.children.push_back(id);
        save();
      }
      for (const auto& c : st.children) ready(c);
      std::string ids;
      for (const auto& c : st.children) ids += (ids.empty() ? "" : ",") + c;
      p.post.emplace_back("children", ids);
    }
    std::string id = api.create(p.post, api.network + " container");
    if (id.empty()) throw Error(ErrorKind::transient, api.network + ": the container has no id");
    st.container = id;
    save();
  }
  ready(st.container);
  std::string id = api.publish(st.container);
  if (id.empty())
    throw Error(ErrorKind::transient,
                api.network + " publish: the answer names no post; whether it was made is unknown");
  st.media = id;
  save();
  st.url = api.permalink(id);
  save();
  return {id, st.url};
}

InboxPage page_after(std::vector<RemoteItem> items, const std::string& cursor) {
  long long after = cursor.empty() ? 0 : std::atoll(cursor.c_str());
  std::set<std::string> seen_at_after;
  if (auto colon = cursor.find(':'); colon != std::string::npos) {
    std::string ids = cursor.substr(colon + 1);
    for (size_t a = 0; a <= ids.size();) {
      size_t b = ids.find(',', a);
      if (b == std::string::npos) b = ids.size();
      if (b > a) seen_at_after.insert(ids.substr(a, b - a));
      a = b + 1;
    }
  }
  std::sort(items.begin(), items.end(), [](const RemoteItem& a, const RemoteItem& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.remote_id < b.remote_id;
  });
  InboxPage page;
  long long newest = after;
  std::set<std::string> at_newest = seen_at_after;
  for (auto& item : items) {
    long long t = to_unix(item.created_at);
    if (t < after || (t == after && seen_at_after.count(item.remote_id))) continue;  // seen before
    if (page.items.size() > 0 && page.items.back().remote_id == item.remote_id) continue;  // listed twice
    if (t > newest) {
      newest = t;
      at_newest.clear();
    }
    at_newest.insert(item.remote_id);
    page.items.push_back(std::move(item));
  }
  if (!page.items.empty()) {
    std::string ids;
    for (const auto& id : at_newest) ids += (ids.empty() ? "" : ",") + id;
    page.next_cursor = std::to_string(newest) + ":" + ids;
  }
  return page;
}

PublishedPart send_message(Graph& graph, const std::string& url, const std::string& token, const RemoteItem& to,
                           const std::string& text, Timestamp now) {
  json meta = json::parse(to.meta, nullptr, false);
  std::string recipient = str(meta, "sender_id");
  const std::string& network = graph.network();
  if (recipient.empty()) throw Error(ErrorKind::permanent, network + ": this message has no sender to answer");
  auto age = now - to.created_at;
  bool human = at(meta, "human_agent") == true;
  json body = {{"recipient", {{"id", recipient}}}, {"message", {{"text", text}}}};
  if (age > hours{24}) {
    if (!human || age > hours{24 * 7})
      throw Error(ErrorKind::invalid_input,
                  to.author_name + " wrote " + std::to_string(duration_cast<hours>(age).count()) + " hours ago: " +
                      network + " lets a business answer within 24 hours" +
                      (human ? " (7 days for a person, with the HUMAN_AGENT tag)" : ""),
                  human ? "the 7 days are over too: wait for them to write again"
                        : "a person answering within 7 days: crier inbox reply --human-agent ID TEXT");
    body["messaging_type"] = "MESSAGE_TAG";
    body["tag"] = "HUMAN_AGENT";
  } else {
    body["messaging_type"] = "RESPONSE";
  }
  std::string what = network + " message";
  HttpResponse r = graph.send(HttpRequest{"POST", url, {{"Content-Type", "application/json"}}, body.dump()}, token, what);
  if (r.status < 200 || r.status >= 300) graph.fail(r, what);
  json sent = RestClient::json_of(r, what);
  std::string id = str(sent, "message_id");
  if (id.empty()) throw Error(ErrorKind::transient, what + ": the answer names no message");
  return {id, to.url};
}

std::optional<MetaApp> meta_app(const Config& config, const std::string& network) {
  MetaApp app;
  app.id = config.get(network + ".app_id");
  if (app.id.empty()) return std::nullopt;
  std::string cmd = config.get(network + ".app_secret_cmd");
  if (cmd.empty())
    throw Error(ErrorKind::config, network + ".app_id is set but " + network + ".app_secret_cmd is not",
                "crier config set " + network + ".app_secret_cmd 'pass show meta/app-secret' (a command that prints "
                "your app's secret)");
  app.secret = secret_from_command(network + ".app_secret_cmd", cmd, seconds{config.get_int("general.command_timeout_seconds")});
  app.redirect_port = static_cast<int>(config.get_int(network + ".redirect_port"));
  return app;
}

namespace {

std::string code_from(const MetaApp& app, BrowserSignIn& b, const std::string& authorize, const std::string& scopes,
                      std::string& redirect) {
  b.use_port(app.redirect_port);
  redirect = b.redirect_uri();
  if (redirect.rfind("http://127.0.0.1:", 0) != 0 && redirect.rfind("http://localhost:", 0) != 0)
    throw Error(ErrorKind::usage, "Meta takes only the redirect URI registered with the app",
                "drop --paste-code: crier listens on it, and you can still paste the address the browser ends on");
  std::string url = authorize + "?" +
                    form_encode({{"client_id", app.id},
                                 {"redirect_uri", redirect},
                                 {"state", b.state()},
                                 {"scope", scopes},
                                 {"response_type", "code"}});
  std::string code = trim_whitespace(b.code_for(url));
  if (code.empty()) throw Error(ErrorKind::auth, "no authorization code given");
  // Meta may add "#_" to the code in the redirect.
  if (code.size() > 2 && code.compare(code.size() - 2, 2, "#_") == 0) code.resize(code.size() - 2);
  return code;
}

json token_answer(Graph& graph, HttpRequest q, const std::string& what) {
  HttpResponse r = graph.send(std::move(q), "", what);
  if (r.status < 200 || r.status >= 300) {
    try {
      graph.fail(r, what);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::permanent || e.kind() == ErrorKind::not_found)
        throw Error(ErrorKind::auth, e.what(), "sign in again: crier accounts add " + graph.network());
      throw;
    }
  }
  json t = RestClient::json_of(r, what);
  if (str(t, "access_token").empty()) throw Error(ErrorKind::auth, what + ": the answer holds no token");
  remember_secret(str(t, "access_token"));
  return t;
}

}  // namespace

SignedIn facebook_login(Graph& graph, const std::string& server, const MetaApp& app, BrowserSignIn& b,
                        const std::string& scopes) {
  remember_secret(app.secret);
  std::string dialog = server.empty() ? "https://www.facebook.com/v21.0/dialog/oauth" : server + "/v21.0/dialog/oauth";
  std::string api = (server.empty() ? std::string("https://graph.facebook.com") : server) + "/v21.0/oauth/access_token";
  std::string redirect;
  std::string code = code_from(app, b, dialog, scopes, redirect);
  json short_lived = token_answer(
      graph,
      HttpRequest{"GET",
                  api + "?" + form_encode({{"client_id", app.id}, {"redirect_uri", redirect},
                                           {"client_secret", app.secret}, {"code", code}}),
                  {}, ""},
      graph.network() + " sign-in");
  json long_lived = token_answer(
      graph,
      HttpRequest{"GET",
                  api + "?" + form_encode({{"grant_type", "fb_exchange_token"}, {"client_id", app.id},
                                           {"client_secret", app.secret},
                                           {"fb_exchange_token", str(short_lived, "access_token")}}),
                  {}, ""},
      graph.network() + " long-lived token");
  return {str(long_lived, "access_token"), count(long_lived, "expires_in")};
}

SignedIn threads_login(Graph& graph, const std::string& server, const MetaApp& app, BrowserSignIn& b,
                       const std::string& scopes) {
  remember_secret(app.secret);
  std::string authorize = server.empty() ? "https://threads.net/oauth/authorize" : server + "/oauth/authorize";
  std::string api = server.empty() ? "https://graph.threads.net" : server;
  std::string redirect;
  std::string code = code_from(app, b, authorize, scopes, redirect);
  json short_lived = token_answer(graph,
                                  HttpRequest{"POST",
                                              api + "/oauth/access_token",
                                              {{"Content-Type", "application/x-www-form-urlencoded"}},
                                              form_encode({{"client_id", app.id},
                                                           {"client_secret", app.secret},
                                                           {"grant_type", "authorization_code"},
                                                           {"redirect_uri", redirect},
                                                           {"code", code}})},
                                  "threads sign-in");
  json long_lived = token_answer(
      graph,
      HttpRequest{"GET",
                  api + "/access_token?" + form_encode({{"grant_type", "th_exchange_token"},
                                                        {"client_secret", app.secret},
                                                        {"access_token", str(short_lived, "access_token")}}),
                  {}, ""},
      "threads long-lived token");
  return {str(long_lived, "access_token"), count(long_lived, "expires_in")};
}

Timestamp parse_graph_time(const std::string& s) {
  // "2024-01-01T18:20:00+0000": ISO 8601 with an offset lacking its colon.
  std::string t = s;
  if (t.size() >= 5 && (t[t.size() - 5] == '+' || t[t.size() - 5] == '-') && t.find(':', t.size() - 5) == std::string::npos)
    t.insert(t.size() - 2, ":");
  return parse_iso8601(t).value_or(Timestamp{});
}

std::optional<Timestamp> oldest_in(const json& listing, const std::string& key) {
  std::optional<Timestamp> oldest;
  for (const auto& p : list(listing, "data")) {
    Timestamp t = parse_graph_time(str(p, key));
    if (t == Timestamp{}) continue;
    if (!oldest || t < *oldest) oldest = t;
  }
  return oldest;
}

void check_quota(const json& answer, const std::string& usage_key, const std::string& config_key,
                 const std::string& what, Timestamp now,
                 const std::function<std::optional<Timestamp>(Timestamp start)>& oldest_since) {
  const json& data = list(answer, "data");
  const json& row = data.empty() ? answer : data[0];
  const json& config = at(row, config_key);
  if (!config.is_object() || !at(row, usage_key).is_number()) return;  // not said: let the network decide
  int64_t used = count(row, usage_key), total = count(config, "quota_total");
  int64_t window = count(config, "quota_duration");
  if (total <= 0 || used < total) return;
  seconds span{window > 0 ? window : 86400};
  seconds wait = hours{1};
  std::string until;
  if (oldest_since) {
    std::optional<Timestamp> oldest;
    try {
      oldest = oldest_since(now - span);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::auth) throw;
    }
    if (oldest && *oldest + span > now) {
      wait = std::max<seconds>(seconds{60}, duration_cast<seconds>(*oldest + span - now) + seconds{30});
      until = "; room again at " + format_utc(now + wait);
    }
  }
  throw Error(ErrorKind::rate_limited,
              what + ": " + std::to_string(used) + " of " + std::to_string(total) + " posts in " +
                  std::to_string(span.count() / 3600) + " h are used" + until)
      .with_code("quota")
      .with_retry_after(wait);
}

}  // namespace crier::meta
