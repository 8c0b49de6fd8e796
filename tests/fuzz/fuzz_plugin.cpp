// What an external provider (crier-provider(7)) says: its describe result and its answer to
// every method come from the fuzzer, as JSON. crier must answer with a result or a
// crier::Error - never crash, never let a JSON type error out, never record a publish or a
// reply without an id, never take a reconcile candidate another delivery owns.
#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "provider/external.hpp"

namespace {

using namespace crier;
using nlohmann::json;

json parsed(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json(std::string(text)) : j;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  uint8_t op = in.byte();
  json description = parsed(in.piece());
  // A description that is not an object still names itself, so that the rest is reached often.
  if (description.is_object() && !description.contains("name")) description["name"] = "fuzz";
  if (description.is_object() && !description.contains("protocol"))
    description["protocol"] = k_provider_protocol;
  if (description.is_object() && !description.contains("text_rules"))
    description["text_rules"] = json::object();
  json answer = parsed(in.piece());
  std::string error_kind(in.piece());
  return fuzz::guarded([&] {
    auto provider = external_provider_for_fuzzing(description, [&](const std::string&) -> json {
      if (op & 0x80) {  // the plugin's error, as it arrives
        Error e(error_kind_from_string(error_kind).value_or(ErrorKind::permanent), "plugin error");
        throw e;
      }
      return answer;
    });
    Session s;
    s.account.handle = "me";
    s.secret = R"({"token":"t"})";
    (void)provider->capabilities();
    TextRules rules = provider->text_rules(s.account);
    (void)count_length("hello 👋 world", rules);
    PublishRequest q{"crier-fuzz", {{"one", {}}, {"two", {}}}};
    q.taken = [](const std::string& id) { return id.size() % 5 == 1; };
    switch (op % 8) {
      case 0: {
        auto r = provider->publish(s, q);
        if (r.parts.size() != q.parts.size()) fuzz::fail("a publish returns every part");
        for (const auto& p : r.parts)
          if (p.remote_id.empty()) fuzz::fail("a publish without an id must be an error");
        break;
      }
      case 1:
        if (auto r = provider->reconcile(s, q)) {
          if (r->parts.empty() || r->parts.size() > q.parts.size()) fuzz::fail("reconcile finds a prefix");
          if (q.taken(r->parts[0].remote_id)) fuzz::fail("reconcile took another delivery's post");
          for (const auto& p : r->parts)
            if (p.remote_id.empty()) fuzz::fail("a found part has an id");
        }
        break;
      case 2:
        (void)provider->fetch_inbox(s, InboxStream::replies, "");
        break;
      case 3:
        (void)provider->fetch_inbox(s, InboxStream::dms, "cursor");
        break;
      case 4:
        (void)provider->post_metrics(s, {"1", "2"});
        break;
      case 5:
        (void)provider->account_metrics(s);
        break;
      case 6: {
        RemoteItem to{"reply", "1", "", "", "bob", "Bob", "hi", "", {}, "{}"};
        if (provider->reply(s, to, "thanks", "k").remote_id.empty())
          fuzz::fail("a reply without an id must be an error");
        break;
      }
      case 7:
        provider->verify(s);
        break;
    }
  });
}
