// Where images go when a network fetches them by URL (Instagram, Threads) instead of taking an
// upload: an S3-compatible bucket (AWS, R2, MinIO, Backblaze) or a command of the user's that
// puts the file somewhere public and prints its address. Keys are the image's SHA-256, so an
// upload is done once per content however many posts, retries and processes use it.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "clock.hpp"
#include "store/types.hpp"

namespace crier {

class Config;
class Transport;

class MediaStore {
 public:
  virtual ~MediaStore() = default;
  virtual std::string_view kind() const = 0;  // "s3" | "command"
  // An address the network can fetch `item` from, good for at least a day. Uploads it unless
  // it is there already. Throws Error(config) for a store that is not set up right, Error(network /
  // transient) when the upload fails.
  virtual std::string public_url(const MediaItem& item) = 0;
  // The network has the image (the post is published): with media.delete_after, removes it.
  virtual void done_with(const MediaItem& item) = 0;
  // For doctor: what it is, after checking what can be checked without uploading (the bucket
  // answers to these credentials). Throws Error(config / network) saying what is wrong.
  virtual std::string check() = 0;
};

// The store [media] configures, or nullptr when `media.store` is not set. Nothing is run or
// sent until an image needs a URL. Throws Error(config) for an unknown store or a missing setting.
std::unique_ptr<MediaStore> make_media_store(const Config& config, Transport& http, const Clock& clock);

// The store of one ProviderSet, made when a provider first asks for it (so a broken [media]
// setting troubles only the posts that need it).
class MediaStores {
 public:
  MediaStores(const Config& config, Transport& http, const Clock& clock)
      : m_config(config), m_http(http), m_clock(clock) {}
  // A store given outright (tests and fuzzing), whatever the config says.
  MediaStores(const Config& config, Transport& http, const Clock& clock, std::unique_ptr<MediaStore> store)
      : m_config(config), m_http(http), m_clock(clock), m_made(true), m_store(std::move(store)) {}
  // The configured store; Error(config) saying how to set one up when none is, naming `network`.
  MediaStore& get(std::string_view network);

 private:
  const Config& m_config;
  Transport& m_http;
  const Clock& m_clock;
  std::mutex m_mutex;
  bool m_made = false;
  std::unique_ptr<MediaStore> m_store;
};

// AWS Signature Version 4, the parts crier computes itself (libcurl signs the uploads).
struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials; "" when none
  std::string region = "us-east-1";
  std::string service = "s3";
};

// Where an object lives: `https://host/bucket/key` (path style, MinIO, s3rver, R2) or
// `https://bucket.host/key` (virtual-hosted, AWS).
struct S3Object {
  std::string url;   // the object's URL without a query
  std::string host;  // as the Host header carries it (with a port when not the default)
  std::string path;  // the canonical URI: each segment URI-encoded
};
S3Object s3_object(std::string_view endpoint, std::string_view bucket, std::string_view key, bool path_style);

// A presigned GET of `object`, valid for `expires` from `now` (at most 7 days, as S3 allows).
std::string s3_presign_get(const S3Object& object, const SigV4Credentials& credentials, Timestamp now,
                           std::chrono::seconds expires);

// The SigV4 signature of a request whose canonical form is given (for the tests, which check
// both crier's presigning and libcurl's header signing against it).
std::string sigv4_signature(const SigV4Credentials& credentials, Timestamp now, std::string_view canonical_request);

// S3's URI encoding: unreserved characters kept, everything else %XX (upper case); '/' kept
// when `keep_slash`.
std::string s3_uri_encode(std::string_view s, bool keep_slash);

// The object key crier gives an image: PREFIX + SHA-256 of its bytes + its extension.
std::string media_key(const MediaItem& item, std::string_view prefix);

}  // namespace crier
