#include "proxycfg/lint.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <future>
#include <iterator>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <vector>

#include <sys/stat.h>

#include "heap.hpp"
#include "lint/context.hpp"
#include "proxycfg/resolve.hpp"

namespace proxycfg {
namespace {

// Below this a second thread costs more than it saves.
constexpr std::size_t kParallelLintDirectives = 20000;

}  // namespace

namespace checks {

Diagnostic& Context::report(Rule rule, SourceSpan span, std::string message) {
    const RuleInfo& info = rule_info(rule);
    if (info.severity < options.min_severity || options.disabled.count(std::string(info.code))) {
        scratch = Diagnostic{};
        return scratch;
    }
    if (fold) fold->settle(out);  // the last finding is complete now
    out.push_back(make_diagnostic(rule, span, std::move(message)));
    return out.back();
}

long Context::last_service_directive() const {
    return model.services.empty() ? -1 : static_cast<long>(model.services.back().directive);
}

}  // namespace checks

namespace {

// lint(), and with `fold` each check's repeats folded as it makes them (RepeatFold): for
// a caller that summarises repeats and has no suppression to apply in between.
void run_checks(const ParsedConfig& config, const Model& model, const LintOptions& options,
                Diagnostics& out, bool fold) {
    // The checks only read the parse and the model. On a large configuration two threads
    // take the next check as they finish one, the costliest first (measured on large
    // generated files), so they end close together whatever the file's mix; each check's
    // findings are appended in step order either way, so the output is the same.
    struct Step {
        void (*check)(checks::Context&);
        // Relative: milliseconds on the two generated one-million-line benchmark files
        // (scripts/bench-check.sh), summed.
        int cost;
    };
    static constexpr Step steps[] = {
        {checks::check_syntax, 29},     {checks::check_force, 8},
        {checks::check_order, 17},      {checks::check_users, 36},
        {checks::check_acl_users, 267}, {checks::check_acl_shadowing, 182},
        {checks::check_acl_auth, 7},    {checks::check_acl_field_forms, 16},
        {checks::check_network, 33},    {checks::check_dialect, 4},
        {checks::check_logformat, 22},
    };
    std::array<std::size_t, std::size(steps)> by_cost;
    std::iota(by_cost.begin(), by_cost.end(), std::size_t{0});
    std::stable_sort(by_cost.begin(), by_cost.end(),
                     [](std::size_t a, std::size_t b) { return steps[a].cost > steps[b].cost; });
    std::vector<Diagnostics> found(std::size(steps));
    std::atomic<std::size_t> next{0};
    auto run = [&] {
        for (std::size_t n; (n = next.fetch_add(1)) < std::size(by_cost);) {
            Diagnostics& step_out = found[by_cost[n]];
            std::optional<RepeatFold> folding;
            if (fold) folding.emplace(options.repeat_limit);
            checks::Context ctx{config,   model, options,
                                step_out, {},    folding ? &*folding : nullptr};
            steps[by_cost[n]].check(ctx);
            if (folding) folding->finish(step_out);
        }
    };
    std::future<void> parallel;
    if (config.directives.size() >= kParallelLintDirectives)
        parallel = std::async(std::launch::async, run);
    run();
    if (parallel.valid()) parallel.get();
    for (auto& f : found) std::move(f.begin(), f.end(), std::back_inserter(out));
}

}  // namespace

void lint(const ParsedConfig& config, const Model& model, const LintOptions& options,
          Diagnostics& out) {
    run_checks(config, model, options, out, false);
}

namespace {

using checks::line_key;

// Whether any of a suppression's codes reaches past its own line (the whole file, or a
// block up to an `enable=`): those are checked against every finding, the others only
// against the findings of their line, so a file with many suppressions and many findings
// is not checked pair by pair.
bool reaches_other_lines(const Suppression& s) {
    return s.whole_file || std::any_of(s.block_end.begin(), s.block_end.end(),
                                       [](std::uint32_t end) { return end != 0; });
}

}  // namespace

void apply_suppressions(const ParsedConfig& config, const LintOptions& options,
                        Diagnostics& diags) {
    std::unordered_multimap<std::uint64_t, const Suppression*> by_line;
    std::vector<const Suppression*> wide;
    for (const auto& s : config.suppressions) {
        by_line.emplace(line_key(s.file, s.line), &s);
        if (reaches_other_lines(s)) wide.push_back(&s);
    }
    auto suppressed = [&](const Diagnostic& d) {
        if (options.disabled.count(d.code)) return true;
        auto [first, last] = by_line.equal_range(line_key(d.span.file, d.span.line));
        for (auto it = first; it != last; ++it)
            if (it->second->covers(d.code, d.span.line)) return true;
        for (const Suppression* s : wide)
            if (s->file == d.span.file && s->covers(d.code, d.span.line)) return true;
        return false;
    };
    diags.erase(std::remove_if(diags.begin(), diags.end(), suppressed), diags.end());
}

namespace {

// Whether this run would have made every finding the suppression could hide: a rule
// switched off or below the severity threshold makes no findings, and the PX4xx ones come
// from a running proxyd later, so a suppression naming one of them cannot be judged.
bool judgeable(const std::string& code, const LintOptions& options) {
    if (code == "all") return options.min_severity <= Severity::info && options.disabled.empty();
    const RuleInfo* rule = find_rule(code);
    if (!rule || rule->rule == Rule::PX029 || code.starts_with("PX4")) return false;
    return rule->severity >= options.min_severity && !options.disabled.count(code);
}

// The span that removes one code from a suppression's list: the word and the comma after
// it, or, for the last word, the comma before it.
SourceSpan code_with_comma(const ParsedConfig& config, const SourceSpan& word) {
    const SourceFile& file = config.file(word.file);
    if (word.line == 0 || word.line > file.line_count()) return word;
    std::string_view text = file.text;
    std::size_t begin = file.line_offsets[word.line - 1] + word.column - 1;
    std::size_t end = begin + word.length;
    SourceSpan span = word;
    if (end < text.size() && text[end] == ',') {
        ++span.length;
    } else if (begin > 0 && text[begin - 1] == ',') {
        --span.column;
        ++span.length;
    }
    return span;
}

// The comment's text without the spaces before it and the newline after it.
SourceSpan comment_text(const ParsedConfig& config, const Suppression& s) {
    SourceSpan span = s.comment;
    const SourceFile& file = config.file(s.file);
    if (span.line == 0 || span.line > file.line_count()) return span;
    std::string_view text = file.text;
    std::size_t begin = file.line_offsets[span.line - 1] + span.column - 1;
    std::size_t end = std::min(text.size(), begin + span.length);
    while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) {
        ++begin;
        ++span.column;
        --span.length;
    }
    while (end > begin && (text[end - 1] == '\n' || text[end - 1] == '\r')) {
        --end;
        --span.length;
    }
    return span;
}

// Where the suppression (or only its code `code`) applies.
std::string where(const Suppression& s, std::optional<std::size_t> code = std::nullopt) {
    if (s.whole_file) return "in this file";
    bool block = code ? *code < s.block_end.size() && s.block_end[*code] != 0
                      : std::any_of(s.block_end.begin(), s.block_end.end(),
                                    [](std::uint32_t end) { return end != 0; });
    if (block) return "in the block it opens";
    if (s.line == s.comment_line) return "on this line";
    return "on line " + std::to_string(s.line);
}

}  // namespace

void report_unused_suppressions(const ParsedConfig& config, const LintOptions& options,
                                Diagnostics& diags) {
    const RuleInfo& unused = rule_info(Rule::PX029);
    if (unused.severity < options.min_severity || options.disabled.count(std::string(unused.code)))
        return;
    Diagnostics found;
    // The findings of each line: a code that covers only its own line looks there.
    std::unordered_multimap<std::uint64_t, const Diagnostic*> findings;
    for (const auto& d : diags) findings.emplace(line_key(d.span.file, d.span.line), &d);
    for (const auto& s : config.suppressions) {
        if (s.codes.empty()) continue;  // PX027 already says it names nothing
        // Per code: judged and found unused.
        std::vector<bool> unused_code(s.codes.size(), false);
        for (std::size_t i = 0; i < s.codes.size(); ++i) {
            if (!judgeable(s.codes[i], options)) continue;
            auto covers = [&](const Diagnostic& d) {
                return d.span.file == s.file && s.code_covers(i, d.code, d.span.line);
            };
            bool wide = s.whole_file || (i < s.block_end.size() && s.block_end[i] != 0);
            if (wide) {
                unused_code[i] = std::none_of(diags.begin(), diags.end(), covers);
            } else {
                auto [first, last] = findings.equal_range(line_key(s.file, s.line));
                unused_code[i] = std::none_of(first, last, [&](const auto& f) { return covers(*f.second); });
            }
        }
        auto unused_count = std::count(unused_code.begin(), unused_code.end(), true);
        if (unused_count == 0) continue;
        if (unused_count < static_cast<long>(s.codes.size())) {
            // The comment does some work: each code that does none is reported on its word.
            for (std::size_t i = 0; i < s.codes.size(); ++i) {
                if (!unused_code[i] || i >= s.code_spans.size()) continue;
                Diagnostic d = make_diagnostic(Rule::PX029, s.code_spans[i],
                                               "'" + s.codes[i] +
                                                   "' in this suppression suppresses nothing: "
                                                   "no such finding " +
                                                   where(s, i) + "; its other codes are used");
                // Safe: a comment, which 3proxy never reads.
                d.fixits.push_back({code_with_comma(config, s.code_spans[i]), "",
                                    "remove " + s.codes[i] + " from the suppression"});
                found.push_back(std::move(d));
            }
            continue;
        }
        std::string codes;
        for (const auto& code : s.codes) codes += (codes.empty() ? "" : ",") + code;
        Diagnostic d = make_diagnostic(
            Rule::PX029, comment_text(config, s),
            "this suppression of " + codes + " suppresses nothing: no such finding " + where(s));
        // Safe: a comment, which 3proxy never reads.
        d.fixits.push_back({s.comment, "", "remove the suppression comment"});
        found.push_back(std::move(d));
    }
    std::move(found.begin(), found.end(), std::back_inserter(diags));
}

namespace {

Loaded finish(ParseResult parse, const LoadOptions& options, HeapWarmer& warmer) {
    Loaded loaded;
    loaded.parse = std::move(parse);
    loaded.diagnostics = loaded.parse.config.diagnostics;
    if (loaded.parse.readable) {
        loaded.model = resolve(loaded.parse.config, loaded.diagnostics, true);
        // The checks allocate little: pages faulted in ahead of them would only add to the
        // peak.
        warmer.stop();
        // Repeats are summarised below; a suppression may remove findings before that, and
        // then which ones are shown depends on all of them.
        bool fold = options.lint.repeat_limit > 0 && loaded.parse.config.suppressions.empty();
        run_checks(loaded.parse.config, loaded.model, options.lint, loaded.diagnostics, fold);
        drop_refused_services(loaded.model);
        report_unused_suppressions(loaded.parse.config, options.lint, loaded.diagnostics);
        apply_suppressions(loaded.parse.config, options.lint, loaded.diagnostics);
    }
    sort_diagnostics(loaded.diagnostics);
    if (options.lint.repeat_limit > 0)
        summarise_repeats(loaded.diagnostics, options.lint.repeat_limit);
    return loaded;
}

}  // namespace

Loaded load_config(const std::string& path, const LoadOptions& options) {
    struct stat st {};
    HeapWarmer warmer(::stat(path.c_str(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0);
    return finish(parse_file(path, options.parse), options, warmer);
}

Loaded load_config_text(std::string name, std::string text, const LoadOptions& options) {
    // An oversized text is refused unread: nothing to warm the heap for.
    HeapWarmer warmer(text.size() > SourceManager::max_file_size ? 0 : text.size());
    return finish(parse_text(std::move(name), std::move(text), options.parse), options, warmer);
}

}  // namespace proxycfg
