#include "config/config_keys.hpp"

#include <array>
#include <vector>

#include "provider/provider.hpp"

namespace crier {
namespace {
constexpr std::array k_keys{
    ConfigKey{"general.timezone", KeyType::string, "", "CRIER_TIMEZONE",
              "IANA time zone for reading and showing times (default: the system's)"},
    ConfigKey{"general.color", KeyType::string, "auto", "",
              "colour output: auto (on a terminal, unless NO_COLOR), always or never"},
    ConfigKey{"general.default_to", KeyType::string, "", "CRIER_TO",
              "accounts used when --to is not given, comma-separated"},
    ConfigKey{"general.command_timeout_seconds", KeyType::integer, "30", "",
              "how long a helper command (password_cmd, token_cmd, llm.api_key_cmd) may run", 1, 3600},
    ConfigKey{"general.provider_timeout_seconds", KeyType::integer, "120", "CRIER_PROVIDER_TIMEOUT",
              "how long an external provider (crier-provider-NAME) may take to answer one call", 1, 3600},
    ConfigKey{"store.path", KeyType::string, "", "CRIER_DB",
              "database file (default: $XDG_DATA_HOME/crier/crier.db)"},
    ConfigKey{"publish.max_attempts", KeyType::integer, "5", "",
              "attempts before a delivery that keeps failing is marked dead", 1, 1000},
    ConfigKey{"publish.backoff_seconds", KeyType::integer, "60", "",
              "first retry delay; doubles with each attempt, with jitter", 0, 86400},
    ConfigKey{"publish.lease_seconds", KeyType::integer, "300", "",
              "how long a worker holds a delivery before others may reconcile it", 1, 86400},
    ConfigKey{"publish.max_wait_seconds", KeyType::integer, "3600", "",
              "longest wait a network's Retry-After or rate-limit reset is believed for", 1, 7 * 86400},
    ConfigKey{"publish.concurrency", KeyType::integer, "8", "CRIER_CONCURRENCY",
              "deliveries of different accounts published at once (one account: one at a time)", 1, 256},
    ConfigKey{"http.timeout_seconds", KeyType::integer, "30", "CRIER_HTTP_TIMEOUT",
              "timeout of one HTTP request", 1, 3600},
    ConfigKey{"http.max_body_bytes", KeyType::integer, "8388608", "",
              "largest answer read from a network's API (media and pages have their own limits)", 65536,
              1'073'741'824},
    ConfigKey{"llm.backend", KeyType::string, "ollama", "CRIER_LLM_BACKEND",
              "LLM backend: ollama, openai, anthropic or gemini"},
    ConfigKey{"llm.endpoint", KeyType::string, "http://127.0.0.1:11434", "CRIER_LLM_ENDPOINT",
              "base URL of the LLM server"},
    ConfigKey{"llm.model", KeyType::string, "", "CRIER_LLM_MODEL", "model name"},
    ConfigKey{"llm.api_key_cmd", KeyType::string, "", "",
              "command that prints the API key (e.g. pass show openai)"},
    ConfigKey{
        "llm.embedding_model", KeyType::string, "", "CRIER_LLM_EMBEDDING_MODEL",
        "embedding model for knowledge base search by meaning, MODEL (of llm.backend) or PROVIDER:MODEL, "
        "e.g. ollama:nomic-embed-text ('': words only)"},
    ConfigKey{
        "llm.embedding_endpoint", KeyType::string, "", "CRIER_LLM_EMBEDDING_ENDPOINT",
        "base URL of the embedding server ('': llm.endpoint for the same backend, else the provider's own)"},
    ConfigKey{"llm.embedding_api_key_cmd", KeyType::string, "", "",
              "command that prints the embedding server's key, when it is not the chat model's server"},
    ConfigKey{"llm.embedding_min_similarity_percent", KeyType::integer, "30", "",
              "a chunk found by meaning alone (no word in common) is kept from this cosine similarity up", 0,
              100},
    ConfigKey{
        "llm.daily_budget", KeyType::string, "", "CRIER_LLM_DAILY_BUDGET",
        "US dollars the model may cost in a day (UTC), e.g. 2.50; a call past it is refused ('': no limit)"},
    ConfigKey{
        "media.store", KeyType::string, "", "CRIER_MEDIA_STORE",
        "where images go for networks that fetch them by URL (Instagram, Threads): s3, command or none"},
    ConfigKey{"media.s3_endpoint", KeyType::string, "", "",
              "the S3-compatible service (default https://s3.REGION.amazonaws.com; R2, MinIO, Backblaze...)"},
    ConfigKey{"media.s3_bucket", KeyType::string, "", "", "the bucket images are put in"},
    ConfigKey{"media.s3_region", KeyType::string, "us-east-1", "AWS_REGION",
              "the bucket's region (auto for R2)"},
    ConfigKey{
        "media.s3_path_style", KeyType::boolean, "false", "",
        "address objects as ENDPOINT/BUCKET/KEY (MinIO and most non-AWS stores) instead of BUCKET.HOST/KEY"},
    ConfigKey{"media.s3_access_key_id", KeyType::string, "", "AWS_ACCESS_KEY_ID", "the access key id"},
    ConfigKey{"media.s3_secret_cmd", KeyType::string, "", "",
              "command that prints the secret access key (else AWS_SECRET_ACCESS_KEY)"},
    ConfigKey{"media.public_url", KeyType::string, "", "",
              "public base URL of the bucket (e.g. a CDN); empty: presigned URLs are given instead"},
    ConfigKey{"media.url_expiry_seconds", KeyType::integer, "172800", "",
              "life of a presigned URL: longer than a network's container (a day)", 3600, 604800},
    ConfigKey{"media.prefix", KeyType::string, "crier/", "", "folder of the bucket crier's images go in"},
    ConfigKey{"media.delete_after", KeyType::boolean, "false", "",
              "remove an image from the bucket once the post that used it is published"},
    ConfigKey{"media.upload_cmd", KeyType::string, "", "",
              "with media.store = command: puts the file ($1) somewhere public and prints its URL"},
    ConfigKey{"analytics.since_days", KeyType::integer, "30", "",
              "default window of analytics summary and refresh", 1, 36500},
};
}  // namespace

std::span<const ConfigKey> config_keys() {
  // crier's own keys, then each provider's, as its row in the provider table declares them.
  static const std::vector<ConfigKey> all = [] {
    std::vector<ConfigKey> v(k_keys.begin(), k_keys.end());
    for (const auto& p : provider_table()) v.insert(v.end(), p.config_keys.begin(), p.config_keys.end());
    return v;
  }();
  return all;
}

const ConfigKey* find_config_key(std::string_view name) {
  for (const auto& k : config_keys())
    if (k.name == name) return &k;
  return nullptr;
}

}  // namespace crier
