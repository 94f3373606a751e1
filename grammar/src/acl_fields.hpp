// Grammars of ACL fields and other typed arguments (docs/language.md, "ACL fields").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxycfg/model.hpp"
#include "proxycfg/rules.hpp"

namespace proxycfg {

struct FieldError {
    Rule rule = Rule::PX021;  // PX004, PX005, ...
    std::size_t offset = 0;   // within the field text
    std::size_t length = 0;
    std::string message;
};

// The list parsers append to builders (the lists of a line as the resolver reads it),
// each field of a line once; after a failure, what they appended is to be dropped.

// USERS field: names, comma separated.
void parse_users(std::string_view field, PackedListBuilder<NameCodec>& out);
// SRC field: IP literals, ranges and CIDRs only. `unusual` is set when an item has a
// form the lint rules report (a CIDR block with host bits set).
bool parse_sources(std::string_view field, PackedListBuilder<IpRangeCodec>& out, FieldError& err,
                   bool& unusual);
// A DST item '*name' (not '*.name', not '*name*'): it matches names that end in name,
// but not name itself, which the lint rules report.
inline bool bare_suffix_pattern(std::string_view item) {
    return item.size() >= 2 && item.front() == '*' && item.back() != '*' && item[1] != '.';
}
// DST field: IP forms, anything else is a hostname pattern. `unusual` as for SRC, and
// for a bare_suffix_pattern.
void parse_targets(std::string_view field, PackedListBuilder<IpRangeCodec>& addresses,
                   PackedListBuilder<HostPatternCodec>& hosts, bool& unusual);
bool parse_ports(std::string_view field, PackedListBuilder<FixedCodec<PortRange>>& out,
                 FieldError& err);
bool parse_operations(std::string_view field, std::uint32_t& out, FieldError& err);
bool parse_weekdays(std::string_view field, std::uint8_t& out, FieldError& err);
bool parse_periods(std::string_view field, PackedListBuilder<FixedCodec<TimePeriod>>& out,
                   FieldError& err);

}  // namespace proxycfg
