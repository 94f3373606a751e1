// The documentation of a rule in three shapes from one table row: a terminal page, a
// Markdown page (docs/rules/, generated, compared by a test) and SARIF's help.
#include "proxycfg/rule_docs.hpp"

#include <cstdint>
#include <vector>

#include "proxycfg/diagnostic.hpp"

namespace proxycfg {
namespace {

std::vector<std::string_view> paragraphs(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        std::size_t end = text.find("\n\n");
        out.push_back(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 2);
    }
    return out;
}

// Fills lines up to `width` columns; the first starts with `first`, the others with
// `indent`. A word longer than a line gets a line of its own.
std::string wrap(std::string_view text, std::size_t width, std::string_view first,
                 std::string_view indent) {
    std::string out(first);
    std::size_t column = first.size();
    bool line_empty = true;
    while (!text.empty()) {
        std::size_t space = text.find(' ');
        std::string_view word = text.substr(0, space);
        text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        if (word.empty()) continue;
        if (!line_empty && column + 1 + word.size() > width) {
            out += '\n';
            out += indent;
            column = indent.size();
            line_empty = true;
        }
        if (!line_empty) {
            out += ' ';
            ++column;
        }
        out += word;
        column += word.size();
        line_empty = false;
    }
    out += '\n';
    return out;
}

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence(std::string_view s) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char lead = byte(0);
    std::size_t n = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
    if (n == 0 || lead > 0xf4 || s.size() < n) return 0;
    for (std::size_t i = 1; i < n; ++i)
        if ((byte(i) & 0xc0) != 0x80) return 0;
    // Overlong forms, surrogates and code points above U+10FFFF.
    if (lead == 0xe0 && byte(1) < 0xa0) return 0;
    if (lead == 0xed && byte(1) >= 0xa0) return 0;
    if (lead == 0xf0 && byte(1) < 0x90) return 0;
    if (lead == 0xf4 && byte(1) >= 0x90) return 0;
    return n;
}

std::string_view family_title(char digit) {
    switch (digit) {
        case '0':
            return "0xx: syntax and file hygiene";
        case '1':
            return "1xx: order and positional state";
        case '2':
            return "2xx: auth, users and ACLs";
        case '3':
            return "3xx: services and network";
        case '4':
            return "4xx: the running daemon";
        case '5':
            return "5xx: dialect";
        default:
            return "Other";
    }
}

// Plain text in Markdown: the characters that would start emphasis, code, links, HTML,
// math or tables are escaped, so '*example.com' and '$1$salt$hash' show as written.
std::string md(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (std::string_view("\\`*_[]<>$|~").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

std::string md_paragraphs(std::string_view text) {
    std::string out;
    for (auto p : paragraphs(text)) out += md(p) + "\n\n";
    return out;
}

void md_example(std::string& out, std::string_view title, std::string_view example) {
    std::string shown = shown_example(example);
    if (!shown.empty() && shown.back() != '\n') shown += '\n';
    out += "## " + std::string(title) + "\n\n```\n" + shown + "```\n\n";
    if (!example.empty() && example.back() != '\n') out += "The file ends without a newline.\n\n";
}

void text_example(std::string& out, std::string_view title, std::string_view example) {
    out += std::string(title) + ":\n";
    std::string shown = shown_example(example);
    std::size_t start = 0;
    while (start < shown.size()) {
        std::size_t end = shown.find('\n', start);
        if (end == std::string::npos) end = shown.size();
        out += "    " + shown.substr(start, end - start) + '\n';
        start = end + 1;
    }
    if (!example.empty() && example.back() != '\n')
        out += "    (the file ends without a newline)\n";
    out += '\n';
}

std::string suppression(const RuleInfo& r) {
    return "Run `proxyctl check --disable " + std::string(r.code) +
           "`, or write `# proxyctl: disable=" + std::string(r.code) +
           "` on the line above the finding.";
}

}  // namespace

std::string rule_url(const RuleInfo& rule) {
    return std::string(kRuleDocsBaseUrl) + std::string(rule.code) + ".md";
}

std::string shown_example(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    while (!text.empty()) {
        auto c = static_cast<unsigned char>(text[0]);
        std::size_t n = c >= 0x80 ? utf8_sequence(text) : 1;
        bool bom = text.substr(0, 3) == "\xef\xbb\xbf";
        if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f) || (n > 1 && !bom)) {
            out.append(text.substr(0, n));
            text.remove_prefix(n);
            continue;
        }
        if (c == '\r') {
            out += "\\r";
        } else if (c == 0) {
            out += "\\0";
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
        text.remove_prefix(1);
    }
    return out;
}

// What `proxyctl check --fix` does with the rule's fix-its; empty for a rule without any.
static std::string autofix_sentence(Rule rule) {
    switch (fix_safety(rule)) {
        case FixSafety::safe:
            return "Its fix-it is safe: 'proxyctl check --fix' applies it.";
        case FixSafety::unsafe:
            return "Its fix-it is unsafe (it changes which requests are allowed or how sessions "
                   "are treated): 'proxyctl check --fix' applies it only with --unsafe-fixes.";
        case FixSafety::depends:
            return "Its fix-it is safe when it changes no service, else unsafe: 'proxyctl check "
                   "--fix' applies the safe form, --unsafe-fixes also the other.";
        case FixSafety::none:
            break;
    }
    return "";
}

std::string rule_text(const RuleInfo& r, std::size_t width) {
    std::string out = std::string(r.code) + "  " + std::string(r.name) + "  (" +
                      std::string(to_string(r.severity)) + ")\n";
    out += wrap(r.summary, width, "", "") + '\n';
    for (auto p : paragraphs(r.help)) out += wrap(p, width, "", "") + '\n';
    if (r.no_example.empty()) {
        text_example(out, "Reported for", r.example);
        text_example(out, "Not reported for", r.near_miss);
    } else {
        out += wrap("No example: " + std::string(r.no_example) + ".", width, "", "") + '\n';
    }
    out += wrap(r.fix, width, "Fix: ", "     ") + '\n';
    if (auto fix = autofix_sentence(r.rule); !fix.empty())
        out += wrap(fix, width, "     ", "     ") + '\n';
    out +=
        "Switch it off for a run, or for the line below such a comment:\n"
        "    proxyctl check --disable " +
        std::string(r.code) + "\n    # proxyctl: disable=" + std::string(r.code) + "\n\n";
    out += "Page: " + rule_url(r) + '\n';
    return out;
}

std::string rule_markdown(const RuleInfo& r, bool page) {
    std::string out;
    if (page) {
        out += "# " + std::string(r.code) + " " + std::string(r.name) + "\n\n";
        out += "**" + md(r.summary) + "**\n\n";
        out += "Severity: " + std::string(to_string(r.severity)) + "\n\n";
    }
    out += md_paragraphs(r.help);
    if (r.no_example.empty()) {
        md_example(out, "Reported for", r.example);
        md_example(out, "Not reported for", r.near_miss);
    } else {
        out += "## Example\n\nNone: " + md(r.no_example) + ".\n\n";
    }
    out += "## Fix\n\n" + md(r.fix) + "\n\n";
    if (auto fix = autofix_sentence(r.rule); !fix.empty()) out += md(fix) + "\n\n";
    out += "## Switching it off\n\n" + suppression(r) + "\n";
    if (page) {
        out += "\n---\n\nGenerated from the rule table by `proxyctl rules --markdown " +
               std::string(r.code) + "`; `scripts/gen-rule-docs.sh` writes every page.\n";
    }
    return out;
}

std::string rules_index_markdown() {
    std::string out =
        "# Diagnostic codes\n\n"
        "Every code `proxyctl check` reports, with a page that explains it. `proxyctl rules` "
        "lists them, `proxyctl rules CODE` prints a page in the terminal.\n\n"
        "Generated from the rule table by `proxyctl rules --markdown`; "
        "`scripts/gen-rule-docs.sh` writes every page.\n";
    char family = 0;
    for (const auto& r : all_rules()) {
        char digit = r.code.size() > 2 ? r.code[2] : 0;
        if (digit != family) {
            family = digit;
            out += "\n## " + std::string(family_title(digit)) + "\n\n";
            out += "| Code | Name | Severity | Summary |\n|---|---|---|---|\n";
        }
        out += "| [" + std::string(r.code) + "](" + std::string(r.code) + ".md) | " + md(r.name) +
               " | " + std::string(to_string(r.severity)) + " | " + md(r.summary) + " |\n";
    }
    return out;
}

}  // namespace proxycfg
