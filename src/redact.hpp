// Keeping secrets out of everything crier writes. Two tools:
//
// - By value: every secret this process has handled (tokens, passwords, API keys, session
//   JWTs, client secrets) is remembered, and redact_known() replaces each, in every form a
//   server or crier may write it (as is, JSON-escaped, URL-encoded), by "[redacted]". This
//   catches a token a server echoes back in an error body, a header or a JSON field, whatever
//   it is called. Applied to all output (human and --json), logs, and text stored outside the
//   secrets table.
// - By shape: redact() also replaces what looks like a credential (Bearer tokens, JWTs,
//   "password"/"token" JSON fields, ?access_token= parameters), for -vv logs of HTTP traffic.
//
// The registry is process-wide (secrets arrive on any thread); values shorter than 6 bytes
// are not remembered (they would match ordinary text).
#pragma once

#include <string>
#include <string_view>

namespace crier {

void remember_secret(std::string_view value);
// Remembers the string fields of a stored credential (JSON) whose names say they are secret
// (token, secret, password, jwt, key, ...); a credential that is not JSON is remembered whole.
void remember_secrets_in(std::string_view credential);
// Forgets every remembered secret (tests).
void forget_secrets();

// Replaces every remembered secret in `text`.
std::string redact_known(std::string_view text);
// redact_known() plus anything shaped like a credential.
std::string redact(std::string_view text);

}  // namespace crier
