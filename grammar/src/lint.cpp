#include "proxycfg/lint.hpp"

#include <algorithm>
#include <future>
#include <iterator>

#include "lint/context.hpp"
#include "proxycfg/resolve.hpp"

namespace proxycfg {
namespace {

// Below this a second thread costs more than it saves.
constexpr std::size_t kParallelLintDirectives = 20000;

}  // namespace

namespace checks {

Diagnostic& Context::report(std::string_view code, SourceSpan span, std::string message) {
    const RuleInfo* rule = find_rule(code);
    Severity severity = rule ? rule->severity : Severity::warning;
    if (severity < options.min_severity || options.disabled.count(std::string(code))) {
        scratch = Diagnostic{};
        return scratch;
    }
    Diagnostic d;
    d.code = std::string(code);
    d.severity = severity;
    d.message = std::move(message);
    d.span = span;
    out.push_back(std::move(d));
    return out.back();
}

long Context::last_service_directive() const {
    return model.services.empty() ? -1 : static_cast<long>(model.services.back().directive);
}

}  // namespace checks

void lint(const ParsedConfig& config, const Model& model, const LintOptions& options,
          Diagnostics& out) {
    // The families only read the parse and the model. On a large configuration the ACL
    // coverage checks (about half the work) run on a second thread; findings are appended
    // in the same order either way, so the output does not depend on it.
    auto coverage = [&] {
        Diagnostics found;
        checks::Context ctx{config, model, options, found};
        checks::check_acl_coverage(ctx);
        return found;
    };
    std::future<Diagnostics> parallel;
    if (config.directives.size() >= kParallelLintDirectives)
        parallel = std::async(std::launch::async, coverage);

    checks::Context ctx{config, model, options, out};
    checks::check_syntax(ctx);
    checks::check_force(ctx);
    checks::check_order(ctx);
    checks::check_users(ctx);
    Diagnostics rest;
    checks::Context tail{config, model, options, rest};
    checks::check_acl(tail);
    checks::check_network(tail);
    checks::check_dialect(tail);

    Diagnostics covered = parallel.valid() ? parallel.get() : coverage();
    out.reserve(out.size() + covered.size() + rest.size());
    std::move(covered.begin(), covered.end(), std::back_inserter(out));
    std::move(rest.begin(), rest.end(), std::back_inserter(out));
}

void apply_suppressions(const ParsedConfig& config, const LintOptions& options,
                        Diagnostics& diags) {
    auto suppressed = [&](const Diagnostic& d) {
        if (options.disabled.count(d.code)) return true;
        for (const auto& s : config.suppressions) {
            if (s.file != d.span.file || (!s.whole_file && s.line != d.span.line)) continue;
            if (std::find(s.codes.begin(), s.codes.end(), d.code) != s.codes.end() ||
                std::find(s.codes.begin(), s.codes.end(), "all") != s.codes.end())
                return true;
        }
        return false;
    };
    diags.erase(std::remove_if(diags.begin(), diags.end(), suppressed), diags.end());
}

namespace {

Loaded finish(ParseResult parse, const LoadOptions& options) {
    Loaded loaded;
    loaded.parse = std::move(parse);
    loaded.diagnostics = loaded.parse.config.diagnostics;
    if (loaded.parse.readable) {
        loaded.model = resolve(loaded.parse.config, loaded.diagnostics);
        lint(loaded.parse.config, loaded.model, options.lint, loaded.diagnostics);
        apply_suppressions(loaded.parse.config, options.lint, loaded.diagnostics);
    }
    sort_diagnostics(loaded.diagnostics);
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
