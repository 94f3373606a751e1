// Diagnostics: a stable code, a severity, a message, a span, and optionally notes and
// fix-its. The table of every rule code lives in rules.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/source.hpp"

namespace proxycfg {

enum class Severity : std::uint8_t { info = 0, warning = 1, error = 2 };

std::string_view to_string(Severity s);
bool parse_severity(std::string_view text, Severity& out);

struct Note {
    SourceSpan span;  // may be invalid for a note without location
    std::string message;
};

// Replace span (length 0 = insert before span.column) with replacement.
// A fix-it that inserts a whole line uses column 1, length 0 and ends with "\n".
struct FixIt {
    SourceSpan span;
    std::string replacement;
    std::string description;  // "move 'force' onto its own line above the service"
};

struct Diagnostic {
    std::string code;  // "PX101"
    Severity severity = Severity::error;
    std::string message;
    SourceSpan span;
    std::vector<Note> notes;
    std::vector<FixIt> fixits;
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& diags);

// Stable order for output: file, line, column, code.
void sort_diagnostics(Diagnostics& diags);

}  // namespace proxycfg
