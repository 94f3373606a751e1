#include "fix_apply.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace proxyctl {
namespace {

using proxycfg::FileId;

bool overlaps(const TextEdit& a, const TextEdit& b) {
    // Two insertions at one place would depend on which goes first.
    if (a.length == 0 && b.length == 0) return a.offset == b.offset;
    if (a.length == 0) return a.offset > b.offset && a.offset < b.offset + b.length;
    if (b.length == 0) return b.offset > a.offset && b.offset < a.offset + a.length;
    return a.offset < b.offset + b.length && b.offset < a.offset + a.length;
}

bool overlaps(const Fix& a, const Fix& b) {
    for (const auto& [fa, ea] : a.edits)
        for (const auto& [fb, eb] : b.edits)
            if (fa == fb && overlaps(ea, eb)) return true;
    return false;
}

bool uses_crlf(std::string_view text) {
    auto nl = text.find('\n');
    return nl != std::string::npos && nl > 0 && text[nl - 1] == '\r';
}

std::string with_crlf(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
        out += s[i];
    }
    return out;
}

}  // namespace

std::pair<FileId, std::size_t> first_position(const Fix& f) {
    auto first = std::make_pair(f.edits.front().first, f.edits.front().second.offset);
    for (const auto& [file, edit] : f.edits) first = std::min(first, {file, edit.offset});
    return first;
}

std::optional<Fix> fix_of(const proxycfg::SourceManager& sources, const proxycfg::Diagnostic& d) {
    if (d.fixits.empty()) return std::nullopt;
    Fix fix;
    fix.code = d.code;
    fix.at = d.span;
    for (const auto& f : d.fixits) {
        const auto& s = f.span;
        if (!s.valid() || s.column == 0 || s.file >= sources.size()) return std::nullopt;
        const proxycfg::SourceFile& file = sources.file(s.file);
        if (s.line > file.line_count()) return std::nullopt;
        std::size_t offset = std::size_t{file.line_offsets[s.line - 1]} + s.column - 1;
        if (offset + s.length > file.text.size()) return std::nullopt;
        fix.unsafe = fix.unsafe || f.unsafe;
        fix.edits.push_back({s.file, {offset, s.length, f.replacement}});
    }
    for (std::size_t i = 0; i < fix.edits.size(); ++i)
        for (std::size_t j = i + 1; j < fix.edits.size(); ++j)
            if (fix.edits[i].first == fix.edits[j].first &&
                overlaps(fix.edits[i].second, fix.edits[j].second))
                return std::nullopt;
    return fix;
}

Selection select_fixes(const std::vector<Fix>& fixes, bool unsafe_allowed) {
    std::vector<std::size_t> order(fixes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&fixes](std::size_t a, std::size_t b) {
        return first_position(fixes[a]) < first_position(fixes[b]);
    });
    Selection out;
    for (std::size_t i : order) {
        if (fixes[i].unsafe && !unsafe_allowed) {
            out.unsafe.push_back(i);
            continue;
        }
        bool clash = std::any_of(out.picked.begin(), out.picked.end(),
                                 [&](std::size_t p) { return overlaps(fixes[p], fixes[i]); });
        (clash ? out.overlapping : out.picked).push_back(i);
    }
    return out;
}

std::string apply_edits(std::string_view text, std::vector<TextEdit> edits) {
    // Insertions before a replacement at the same offset; otherwise the order given.
    std::stable_sort(edits.begin(), edits.end(), [](const TextEdit& a, const TextEdit& b) {
        return std::make_tuple(a.offset, a.length != 0) < std::make_tuple(b.offset, b.length != 0);
    });
    const bool crlf = uses_crlf(text);
    std::string out;
    out.reserve(text.size() + 64);
    std::size_t cursor = 0;
    for (const auto& e : edits) {
        if (e.offset < cursor || e.offset + e.length > text.size()) continue;  // overlapping
        out.append(text, cursor, e.offset - cursor);
        out += crlf ? with_crlf(e.replacement) : e.replacement;
        cursor = e.offset + e.length;
    }
    out.append(text, cursor, std::string::npos);
    if (!text.empty() && text.back() == '\n' && !out.empty() && out.back() != '\n')
        out += crlf ? "\r\n" : "\n";
    return out;
}

FixResult apply_fixes(const proxycfg::SourceManager& sources, const proxycfg::Diagnostics& diags,
                      bool unsafe_allowed) {
    std::vector<Fix> fixes;
    for (const auto& d : diags)
        if (auto f = fix_of(sources, d)) fixes.push_back(std::move(*f));
    Selection selection = select_fixes(fixes, unsafe_allowed);
    FixResult result;
    for (std::size_t i : selection.picked) result.applied.push_back(fixes[i]);
    for (std::size_t i : selection.unsafe) result.unsafe.push_back(fixes[i]);
    for (std::size_t i : selection.overlapping) result.overlapping.push_back(fixes[i]);
    std::map<FileId, std::vector<TextEdit>> by_file;
    for (std::size_t i : selection.picked)
        for (const auto& [file, edit] : fixes[i].edits) by_file[file].push_back(edit);
    for (auto& [file, edits] : by_file) {
        std::string_view before = sources.file(file).text;
        std::string after = apply_edits(before, std::move(edits));
        if (after != before) result.texts.emplace(file, std::move(after));
    }
    return result;
}

}  // namespace proxyctl
