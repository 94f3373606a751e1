#include "acl_fields.hpp"

#include <tao/pegtl.hpp>

#include <algorithm>

#include "text_util.hpp"

namespace proxycfg {
namespace {

namespace pegtl = tao::pegtl;

// PORTS: N or N-M, comma separated (empty items are dropped, as strtok does). Checked
// by hand rather than with a grammar: nearly every ACL line has a port list.
bool ports_well_formed(std::string_view field) {
    const char* p = field.data();
    const char* end = p + field.size();
    auto digits = [&] {
        const char* start = p;
        while (p < end && *p >= '0' && *p <= '9') ++p;
        return p > start;
    };
    for (;;) {
        if (digits() && p < end && *p == '-') {
            ++p;
            if (!digits()) return false;
        }
        if (p == end) return true;
        if (*p++ != ',') return false;
    }
}

// PERIODS: HH:MM:SS-HH:MM:SS, comma separated.
namespace periods {
struct two_digits : pegtl::rep<2, pegtl::digit> {};
struct clock : pegtl::seq<two_digits, pegtl::one<':'>, two_digits, pegtl::one<':'>, two_digits> {};
struct item : pegtl::seq<clock, pegtl::one<'-'>, clock> {};
struct grammar : pegtl::seq<pegtl::list<item, pegtl::one<','>>, pegtl::eof> {};
}  // namespace periods

// WEEKDAYS: digits 0-7, ranges d1-d2, commas.
namespace weekdays {
struct day : pegtl::range<'0', '7'> {};
struct item : pegtl::seq<day, pegtl::opt<pegtl::one<'-'>, day>> {};
struct grammar : pegtl::seq<pegtl::list<pegtl::opt<item>, pegtl::one<','>>, pegtl::eof> {};
}  // namespace weekdays

std::size_t first_bad_offset(std::string_view field, std::string_view allowed) {
    auto pos = field.find_first_not_of(allowed);
    return pos == std::string_view::npos ? 0 : pos;
}

}  // namespace

void parse_users(std::string_view field, PackedListBuilder<NameCodec>& out) {
    if (field == "*") return;
    for (auto u : split_items(field, ','))
        if (!u.empty()) out.push_back(u);
}

bool parse_sources(std::string_view field, PackedListBuilder<IpRangeCodec>& out, FieldError& err,
                   bool& unusual) {
    if (field == "*") return true;
    std::size_t offset = 0;
    for (auto item : split_items(field, ',')) {
        if (!item.empty()) {
            auto r = parse_ip_range(item);
            if (!r) {
                err = {Rule::PX004, offset, item.size(),
                       "'" + printable(item) +
                           "' is not an IP address, range or CIDR (sources cannot be hostnames; "
                           "3proxy: Invalid IP, IP range or CIDR)"};
                return false;
            }
            unusual |= r->host_bits_set;
            out.push_back(*r);
        }
        offset += item.size() + 1;
    }
    return true;
}

namespace {

// The pattern the lower-cased DST item `t` stands for; its text views `t`.
HostPattern host_pattern(std::string_view t) {
    while (!t.empty() && t.back() == '.') t.remove_suffix(1);
    bool lead = !t.empty() && t.front() == '*';
    bool trail = t.size() > 1 && t.back() == '*';
    if (lead && trail) return {HostPattern::Kind::substring, t.substr(1, t.size() - 2)};
    if (lead) return {HostPattern::Kind::suffix, t.substr(1)};
    if (trail) return {HostPattern::Kind::prefix, t.substr(0, t.size() - 1)};
    return {HostPattern::Kind::exact, t};
}

}  // namespace

void parse_targets(std::string_view field, PackedListBuilder<IpRangeCodec>& addresses,
                   PackedListBuilder<HostPatternCodec>& hosts, bool& unusual) {
    if (field == "*") return;
    std::string lowered;  // reused: the builder copies each pattern's text
    for (auto item : split_items(field, ',')) {
        if (item.empty()) continue;
        if (auto r = parse_ip_range(item)) {
            unusual |= r->host_bits_set;
            addresses.push_back(*r);
        } else {
            unusual |= bare_suffix_pattern(item);
            lowered.assign(item);
            lower_ascii(lowered);
            hosts.push_back(host_pattern(lowered));
        }
    }
}

namespace {

// Whether `field` is a sentence of Grammar; if not, `err` points at its first character
// outside `allowed`, with the message `describe` makes (only built on failure).
template <class Grammar, class Describe>
bool well_formed(std::string_view field, std::string_view allowed, Rule rule, FieldError& err,
                 Describe describe) {
    pegtl::memory_input in(field.data(), field.size(), "");
    if (pegtl::parse<Grammar>(in)) return true;
    err = {rule, first_bad_offset(field, allowed), 1, describe()};
    return false;
}

}  // namespace

bool parse_ports(std::string_view field, PackedListBuilder<FixedCodec<PortRange>>& out,
                 FieldError& err) {
    if (field == "*") return true;
    if (!ports_well_formed(field)) {
        err = {Rule::PX005, first_bad_offset(field, "0123456789,-"), 1,
               "'" + printable(field) +
                   "' is not a port list (write N or N-M, comma separated; "
                   "3proxy: Invalid port or port range)"};
        return false;
    }
    std::size_t offset = 0;
    for (auto item : split_items(field, ',')) {
        if (!item.empty()) {
            auto dash = item.find('-');
            long long a = 0, b = 0;
            parse_int(item.substr(0, dash), a);
            b = a;
            if (dash != std::string_view::npos) parse_int(item.substr(dash + 1), b);
            if (a > 65535 || b > 65535) {
                err = {Rule::PX005, offset, item.size(),
                       "port '" + std::string(item) + "' is above 65535 (3proxy wraps it)"};
                return false;
            }
            if (b < a) {
                err = {Rule::PX005, offset, item.size(),
                       "port range '" + std::string(item) + "' is reversed and matches nothing"};
                return false;
            }
            out.push_back({static_cast<std::uint16_t>(a), static_cast<std::uint16_t>(b)});
        }
        offset += item.size() + 1;
    }
    return true;
}

bool parse_operations(std::string_view field, std::uint32_t& out, FieldError& err) {
    out = 0;
    if (field == "*") return true;
    std::size_t offset = 0;
    for (auto item : split_items(field, ',')) {
        if (!item.empty()) {
            auto bits = operation_from(item);
            if (!bits) {
                std::string msg = "unknown operation '" + printable(item) + "'";
                if (operation_from(to_upper_ascii(item))) {
                    msg += "; operation names are upper case: " + to_upper_ascii(item);
                } else {
                    msg +=
                        " (expected CONNECT, BIND, UDPASSOC, HTTP, HTTPS, HTTP_GET, HTTP_POST, "
                        "HTTP_PUT, HTTP_HEAD, HTTP_CONNECT, HTTP_OTHER, FTP..., ADMIN, "
                        "DNSRESOLVE)";
                }
                err = {Rule::PX006, offset, item.size(), msg};
                return false;
            }
            out |= *bits;
        }
        offset += item.size() + 1;
    }
    return true;
}

bool parse_weekdays(std::string_view field, std::uint8_t& out, FieldError& err) {
    out = 0;
    if (field == "*") return true;
    if (!well_formed<weekdays::grammar>(field, "01234567,-", Rule::PX008, err, [&] {
            return "weekdays '" + printable(field) +
                   "' must be digits 0-7 (0 and 7 are Sunday), ranges and commas; 3proxy "
                   "ignores other characters, so the rule would apply on every day";
        }))
        return false;
    for (auto item : split_items(field, ',')) {
        if (item.empty()) continue;
        int a = item[0] - '0';
        int b = item.size() == 3 ? item[2] - '0' : a;
        if (b < a) {
            err = {Rule::PX008, 0, field.size(),
                   "weekday range '" + std::string(item) + "' is reversed; 3proxy ignores it"};
            return false;
        }
        for (int d = a; d <= b; ++d) out = static_cast<std::uint8_t>(out | (1u << (d % 7)));
    }
    return true;
}

bool parse_periods(std::string_view field, PackedListBuilder<FixedCodec<TimePeriod>>& out,
                   FieldError& err) {
    if (field == "*") return true;
    pegtl::memory_input in(field.data(), field.size(), "");
    auto fail = [&](std::string detail) {
        err = {Rule::PX007, 0, field.size(),
               "time period '" + printable(field) + "' " + detail +
                   "; 3proxy ignores a malformed period and applies the rule at all times"};
        return false;
    };
    if (!pegtl::parse<periods::grammar>(in)) return fail("is not HH:MM:SS-HH:MM:SS");
    for (auto item : split_items(field, ',')) {
        auto seconds = [](std::string_view c) {
            return static_cast<std::uint32_t>((c[0] - '0') * 10 + (c[1] - '0')) * 3600 +
                   static_cast<std::uint32_t>((c[3] - '0') * 10 + (c[4] - '0')) * 60 +
                   static_cast<std::uint32_t>((c[6] - '0') * 10 + (c[7] - '0'));
        };
        auto valid_clock = [](std::string_view c) {
            int h = (c[0] - '0') * 10 + (c[1] - '0');
            int m = (c[3] - '0') * 10 + (c[4] - '0');
            int s = (c[6] - '0') * 10 + (c[7] - '0');
            return (h < 24 && m < 60 && s < 60) || (h == 24 && m == 0 && s == 0);
        };
        auto from = item.substr(0, 8), to = item.substr(9, 8);
        if (!valid_clock(from) || !valid_clock(to)) return fail("has an invalid time of day");
        TimePeriod p{seconds(from), seconds(to)};
        if (p.to <= p.from)
            return fail("ends before it starts (periods cannot wrap past midnight)");
        out.push_back(p);
    }
    return true;
}

}  // namespace proxycfg
