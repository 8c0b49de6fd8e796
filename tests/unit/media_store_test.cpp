// The media store: SigV4 as AWS publishes it (presigned URLs computed by crier, headers signed by
// libcurl and checked against crier's own signer), content-addressed keys, a real S3-compatible
// server (s3rver) on loopback, and a command store that fails clearly.
#include <catch2/catch.hpp>

#include <chrono>
#include <list>
#include <regex>

#include "config/config.hpp"
#include "crypto.hpp"
#include "error.hpp"
#include "fakes/images.hpp"
#include "fakes/loopback_server.hpp"
#include "fakes/s3_server.hpp"
#include "fakes/temp_home.hpp"
#include "http/transport.hpp"
#include "media/media_store.hpp"
#include "paths.hpp"

using namespace crier;
using namespace crier::testing;

namespace {

SigV4Credentials aws_example() {
  // The credentials of AWS's published Signature Version 4 examples for S3.
  SigV4Credentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  c.region = "us-east-1";
  return c;
}

Timestamp may_24_2013() { return *parse_iso8601("2013-05-24T00:00:00Z"); }

MediaItem write_image(const std::filesystem::path& dir, const std::string& name, size_t bytes) {
  auto path = dir / name;
  write_file_atomic(path, test_png(bytes, 32, 32));
  return MediaItem{path.string(), "", "image/png", static_cast<int64_t>(bytes), 32, 32};
}

}  // namespace

TEST_CASE("sha256 and HMAC-SHA256 give the published test vectors", "[media][s3]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231, test case 2.
  CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("SigV4: a presigned GET is AWS's own example, byte for byte", "[media][s3]") {
  // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
  S3Object o = s3_object("https://s3.amazonaws.com", "examplebucket", "test.txt", false);
  CHECK(o.url == "https://examplebucket.s3.amazonaws.com/test.txt");
  CHECK(o.host == "examplebucket.s3.amazonaws.com");
  std::string url = s3_presign_get(o, aws_example(), may_24_2013(), std::chrono::hours{24});
  CHECK(url ==
        "https://examplebucket.s3.amazonaws.com/test.txt"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  // Expiry is what S3 allows: at most 7 days.
  CHECK_THAT(s3_presign_get(o, aws_example(), may_24_2013(), std::chrono::hours{24 * 30}),
             Catch::Contains("X-Amz-Expires=604800"));
}

TEST_CASE("SigV4: a signed header request is AWS's own example", "[media][s3]") {
  // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (GET Object)
  std::string canonical =
      "GET\n/test.txt\n\n"
      "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  CHECK(sigv4_signature(aws_example(), may_24_2013(), canonical) ==
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("SigV4: what libcurl signs is what crier's signer (checked above) computes", "[media][s3]") {
  // A PUT through the real transport to a loopback server that records it; the signature in
  // its Authorization header is recomputed from the request the server saw.
  LoopbackServer server;
  server.server().Put(R"(/bucket/(.*))", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  std::string base = server.start();
  auto http = make_curl_transport();
  HttpRequest q{"PUT", base + "/bucket/crier/a%20b.png", {{"Content-Type", "image/png"}}, "the bytes"};
  q.headers.emplace_back("x-amz-content-sha256", sha256_hex(q.body));
  q.aws_sigv4 = "aws:amz:eu-west-1:s3";
  q.aws_credentials = "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  REQUIRE(http->send(q).status == 200);
  auto seen = server.requests().at(0);
  std::string auth = seen.headers.find("Authorization")->second;
  std::smatch m;
  REQUIRE(std::regex_search(auth, m,
                            std::regex(R"(AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/(\d{8})/eu-west-1/s3/aws4_request, )"
                                       R"(SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64}))")));
  std::string signed_headers = m[2], signature = m[3];
  std::string date = seen.headers.find("x-amz-date")->second;
  // The canonical request, from what arrived.
  std::string canonical = "PUT\n/bucket/crier/a%20b.png\n\n";
  for (size_t a = 0; a < signed_headers.size();) {
    size_t b = signed_headers.find(';', a);
    if (b == std::string::npos) b = signed_headers.size();
    std::string name = signed_headers.substr(a, b - a);
    auto it = seen.headers.find(name);
    INFO("signed header " << name);
    REQUIRE(it != seen.headers.end());
    canonical += name + ":" + it->second + "\n";
    a = b + 1;
  }
  canonical += "\n" + signed_headers + "\n" + sha256_hex("the bytes");
  CHECK_THAT(signed_headers, Catch::Contains("x-amz-content-sha256") && Catch::Contains("host"));
  SigV4Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.region = "eu-west-1";
  auto when = parse_iso8601(date.substr(0, 4) + "-" + date.substr(4, 2) + "-" + date.substr(6, 2) + "T" +
                            date.substr(9, 2) + ":" + date.substr(11, 2) + ":" + date.substr(13, 2) + "Z");
  REQUIRE(when);
  CHECK(sigv4_signature(c, *when, canonical) == signature);
}

TEST_CASE("S3 addresses and keys", "[media][s3]") {
  S3Object path = s3_object("http://127.0.0.1:9000", "media", "crier/ab c+.png", true);
  CHECK(path.url == "http://127.0.0.1:9000/media/crier/ab%20c%2B.png");
  CHECK(path.host == "127.0.0.1:9000");
  CHECK(s3_object("https://s3.eu-west-1.amazonaws.com:443", "b", "k", false).host == "b.s3.eu-west-1.amazonaws.com");
  TempDir dir;
  auto a = write_image(dir.path(), "a.png", 300);
  auto b = write_image(dir.path(), "b.png", 300);  // the same bytes
  CHECK(media_key(a, "crier/") == media_key(b, "crier/"));
  CHECK(media_key(a, "crier/") == "crier/" + sha256_file_hex(a.path) + ".png");
  CHECK(media_key(write_image(dir.path(), "c.png", 301), "") != media_key(a, ""));
}

TEST_CASE("the S3 store against s3rver: uploaded once, fetchable, presigned or public, deleted when asked",
          "[media][s3]") {
  S3Server s3;
  TempDir dir;
  Config c = Config::defaults();
  c.set_override("media.store", "s3");
  c.set_override("media.s3_endpoint", s3.url());
  c.set_override("media.s3_bucket", S3Server::k_bucket);
  c.set_override("media.s3_path_style", "true");
  c.set_override("media.s3_access_key_id", S3Server::k_access_key);
  c.set_override("media.s3_secret_cmd", std::string("printf ") + S3Server::k_secret_key);
  c.set_override("media.url_expiry_seconds", "7200");
  auto http = make_curl_transport();
  FixedClock clock{std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())};
  MediaStores stores(c, *http, clock);
  MediaStore& store = stores.get("Instagram");
  CHECK(store.kind() == "s3");
  auto img = write_image(dir.path(), "cat.png", 700);
  std::string url = store.public_url(img);
  CHECK_THAT(url, Catch::StartsWith(s3.url() + "/" + S3Server::k_bucket + "/crier/") &&
                      Catch::Contains("X-Amz-Expires=7200") && Catch::Contains("X-Amz-Signature="));
  CHECK(s3.object_count() == 1);
  HttpResponse got = http->send(HttpRequest{"GET", url, {}, ""});
  CHECK(got.status == 200);
  CHECK(got.body == read_file(img.path));
  // Again, and from another file of the same bytes: no second object.
  store.public_url(img);
  store.public_url(write_image(dir.path(), "same.png", 700));
  CHECK(s3.object_count() == 1);
  // A public base URL is used as given.
  c.set_override("media.public_url", "https://cdn.example.com/img/");
  MediaStores public_stores(c, *http, clock);
  CHECK(public_stores.get("Threads").public_url(img) == "https://cdn.example.com/img/" + media_key(img, "crier/"));
  // Deleted after publishing only when asked.
  store.done_with(img);
  CHECK(s3.object_count() == 1);
  c.set_override("media.delete_after", "true");
  store.done_with(img);
  CHECK(s3.object_count() == 0);
}

TEST_CASE("the S3 store: missing settings and refusals are config errors that say what to set", "[media][s3]") {
  auto http = make_curl_transport();
  FixedClock clock{may_24_2013()};
  Config none = Config::defaults();
  MediaStores unset(none, *http, clock);
  try {
    unset.get("Instagram");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::config);
    CHECK_THAT(e.what(), Catch::Contains("Instagram fetches images from a public URL"));
  }
  Config c = Config::defaults();
  c.set_override("media.store", "s3");
  CHECK_THROWS_WITH(make_media_store(c, *http, clock), Catch::Contains("media.s3_bucket"));
  c.set_override("media.store", "ftp");
  CHECK_THROWS_WITH(make_media_store(c, *http, clock), Catch::Contains("s3, command or none"));
  // No credentials anywhere.
  c.set_override("media.store", "s3");
  c.set_override("media.s3_bucket", "b");
  c.set_override("media.s3_endpoint", "http://127.0.0.1:9");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  TempDir dir;
  auto store = make_media_store(c, *http, clock);
  try {
    store->public_url(write_image(dir.path(), "x.png", 100));
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::config);
    CHECK_THAT(e.hint(), Catch::Contains("AWS_SECRET_ACCESS_KEY"));
  }
}

TEST_CASE("the command store: the URL it prints, and every way it can fail", "[media]") {
  auto http = make_curl_transport();
  FixedClock clock{may_24_2013()};
  TempDir dir;
  auto img = write_image(dir.path(), "a.png", 100);
  std::list<Config> configs;  // a store keeps a reference to its config
  auto with = [&](const std::string& cmd) {
    Config& c = configs.emplace_back(Config::defaults());
    c.set_override("media.store", "command");
    c.set_override("media.upload_cmd", cmd);
    c.set_override("general.command_timeout_seconds", "2");
    return make_media_store(c, *http, clock);
  };
  auto ok = with("printf 'https://img.example/%s\\n' \"$CRIER_MEDIA_KEY\" #");
  CHECK(ok->public_url(img) == "https://img.example/" + sha256_file_hex(img.path) + ".png");
  auto got_file = with("printf 'https://img.example/'; basename");
  CHECK(got_file->public_url(img) == "https://img.example/a.png");
  CHECK_THROWS_WITH(with("exit 3")->public_url(img), Catch::Contains("media.upload_cmd failed (exit 3)"));
  CHECK_THROWS_WITH(with("echo uploaded #")->public_url(img), Catch::Contains("not a URL"));
  auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(with("sleep 30 #")->public_url(img), Catch::Contains("did not finish within 2 s"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds{10});
}
