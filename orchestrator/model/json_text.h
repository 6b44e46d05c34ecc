#pragma once
/// Text into JSON, the one way: strings that are not valid UTF-8 (a step's output, a captured
/// value, `${env.X}`, argv) are carried with each invalid sequence replaced by U+FFFD instead of
/// making nlohmann::json throw half-way through a document.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace gw {

/// The length of the well-formed UTF-8 sequence starting at s[i] (1 for ASCII), or 0 when it is
/// ill-formed (overlong, a surrogate, past U+10FFFF, or cut short by the end of `s`).
size_t utf8_sequence_length(std::string_view s, size_t i);

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view s);

/// `s` with every ill-formed UTF-8 sequence replaced by U+FFFD; valid text is returned unchanged.
std::string valid_utf8(std::string_view s);

/// Serializes `j` like j.dump(indent), except that invalid UTF-8 in its strings becomes U+FFFD
/// (never an exception). Use this wherever text becomes JSON.
std::string json_dump(const nlohmann::json& j, int indent = -1);

/// Appends `s` as a JSON string literal, byte for byte as json_dump would write it.
void append_json_string(std::string& out, std::string_view s);

}  // namespace gw
