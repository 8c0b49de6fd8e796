#include "conformance/provider_suite.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <set>

#include "error.hpp"
#include "fakes/images.hpp"
#include "paths.hpp"

namespace crier::testing {
namespace {

Session session_for(Provider& p, const Connected& c) {
  Session s;
  s.account.id = 1;
  s.account.network = std::string(p.name());
  s.account.handle = c.handle;
  s.account.server = c.server;
  s.account.settings = c.settings;
  s.secret = c.secret;
  return s;
}

template <typename F>
ErrorKind kind_thrown(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("expected an Error");
  return ErrorKind::internal;
}

std::vector<RemoteItem> drain(Provider& p, Session& s, InboxStream stream, std::string& cursor) {
  std::vector<RemoteItem> items;
  for (int page = 0; page < 100; ++page) {
    InboxPage got = p.fetch_inbox(s, stream, cursor);
    items.insert(items.end(), got.items.begin(), got.items.end());
    if (!got.next_cursor.empty()) cursor = got.next_cursor;
    if (!got.more) break;
  }
  return items;
}

}  // namespace

void run_provider_conformance(ConformanceFixture& f) {
  Provider& p = f.provider();
  Capabilities caps = p.capabilities();
  Connected connected = p.connect(f.good_connect());
  Session s = session_for(p, connected);
  // A request with what this network needs besides the text: a title where it takes one, the
  // fixture's values for its required options.
  // A network whose posts need an image (Instagram) gets one with every post, of a type it takes.
  TextRules rules = p.text_rules(s.account);
  auto image_of = [&](const std::string& name, size_t bytes) {
    bool jpeg = std::find(rules.image_types.begin(), rules.image_types.end(), "image/png") == rules.image_types.end();
    auto path = f.scratch_dir() / (name + (jpeg ? ".jpg" : ".png"));
    write_file_atomic(path, jpeg ? test_jpeg(bytes, 64, 64) : test_png(bytes, 64, 48));
    return MediaItem{path.string(), "a test pattern", jpeg ? "image/jpeg" : "image/png", static_cast<int64_t>(bytes),
                     64, jpeg ? 64 : 48};
  };
  auto req = [&](const std::string& key, std::vector<OutgoingPart> parts) {
    if (rules.media_required && !parts.empty() && parts[0].media.empty())
      parts[0].media.push_back(image_of("needed-" + key, 300 + key.size()));
    PublishRequest q{key, std::move(parts)};
    if (caps.title) q.title = "Conformance " + key;
    q.options = f.required_options();
    return q;
  };

  SECTION("it is in the provider table and declares sane rules") {
    REQUIRE(find_provider(p.name()) != nullptr);
    TextRules r = p.text_rules(s.account);
    CHECK(r.max_length > 0);
    CHECK_FALSE(r.unit.empty());
    if (caps.images) {
      CHECK(r.max_images > 0);
      CHECK(r.max_image_bytes > 0);
      CHECK_FALSE(r.image_types.empty());
    }
  }

  SECTION("connect gives credentials that verify; bad ones are an auth error") {
    CHECK_FALSE(connected.handle.empty());
    CHECK_NOTHROW(p.verify(s));
    Session bad = s;
    // Shaped like every built-in provider's secret, with values the network never issued.
    bad.secret = f.bad_secret();
    CHECK(kind_thrown([&] { p.verify(bad); }) == ErrorKind::auth);
    CHECK(kind_thrown([&] { p.publish(bad, req("k-bad", {{"hello", {}}})); }) == ErrorKind::auth);
  }

  SECTION("publish returns the post's id and address") {
    auto before = f.posts_on_network();
    auto r = p.publish(s, req("conformance-1", {{"Hello, conformance 👋", {}}}));
    REQUIRE(r.parts.size() == 1);
    CHECK_FALSE(r.parts[0].remote_id.empty());
    CHECK_FALSE(r.parts[0].url.empty());
    CHECK(f.posts_on_network() == before + 1);
  }

  SECTION("the same idempotency key never makes a second post") {
    PublishRequest q = req("conformance-twice", {{"only once", {}}});
    auto first = p.publish(s, q);
    auto count = f.posts_on_network();
    if (caps.native_idempotency) {
      auto second = p.publish(s, q);
      CHECK(second.parts[0].remote_id == first.parts[0].remote_id);
      CHECK(f.posts_on_network() == count);
    }
    auto found = p.reconcile(s, q);
    REQUIRE(found);
    CHECK(found->parts[0].remote_id == first.parts[0].remote_id);
  }

  SECTION("after a lost answer, reconcile finds the post and nothing is sent twice") {
    PublishRequest q = req("conformance-lost", {{"the answer to this one is lost", {}}});
    if (!f.lose_next_publish_answer()) {
      WARN(p.name() << "'s fake cannot lose an answer: reconcile after a lost answer is not checked");
      return;
    }
    // Either an error a retry may cure, or the provider found its own post (a resend with the
    // network's key, as Bluesky's rkey allows): never a second post.
    std::optional<PublishResult> published;
    try {
      published = p.publish(s, q);
    } catch (const Error& e) {
      CHECK(is_retryable(e.kind()));
    }
    CHECK(f.posts_on_network() == 1);
    auto found = p.reconcile(s, q);
    REQUIRE(found);
    REQUIRE(found->parts.size() == 1);
    CHECK_FALSE(found->parts[0].remote_id.empty());
    if (published) CHECK(published->parts[0].remote_id == found->parts[0].remote_id);
    // The engine records it; a later reconcile that is told it is taken finds nothing else.
    PublishRequest other = q;
    other.idempotency_key = "conformance-lost-other";
    std::string id = found->parts[0].remote_id;
    other.taken = [id](const std::string& r) { return r == id; };
    CHECK_FALSE(p.reconcile(s, other));
    CHECK(f.posts_on_network() == 1);
  }

  SECTION("images go with the post, or are refused as unsupported") {
    MediaItem m = image_of("conformance", 400);
    PublishRequest q = req("conformance-image", {{"with a picture", {m}}});
    if (caps.images) {
      auto r = p.publish(s, q);
      REQUIRE(r.parts.size() == 1);
      CHECK_FALSE(r.parts[0].remote_id.empty());
      CHECK(f.posts_on_network() == 1);
    } else {
      CHECK(kind_thrown([&] { p.publish(s, q); }) == ErrorKind::unsupported);
    }
  }

  SECTION("the options it declares and a title are taken") {
    const ProviderInfo* info = find_provider(p.name());
    REQUIRE(info != nullptr);
    PublishRequest q = req("conformance-options", {{"with options", {}}});
    for (const auto& o : info->post_options)
      if (!q.options.count(std::string(o.name)))
        q.options[std::string(o.name)] = o.type == PostOption::Type::boolean  ? "true"
                                         : o.type == PostOption::Type::number ? "1"
                                                                              : "conformance";
    if (caps.title) q.title = "A conformance title";
    auto r = p.publish(s, q);
    REQUIRE(r.parts.size() == 1);
    CHECK_FALSE(r.parts[0].remote_id.empty());
  }

  SECTION("reconcile finds nothing for a key never published") {
    CHECK_FALSE(p.reconcile(s, req("conformance-never", {{"nope", {}}})));
    CHECK(f.posts_on_network() == 0);
  }

  SECTION("threads are chained in order, or refused as unsupported") {
    PublishRequest q = req("conformance-thread", {{"one", {}}, {"two", {}}, {"three", {}}});
    if (caps.threads) {
      auto r = p.publish(s, q);
      REQUIRE(r.parts.size() == 3);
      std::set<std::string> ids;
      for (const auto& part : r.parts) ids.insert(part.remote_id);
      CHECK(ids.size() == 3);
      CHECK(f.posts_on_network() == 3);
    } else {
      CHECK(kind_thrown([&] { p.publish(s, q); }) == ErrorKind::unsupported);
    }
  }

  SECTION("operations it lacks say unsupported") {
    if (!caps.inbox_replies)
      CHECK(kind_thrown([&] { p.fetch_inbox(s, InboxStream::replies, ""); }) == ErrorKind::unsupported);
    if (!caps.inbox_mentions)
      CHECK(kind_thrown([&] { p.fetch_inbox(s, InboxStream::mentions, ""); }) == ErrorKind::unsupported);
    if (!caps.inbox_dms) CHECK(kind_thrown([&] { p.fetch_inbox(s, InboxStream::dms, ""); }) == ErrorKind::unsupported);
    if (!caps.post_metrics) CHECK(kind_thrown([&] { p.post_metrics(s, {"x"}); }) == ErrorKind::unsupported);
    if (!caps.account_metrics) CHECK(kind_thrown([&] { p.account_metrics(s); }) == ErrorKind::unsupported);
    SUCCEED();
  }

  SECTION("inbox pages never repeat an item and the cursor resumes where it stopped") {
    for (int i = 0; i < 5; ++i)
      p.publish(s, req("inbox-" + std::to_string(i), {{"post " + std::to_string(i), {}}}));
    f.advance(std::chrono::hours{48});
    for (auto stream : {InboxStream::replies, InboxStream::mentions, InboxStream::dms}) {
      bool has = stream == InboxStream::replies ? caps.inbox_replies
                 : stream == InboxStream::mentions ? caps.inbox_mentions : caps.inbox_dms;
      if (!has) continue;
      INFO("stream " << to_string(stream));
      std::string cursor;
      auto items = drain(p, s, stream, cursor);
      CHECK_FALSE(items.empty());
      std::set<std::string> ids;
      for (const auto& i : items) {
        CHECK(ids.insert(i.remote_id).second);
        CHECK_FALSE(i.author.empty());
        CHECK_FALSE(i.kind.empty());
      }
      for (size_t i = 1; i < items.size(); ++i) CHECK(items[i - 1].created_at <= items[i].created_at);
      CHECK(drain(p, s, stream, cursor).empty());
      f.advance(std::chrono::hours{48});
      for (const auto& later : drain(p, s, stream, cursor)) CHECK(ids.count(later.remote_id) == 0);
    }
  }

  SECTION("answers go out through the network") {
    if (!caps.reply) return;
    p.publish(s, req("reply-target", {{"ask me anything", {}}}));
    f.advance(std::chrono::hours{48});
    std::string cursor;
    auto stream = caps.inbox_replies ? InboxStream::replies : InboxStream::mentions;
    auto items = drain(p, s, stream, cursor);
    REQUIRE_FALSE(items.empty());
    auto before = f.posts_on_network();
    auto sent = p.reply(s, items.front(), "Thanks for asking!", "reply-key-1");
    CHECK_FALSE(sent.remote_id.empty());
    CHECK(f.posts_on_network() == before + 1);
    auto again = p.reply(s, items.front(), "Thanks for asking!", "reply-key-1");
    if (caps.native_idempotency) {
      CHECK(again.remote_id == sent.remote_id);
      CHECK(f.posts_on_network() == before + 1);
    }
  }

  SECTION("metrics for published posts and the account") {
    auto r = p.publish(s, req("metrics-1", {{"count me", {}}}));
    f.advance(std::chrono::hours{24});
    if (caps.post_metrics) {
      auto stats = p.post_metrics(s, {r.parts[0].remote_id});
      REQUIRE(stats.size() == 1);
      CHECK(stats[0].remote_id == r.parts[0].remote_id);
      CHECK(stats[0].likes >= 0);
    }
    if (caps.account_metrics) CHECK(p.account_metrics(s).followers >= 0);
  }
}

}  // namespace crier::testing
