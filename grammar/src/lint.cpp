#include "proxycfg/lint.hpp"

#include <algorithm>
#include <future>
#include <iterator>
#include <vector>

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
    out.push_back(make_diagnostic(rule, span, std::move(message)));
    return out.back();
}

long Context::last_service_directive() const {
    return model.services.empty() ? -1 : static_cast<long>(model.services.back().directive);
}

}  // namespace checks

void lint(const ParsedConfig& config, const Model& model, const LintOptions& options,
          Diagnostics& out) {
    // The checks only read the parse and the model. On a large configuration the ones
    // marked `second` run on another thread (about half the work between them); each
    // step's findings are appended in step order either way, so the output is the same.
    struct Step {
        void (*check)(checks::Context&);
        bool second;
    };
    static constexpr Step steps[] = {
        {checks::check_syntax, false},    {checks::check_force, false},
        {checks::check_order, false},     {checks::check_users, false},
        {checks::check_acl_users, true},  {checks::check_acl_shadowing, false},
        {checks::check_acl_auth, false},  {checks::check_acl_field_forms, true},
        {checks::check_network, false},   {checks::check_dialect, false},
        {checks::check_logformat, false},
    };
    std::vector<Diagnostics> found(std::size(steps));
    auto run = [&](bool second) {
        for (std::size_t i = 0; i < std::size(steps); ++i) {
            if (steps[i].second != second) continue;
            checks::Context ctx{config, model, options, found[i]};
            steps[i].check(ctx);
        }
    };
    std::future<void> parallel;
    if (config.directives.size() >= kParallelLintDirectives)
        parallel = std::async(std::launch::async, run, true);
    run(false);
    if (parallel.valid())
        parallel.get();
    else
        run(true);
    for (auto& f : found) std::move(f.begin(), f.end(), std::back_inserter(out));
}

void apply_suppressions(const ParsedConfig& config, const LintOptions& options,
                        Diagnostics& diags) {
    auto suppressed = [&](const Diagnostic& d) {
        if (options.disabled.count(d.code)) return true;
        for (const auto& s : config.suppressions)
            if (s.file == d.span.file && s.covers(d.code, d.span.line)) return true;
        return false;
    };
    diags.erase(std::remove_if(diags.begin(), diags.end(), suppressed), diags.end());
}

namespace {

// Whether this run would have made every finding the suppression could hide: a rule
// switched off or below the severity threshold makes no findings, and the PX4xx ones come
// from a running proxyd later, so a suppression naming one of them cannot be judged.
bool judgeable(const Suppression& s, const LintOptions& options) {
    if (s.codes.empty()) return false;  // PX027 already says it names nothing
    for (const auto& code : s.codes) {
        if (code == "all") {
            if (options.min_severity > Severity::info || !options.disabled.empty()) return false;
            continue;
        }
        const RuleInfo* rule = find_rule(code);
        if (!rule || rule->rule == Rule::PX029 || code.starts_with("PX4")) return false;
        if (rule->severity < options.min_severity || options.disabled.count(code)) return false;
    }
    return true;
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

std::string where(const Suppression& s) {
    if (s.whole_file) return "in this file";
    bool block = std::any_of(s.block_end.begin(), s.block_end.end(),
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
    for (const auto& s : config.suppressions) {
        if (!judgeable(s, options)) continue;
        bool used = std::any_of(diags.begin(), diags.end(), [&s](const Diagnostic& d) {
            return d.span.file == s.file && s.covers(d.code, d.span.line);
        });
        if (used) continue;
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

Loaded finish(ParseResult parse, const LoadOptions& options) {
    Loaded loaded;
    loaded.parse = std::move(parse);
    loaded.diagnostics = loaded.parse.config.diagnostics;
    if (loaded.parse.readable) {
        loaded.model = resolve(loaded.parse.config, loaded.diagnostics, true);
        lint(loaded.parse.config, loaded.model, options.lint, loaded.diagnostics);
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
    return finish(parse_file(path, options.parse), options);
}

Loaded load_config_text(std::string name, std::string text, const LoadOptions& options) {
    return finish(parse_text(std::move(name), std::move(text), options.parse), options);
}

}  // namespace proxycfg
