// Reads the recorded HTTP traffic of ../shared/fixtures/recorded (vcrpy YAML cassettes) so fakes
// answer with what the real servers sent. Only the parts crier needs: method, URI, request
// body, status and response body (single-quoted YAML scalars, folded lines joined).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace crier::testing {

struct RecordedInteraction {
  std::string method;
  std::string uri;
  std::string request_body;
  int status = 0;
  std::string response_body;
};

std::vector<RecordedInteraction> read_cassette(const std::filesystem::path& path);

// ../shared/fixtures/recorded (CRIER_FIXTURES_DIR at build time); the tests that use it fail
// loudly when it is missing rather than pass without it.
std::filesystem::path recorded_fixtures_dir();

// The first recorded response body for `method` and a URI containing `uri_part`.
std::string recorded_body(const std::string& cassette, const std::string& method, const std::string& uri_part);

}  // namespace crier::testing
