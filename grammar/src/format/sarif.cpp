// SARIF 2.1.0 for GitHub code scanning (github/codeql-action/upload-sarif). GitHub needs:
// version, runs[].tool.driver.name and rules, and per result ruleId, level,
// message.text and a physicalLocation with artifactLocation.uri and
// region.startLine/startColumn. Everything else here (ruleIndex, relatedLocations for
// notes, fixes for fix-its) is optional SARIF that code-scanning UIs and editors use.
#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "proxycfg/rule_docs.hpp"
#include "proxycfg/rules.hpp"
#include "utf8_clean.hpp"
#include "writers.hpp"

namespace proxycfg::format {
namespace {

using Json = nlohmann::ordered_json;

// SARIF's levels are error, warning and note.
std::string_view sarif_level(Severity s) {
    return s == Severity::info ? "note" : to_string(s);
}

// A relative path stays relative (GitHub resolves it against the checkout), with forward
// slashes and without a leading "./"; an absolute path becomes a file:// URI. Bytes
// outside RFC 3986's unreserved set (spaces, non-ASCII, '%', ...) are percent-encoded.
std::string artifact_uri(std::string_view path) {
    std::string p(path);
    for (auto& c : p)
        if (c == '\\') c = '/';
    while (p.size() > 2 && p.compare(0, 2, "./") == 0) p.erase(0, 2);
    bool absolute = !p.empty() && p[0] == '/';
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = absolute ? "file://" : "";
    for (char ch : p) {
        auto c = static_cast<unsigned char>(ch);
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == '+' ||
                    c == '@' || c == '=' || c == ',';
        if (keep) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// SARIF lines and columns are 1-based; a diagnostic about a file as a whole (line 0)
// points at its first line. A span may run over the end of its line (a fix-it that
// deletes a whole line with its newline), so the end is computed from byte offsets and
// can land on the next line.
Json region(const CheckedFile& file, const SourceSpan& span, bool empty_allowed) {
    std::uint32_t line = span.line == 0 ? 1 : span.line;
    std::uint32_t column = span.column == 0 ? 1 : span.column;
    Json r;
    r["startLine"] = line;
    r["startColumn"] = column;
    if (span.length == 0 && !empty_allowed) return r;
    std::uint32_t end_line = line;
    std::uint32_t end_column = column + span.length;
    if (file.sources && span.file < file.sources->size() && span.valid()) {
        const SourceFile& sf = file.sources->file(span.file);
        if (line <= sf.line_count() && sf.line_text(line).size() + 1 < end_column) {
            std::uint64_t end = std::uint64_t{sf.line_offsets[line - 1]} + column - 1 + span.length;
            if (end >= sf.text.size() && !sf.text.empty() && sf.text.back() == '\n') {
                // Up to the end of a file that ends with a newline: the empty last line.
                end_line = sf.line_count() + 1;
                end_column = 1;
            } else {
                auto next = std::upper_bound(sf.line_offsets.begin(), sf.line_offsets.end(), end);
                auto index = static_cast<std::uint32_t>(next - sf.line_offsets.begin());
                end_line = index;
                end_column = static_cast<std::uint32_t>(end - sf.line_offsets[index - 1]) + 1;
            }
        }
    }
    if (end_line != line) r["endLine"] = end_line;
    r["endColumn"] = end_column;
    return r;
}

Json physical_location(const CheckedFile& file, const SourceSpan& span) {
    Json loc;
    loc["artifactLocation"]["uri"] = artifact_uri(path_of(file, span.file));
    loc["region"] = region(file, span, false);
    return loc;
}

Json rules_json() {
    Json rules = Json::array();
    for (const auto& r : all_rules()) {
        Json j;
        j["id"] = r.code;
        j["name"] = r.name;
        j["shortDescription"]["text"] = r.summary;
        // The long explanation, then the fix; the Markdown is the rule's page, which the
        // code-scanning UI shows instead of the text.
        j["fullDescription"]["text"] = r.help;
        j["help"]["text"] = std::string(r.help) + "\n\nFix: " + std::string(r.fix);
        j["help"]["markdown"] = rule_markdown(r, false);
        j["helpUri"] = rule_url(r);
        j["defaultConfiguration"]["level"] = sarif_level(r.severity);
        rules.push_back(std::move(j));
    }
    return rules;
}

std::optional<std::size_t> rule_index(std::string_view code) {
    auto rules = all_rules();
    for (std::size_t i = 0; i < rules.size(); ++i)
        if (rules[i].code == code) return i;
    return std::nullopt;
}

Json result_json(const CheckedFile& file, const Diagnostic& d) {
    Json r;
    r["ruleId"] = d.code;
    if (auto index = rule_index(d.code)) r["ruleIndex"] = *index;
    r["level"] = sarif_level(d.severity);
    std::string text = utf8_clean(d.message);
    // Notes without a place of their own have no relatedLocation to live in.
    for (const auto& n : d.notes)
        if (!n.span.valid()) text += "\nnote: " + utf8_clean(n.message);
    r["message"]["text"] = text;
    r["locations"] = Json::array({Json{{"physicalLocation", physical_location(file, d.span)}}});
    Json related = Json::array();
    int id = 1;
    for (const auto& n : d.notes) {
        if (!n.span.valid()) continue;
        Json loc;
        loc["id"] = id++;
        loc["physicalLocation"] = physical_location(file, n.span);
        loc["message"]["text"] = utf8_clean(n.message);
        related.push_back(std::move(loc));
    }
    if (!related.empty()) r["relatedLocations"] = std::move(related);
    Json fixes = Json::array();
    for (const auto& f : d.fixits) {
        if (!f.span.valid()) continue;
        Json replacement;
        replacement["deletedRegion"] = region(file, f.span, true);
        replacement["insertedContent"]["text"] = utf8_clean(f.replacement);
        Json change;
        change["artifactLocation"]["uri"] = artifact_uri(path_of(file, f.span.file));
        change["replacements"] = Json::array({std::move(replacement)});
        Json fix;
        fix["description"]["text"] = utf8_clean(f.description);
        fix["artifactChanges"] = Json::array({std::move(change)});
        // Applied by `proxyctl check --fix` only with --unsafe-fixes.
        fix["properties"]["unsafe"] = f.unsafe;
        fixes.push_back(std::move(fix));
    }
    if (!fixes.empty()) r["fixes"] = std::move(fixes);
    return r;
}

}  // namespace

void write_sarif(std::ostream& out, const std::vector<CheckedFile>& files,
                 const FormatOptions& options) {
    Json driver;
    driver["name"] = "proxyctl";
    if (!options.tool_version.empty()) {
        driver["version"] = std::string(options.tool_version);
        driver["semanticVersion"] = std::string(options.tool_version);
    }
    driver["rules"] = rules_json();

    Json results = Json::array();
    for (const auto& file : files)
        for (const auto& d : file.diagnostics) results.push_back(result_json(file, d));

    Json run;
    run["tool"]["driver"] = std::move(driver);
    // Our columns count bytes; code points is the closest SARIF offers and is exact for
    // the ASCII that configurations are written in.
    run["columnKind"] = "unicodeCodePoints";
    run["results"] = std::move(results);

    Json root;
    root["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
    root["version"] = "2.1.0";
    root["runs"] = Json::array({std::move(run)});
    out << root.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

}  // namespace proxycfg::format
