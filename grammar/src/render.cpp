#include "proxycfg/render.hpp"

#include <cstdio>

namespace proxycfg {
namespace {

unsigned prefix_length(const IpRange& r) {
    // The CIDR length if the range is exactly one, else 0 (not a CIDR).
    std::size_t n = r.first.family == IpAddress::Family::v4 ? 4 : 16;
    unsigned len = 0;
    std::size_t i = 0;
    for (; i < n && r.first.bytes[i] == r.last.bytes[i]; ++i) len += 8;
    if (i == n) return len;
    std::uint8_t a = r.first.bytes[i], b = r.last.bytes[i];
    std::uint8_t diff = static_cast<std::uint8_t>(a ^ b);
    unsigned same = 0;
    while (same < 8 && !(diff & (0x80u >> same))) ++same;
    std::uint8_t host_mask = static_cast<std::uint8_t>(0xFFu >> same);
    if ((a & host_mask) != 0 || (b & host_mask) != host_mask) return 0;
    for (std::size_t k = i + 1; k < n; ++k)
        if (r.first.bytes[k] != 0 || r.last.bytes[k] != 0xFF) return 0;
    return len + same;
}

// Appends "item" or ",item"; written out because GCC 12 warns (-Wrestrict, falsely)
// on `(cond ? "" : ",") + std::string`.
void append_item(std::string& list, const std::string& item, char sep = ',') {
    if (!list.empty()) list.push_back(sep);
    list += item;
}

template <typename List, typename F>
std::string join(const List& items, F render) {
    if (items.empty()) return "*";
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += ',';
        out += render(i);
    }
    return out;
}

}  // namespace

std::string render_ip_range(const IpRange& r) {
    if (r.first == r.last) return r.first.to_string();
    unsigned len = prefix_length(r);
    if (len != 0 || r.is_everything()) return r.first.to_string() + "/" + std::to_string(len);
    return r.first.to_string() + "-" + r.last.to_string();
}

std::string render_auth(std::span<const AuthMethod> methods) {
    std::string out;
    for (auto m : methods) {
        if (!out.empty()) out += ' ';
        out += to_string(m);
    }
    return out;
}

std::string render_acl_entry(const AclEntry& e) {
    std::vector<std::string> fields;
    fields.push_back(join(e.users(), [](std::string_view u) { return std::string(u); }));
    fields.push_back(join(e.sources(), render_ip_range));
    std::string targets;
    for (const auto& a : e.target_addresses()) append_item(targets, render_ip_range(a));
    for (const auto& h : e.target_hosts()) append_item(targets, h.to_string());
    fields.push_back(targets.empty() ? "*" : targets);
    fields.push_back(join(e.ports(), [](const PortRange& p) {
        return p.first == p.last ? std::to_string(p.first)
                                 : std::to_string(p.first) + "-" + std::to_string(p.last);
    }));
    fields.push_back(operations_to_string(e.operations));
    std::string days;
    for (int d = 0; d < 7; ++d)
        if (e.weekdays & (1u << d)) days += static_cast<char>('0' + d);
    fields.push_back(days.empty() ? "*" : days);
    fields.push_back(join(e.periods(), [](const TimePeriod& p) {
        auto clock = [](std::uint32_t s) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%02u:%02u:%02u", s / 3600, (s / 60) % 60, s % 60);
            return std::string(buf);
        };
        return clock(p.from) + "-" + clock(p.to);
    }));
    // Trailing '*' fields are implied.
    while (!fields.empty() && fields.back() == "*") fields.pop_back();
    std::string out(to_string(e.action));
    if (e.action == AclAction::redirect && !e.parents.empty()) {
        out += " " + e.parents.front().host + " " + std::to_string(e.parents.front().port);
    }
    for (const auto& f : fields) out += " " + f;
    return out;
}

}  // namespace proxycfg
