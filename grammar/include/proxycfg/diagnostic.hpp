// Diagnostics: a stable code, a severity, a message, a span, and optionally notes and
// fix-its. The table of every rule code lives in rules.def (ids in rules.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxycfg/rules.hpp"
#include "proxycfg/source.hpp"

namespace proxycfg {

struct Note {
    SourceSpan span;  // may be invalid for a note without location
    std::string message;
};

// Replace span (length 0 = insert before span.column) with replacement.
// A fix-it that inserts a whole line uses column 1, length 0 and ends with "\n".
// The fix-its of one diagnostic form one fix: they are applied together or not at all.
struct FixIt {
    SourceSpan span;
    std::string replacement;
    std::string description;  // "move 'force' onto its own line above the service"
    // Changes which requests are allowed or how sessions are treated (an ACL, a user, a
    // force flag, a service that starts): `check --fix` applies it only when asked to.
    bool unsafe = false;
};

// What a rule's fix-its are, for `proxyctl rules` and its documentation. Each report site
// sets FixIt::unsafe itself; this is the summary over the rule's sites.
enum class FixSafety : std::uint8_t { none, safe, unsafe, depends };
FixSafety fix_safety(Rule rule);

struct Diagnostic {
    std::string code;  // "PX101"; a string, as it is on the wire (proxyd may know newer codes)
    Severity severity = Severity::error;
    std::string message;
    SourceSpan span;
    std::vector<Note> notes;
    std::vector<FixIt> fixits;
    // Findings of the same kind that a check left out already, as summarise_repeats
    // would have (RepeatFold), for its count: 0 everywhere else.
    std::size_t repeats_folded = 0;

    bool is(Rule rule) const { return code == code_of(rule); }
};

using Diagnostics = std::vector<Diagnostic>;

// The one way a finding is made: the rule's code and default severity, or a severity the
// report site gives explicitly.
Diagnostic make_diagnostic(Rule rule, SourceSpan span, std::string message);
Diagnostic make_diagnostic(Rule rule, Severity severity, SourceSpan span, std::string message);

bool has_errors(const Diagnostics& diags);

// Whether `a` comes before `b` in output order: file, line, column, code.
bool output_before(const Diagnostic& a, const Diagnostic& b);
// Sorts into output order; findings that tie keep the order they were made in.
void sort_diagnostics(Diagnostics& diags);

}  // namespace proxycfg
