#include "engine/drafter.hpp"

#include <algorithm>

#include "engine/model_call.hpp"
#include "error.hpp"
#include "http/transport.hpp"
#include "llm/templates.hpp"
#include "llm/variant_stream.hpp"
#include "log.hpp"
#include "store/store.hpp"
#include "text/html_text.hpp"

namespace crier {
namespace {

using nlohmann::json;

ChatResult call(Engine& engine, LlmBackend& llm, const std::string& purpose, const ChatRequest& q) {
  return call_model(engine, llm, purpose, q);
}

std::optional<json> json_in(const std::string& text) {
  return json_object_in(text);
}

void add_usage(Draft& d, const ChatResult& r) {
  ++d.calls;
  d.latency_ms += r.latency_ms;
  if (r.prompt_tokens) d.prompt_tokens = d.prompt_tokens.value_or(0) + *r.prompt_tokens;
  if (r.completion_tokens) d.completion_tokens = d.completion_tokens.value_or(0) + *r.completion_tokens;
  d.model = r.model;
}

std::vector<std::vector<std::string>> read_variants(const std::string& text, bool thread) {
  auto j = json_in(text);
  std::vector<std::vector<std::string>> out;
  if (j && j->contains("variants") && (*j)["variants"].is_array()) {
    for (const auto& v : (*j)["variants"]) {
      std::vector<std::string> parts;
      if (v.is_string()) parts.push_back(trim_whitespace(v.get<std::string>()));
      if (v.is_array())
        for (const auto& p : v)
          if (p.is_string()) parts.push_back(trim_whitespace(p.get<std::string>()));
      parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
      if (!parts.empty()) out.push_back(parts);
    }
  } else if (!thread && !trim_whitespace(text).empty() && text.find('{') == std::string::npos) {
    out.push_back({trim_whitespace(text)});  // plain text from a server without a JSON mode
  }
  return out;
}

// The worst misfit of `part` among the targets, if any: (target, check).
std::optional<std::pair<const DraftTarget*, LengthCheck>> worst_misfit(const std::string& part,
                                                                      const std::vector<DraftTarget>& targets) {
  std::optional<std::pair<const DraftTarget*, LengthCheck>> worst;
  double worst_ratio = 1.0;
  for (const auto& t : targets) {
    LengthCheck c = check_length(part, t.rules);
    if (c.fits()) continue;
    double ratio = std::max(static_cast<double>(c.length) / static_cast<double>(std::max<size_t>(c.limit, 1)),
                            c.byte_limit ? static_cast<double>(c.bytes) / static_cast<double>(c.byte_limit) : 0.0);
    if (!worst || ratio > worst_ratio) {
      worst = std::make_pair(&t, c);
      worst_ratio = ratio;
    }
  }
  return worst;
}

}  // namespace

void count_variant(DraftVariant& v, const std::vector<DraftTarget>& targets) {
  v.counts = json::array();
  v.fits = true;
  for (size_t i = 0; i < v.parts.size(); ++i)
    for (const auto& t : targets) {
      LengthCheck c = check_length(v.parts[i], t.rules);
      v.fits = v.fits && c.fits();
      v.counts.push_back({{"network", t.network}, {"part", i + 1}, {"length", c.length}, {"limit", c.limit},
                          {"unit", c.unit}, {"bytes", c.bytes}, {"fits", c.fits()}});
    }
}

std::vector<DraftVariant> stored_variants(const Draft& d) {
  std::vector<DraftVariant> out;
  auto all = json::parse(d.variants, nullptr, false);
  if (all.is_array())
    for (const auto& v : all) {
      DraftVariant dv;
      for (const auto& p : v.value("parts", json::array()))
        if (p.is_string()) dv.parts.push_back(p);
      dv.fits = v.value("fits", true);
      dv.shortened = v.value("shortened", 0);
      dv.counts = v.value("counts", json::array());
      if (!dv.parts.empty()) out.push_back(dv);
    }
  if (out.empty()) {  // a draft from before variants were kept
    DraftVariant dv;
    dv.parts = d.parts.empty() ? std::vector<std::string>{d.text} : d.parts;
    out.push_back(dv);
  }
  return out;
}

std::string variants_json(const std::vector<DraftVariant>& variants) {
  json all = json::array();
  for (const auto& v : variants)
    all.push_back({{"parts", v.parts}, {"fits", v.fits}, {"shortened", v.shortened}, {"counts", v.counts}});
  return all.dump(-1, ' ', false, json::error_handler_t::replace);
}

void choose_text(Draft& d, const std::vector<DraftVariant>& variants) {
  auto chosen = std::find_if(variants.begin(), variants.end(), [](const DraftVariant& v) { return v.fits; });
  const DraftVariant& pick = chosen != variants.end() ? *chosen : variants.front();
  d.parts.clear();
  d.text = pick.parts.front();
  if (pick.parts.size() > 1) {
    d.parts = pick.parts;
    d.text.clear();
    for (const auto& p : pick.parts) d.text += (d.text.empty() ? "" : "\n\n") + p;
  }
}

namespace {

// A variant's identity for "all different": its text, whitespace and case aside.
std::string sameness(const std::vector<std::string>& parts) {
  std::string key;
  for (const auto& p : parts)
    for (char c : p)
      if (c != ' ' && c != '\n' && c != '\t') key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

}  // namespace

std::string page_text(Transport& http, const Clock& clock, const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw Error(ErrorKind::usage, "--url takes an http(s) address, not '" + url + "'");
  HttpRequest q{"GET", url, {{"Accept", "text/html, text/plain;q=0.9"}}, "", std::chrono::seconds{10}, 2'000'000};
  HttpResponse r = http.send(q);
  throw_for_status(r, "fetching " + url, clock.now());
  std::string type = r.header("Content-Type").value_or("text/html");
  std::string text = type.find("html") != std::string::npos ? html_to_text(r.body) : r.body;
  constexpr size_t k_max = 12000;
  if (text.size() > k_max) {
    size_t cut = k_max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    spdlog::warn("the page's text is {} bytes; the first {} go to the model", text.size(), cut);
    text.resize(cut);
  }
  return "(from " + url + ")\n" + text;
}

DraftOutcome write_draft(Engine& engine, LlmBackend& llm, const std::filesystem::path& user_templates,
                         const DraftRequest& q) {
  if (q.targets.empty()) throw Error(ErrorKind::invalid_input, "no network to draft for", "give --for bluesky,mastodon or --to ACCOUNTS");
  // A post template (not the drafting prompt itself) turns into the topic, with its variables.
  std::string topic = q.topic;
  if (q.template_name != "draft") {
    topic = trim_whitespace(render_template(load_template(q.template_name, user_templates), q.vars)) +
            (topic.empty() ? "" : "\n" + topic);
  }
  if (trim_whitespace(topic).empty() && trim_whitespace(q.source).empty())
    throw Error(ErrorKind::invalid_input, "nothing to draft about", "give a topic, --from FILE, or a --template");

  json networks = json::array();
  std::string strictest;
  size_t strictest_limit = SIZE_MAX;
  for (const auto& t : q.targets) {
    std::string notes = t.rules.notes;
    // A network's style notes: the template style-NETWORK, when there is one (shipped or the user's).
    std::string network = t.network.substr(0, t.network.find(':'));
    for (const auto& tpl : list_templates(user_templates))
      if (tpl.name == "style-" + network)
        notes += (notes.empty() ? "" : "; ") + trim_whitespace(render_template(tpl, json::object()));
    if (t.rules.max_bytes) notes += (notes.empty() ? "" : ", ") + std::string("and at most ") + std::to_string(t.rules.max_bytes) + " bytes";
    networks.push_back({{"name", t.network}, {"limit", t.rules.max_length}, {"unit", t.rules.unit}, {"notes", notes}});
    if (t.rules.max_length < strictest_limit) {
      strictest_limit = t.rules.max_length;
      strictest = std::to_string(t.rules.max_length) + " " + t.rules.unit + " (" + t.network + ")";
    }
  }
  json vars = {{"topic", topic},       {"source", q.source},  {"tone", q.tone},
               {"audience", q.audience}, {"lang", q.lang},     {"hashtags", q.hashtags > 0 ? std::to_string(q.hashtags) : ""},
               {"variants", std::to_string(q.variants)}, {"thread", q.thread}, {"networks", networks},
               {"strictest", strictest}};
  std::string prompt = render_template(load_template(q.thread ? "thread" : "draft", user_templates), vars);

  DraftOutcome out;
  Draft& d = out.draft;
  d.topic = trim_whitespace(q.topic.empty() ? topic : q.topic);
  d.template_name = q.template_name;
  d.backend = llm.name();
  d.model = llm.model();
  const int want = std::max(1, q.variants);
  TemplateInfo prompt_template = load_template(q.thread ? "thread" : "draft", user_templates);
  TemplateInfo shorten = load_template("shorten", user_templates);
  std::vector<std::string> seen;  // sameness() of every variant kept

  // Asks for `n` variants; `already` are what the model wrote before (to write others).
  auto ask = [&](int n, const std::vector<DraftVariant>& already) {
    json v = vars;
    v["variants"] = std::to_string(n);
    if (!already.empty()) {
      std::string list;
      for (const auto& a : already) list += "\n- " + a.parts.front();
      v["topic"] = topic + "\n\nAlready written (write " + std::to_string(n) + " different ones):" + list;
    }
    ChatRequest cq;
    cq.messages = {{"system", "You are a careful social media writer. You follow length limits exactly."},
                   {"user", render_template(prompt_template, v)}};
    cq.json = true;
    cq.max_tokens = 600 * n * (q.thread ? 3 : 1);
    int offset = static_cast<int>(already.size());
    std::optional<VariantStream> stream;
    if (q.on_text) {
      stream.emplace([&, offset](int variant, int part, std::string_view t) { q.on_text(offset + variant, part, t); });
      cq.on_text = [&stream](std::string_view piece) { stream->feed(piece); };
    }
    ChatResult r = call(engine, llm, "draft", cq);
    add_usage(d, r);
    return std::make_pair(read_variants(r.text, q.thread), r.text);
  };

  // Makes one variant fit: a thread given as one post is split; a part that is too long for a
  // network goes back to be shortened, a few rounds at most, never cut.
  auto fit = [&](std::vector<std::string> parts, int number) {
    DraftVariant v;
    v.parts = std::move(parts);
    if (q.thread && v.parts.size() == 1 && worst_misfit(v.parts[0], q.targets)) {
      const DraftTarget* strict = &q.targets.front();
      for (const auto& t : q.targets)
        if (t.rules.max_length < strict->rules.max_length) strict = &t;
      // Room for the numbers ("12/12 "), then numbered as the prompt asked.
      TextRules room = strict->rules;
      room.max_length -= std::min<size_t>(room.max_length / 2, 7);
      if (room.max_bytes) room.max_bytes -= std::min<size_t>(room.max_bytes / 2, 7);
      auto split = split_for_thread(v.parts[0], room);
      v.parts.clear();
      for (size_t i = 0; i < split.size(); ++i)
        v.parts.push_back(std::to_string(i + 1) + "/" + std::to_string(split.size()) + " " + split[i]);
    }
    for (auto& part : v.parts) {
      for (int round = 0; round < q.max_rounds; ++round) {
        auto misfit = worst_misfit(part, q.targets);
        if (!misfit) break;
        const LengthCheck& c = misfit->second;
        bool bytes = c.length <= c.limit;
        if (q.on_status)
          q.on_status("shortening variant " + std::to_string(number) + " (" +
                      (bytes ? std::to_string(c.bytes) + "/" + std::to_string(c.byte_limit) + " bytes"
                             : std::to_string(c.length) + "/" + std::to_string(c.limit) + " " + c.unit) +
                      " for " + misfit->first->network + ")…");
        json sv = {{"text", part},
                   {"limit", std::to_string(bytes ? c.byte_limit : c.limit)},
                   {"unit", bytes ? std::string("bytes") : c.unit},
                   {"over", std::to_string(bytes ? c.bytes - c.byte_limit : c.length - c.limit)},
                   {"network", misfit->first->network}};
        ChatRequest sq;
        sq.messages = {{"user", render_template(shorten, sv)}};
        sq.json = true;
        sq.max_tokens = 600;
        ChatResult sr = call(engine, llm, "shorten", sq);
        add_usage(d, sr);
        ++v.shortened;
        auto j = json_in(sr.text);
        std::string shorter = j && j->contains("text") && (*j)["text"].is_string()
                                  ? trim_whitespace((*j)["text"].get<std::string>())
                                  : std::string();
        if (!shorter.empty()) part = shorter;
      }
    }
    count_variant(v, q.targets);
    return v;
  };

  std::string last_answer;
  int duplicates = 0;
  for (int call_no = 0; call_no < 3 && static_cast<int>(out.variants.size()) < want; ++call_no) {
    auto [raw, text] = ask(want - static_cast<int>(out.variants.size()), out.variants);
    last_answer = text;
    for (auto& parts : raw) {
      if (static_cast<int>(out.variants.size()) >= want) break;
      if (std::find(seen.begin(), seen.end(), sameness(parts)) != seen.end()) {
        ++duplicates;
        continue;
      }
      DraftVariant v = fit(std::move(parts), static_cast<int>(out.variants.size()) + 1);
      // Shortening can make two variants one: that one is asked for again.
      if (std::find(seen.begin(), seen.end(), sameness(v.parts)) != seen.end()) {
        ++duplicates;
        continue;
      }
      seen.push_back(sameness(v.parts));
      out.variants.push_back(std::move(v));
    }
    if (out.variants.empty() && raw.empty())
      throw Error(ErrorKind::invalid_input,
                  "the model's answer held no usable variant: " + trim_whitespace(text).substr(0, 300),
                  "try again, or another model (--model)");
  }
  if (static_cast<int>(out.variants.size()) < want)
    out.short_by = "the model gave " + std::to_string(out.variants.size()) + " different variant" +
                   (out.variants.size() == 1 ? "" : "s") + " of the " + std::to_string(want) + " asked for in 3 calls" +
                   (duplicates ? " (" + std::to_string(duplicates) + " came out the same as another)" : "");
  choose_text(d, out.variants);
  d.variants = variants_json(out.variants);
  d.created_at = d.updated_at = engine.clock.now();
  engine.store.add_draft(d);
  return out;
}

}  // namespace crier
