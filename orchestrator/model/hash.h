#pragma once
/// Content hashes for checkpoint keys and keyed fingerprints for secrets.
#include <string>
#include <string_view>

namespace gw {

/// Lower-case hex SHA-256 of data.
std::string sha256_hex(std::string_view data);

/// Lower-case hex HMAC-SHA-256 of data under key: a secret's fingerprint that reveals nothing
/// of its value without the key.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace gw
