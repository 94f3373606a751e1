#include "proxycfg/diagnostic.hpp"

#include <algorithm>
#include <tuple>

namespace proxycfg {

Diagnostic make_diagnostic(Rule rule, SourceSpan span, std::string message) {
    return make_diagnostic(rule, rule_info(rule).severity, span, std::move(message));
}

Diagnostic make_diagnostic(Rule rule, Severity severity, SourceSpan span, std::string message) {
    Diagnostic d;
    d.code = std::string(code_of(rule));
    d.severity = severity;
    d.message = std::move(message);
    d.span = span;
    return d;
}

bool has_errors(const Diagnostics& diags) {
    return std::any_of(diags.begin(), diags.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

bool output_before(const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.span.file, a.span.line, a.span.column, a.code) <
           std::tie(b.span.file, b.span.line, b.span.column, b.code);
}

void sort_diagnostics(Diagnostics& diags) {
    std::stable_sort(diags.begin(), diags.end(), output_before);
}

}  // namespace proxycfg
