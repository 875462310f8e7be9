// Bearer tokens on the HTTP edges (the exporter's API_TOKEN, the relay's RELAY_TOKEN): one constant-time check.
#pragma once

#include <string_view>

namespace observer {

// Compares the whole of both strings whatever their contents, so timing tells nothing about the token.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// True when an Authorization header is exactly "Bearer <token>"; never for an empty token.
bool BearerTokenMatches(std::string_view authorization_header, std::string_view token);

}  // namespace observer
