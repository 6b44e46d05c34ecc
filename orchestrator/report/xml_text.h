#pragma once
/// Text inside XML documents (the JUnit drill report, the SVG pictures).
#include <string>
#include <string_view>

namespace gw {

/// `s` with &, <, >, " and ' as entities, invalid UTF-8 replaced (valid_utf8) and the control
/// characters XML 1.0 cannot hold (all below 0x20 but tab, newline, carriage return) dropped.
std::string xml_escape(std::string_view s);

}  // namespace gw
