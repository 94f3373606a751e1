#include "proxycfg/diagnostic.hpp"

#include <algorithm>
#include <tuple>

namespace proxycfg {

std::string_view to_string(Severity s) {
    switch (s) {
        case Severity::info:
            return "info";
        case Severity::warning:
            return "warning";
        case Severity::error:
            return "error";
    }
    return "error";
}

bool parse_severity(std::string_view text, Severity& out) {
    if (text == "info" || text == "note")
        out = Severity::info;
    else if (text == "warning")
        out = Severity::warning;
    else if (text == "error")
        out = Severity::error;
    else
        return false;
    return true;
}

bool has_errors(const Diagnostics& diags) {
    return std::any_of(diags.begin(), diags.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

void sort_diagnostics(Diagnostics& diags) {
    std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.span.file, a.span.line, a.span.column, a.code) <
               std::tie(b.span.file, b.span.line, b.span.column, b.code);
    });
}

}  // namespace proxycfg
