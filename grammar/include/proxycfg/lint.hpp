// The lint rules and the one entry point both binaries use to load a configuration.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "proxycfg/ast.hpp"
#include "proxycfg/model.hpp"
#include "proxycfg/parse.hpp"

namespace proxycfg {

enum class Dialect : std::uint8_t { proxyd, threeproxy };

struct LintOptions {
    Dialect dialect = Dialect::proxyd;
    std::set<std::string> disabled;  // codes switched off by --disable
    // Findings of rules whose severity is below this are not even created: a large file
    // can have hundreds of thousands of info-level findings nobody asked to see.
    Severity min_severity = Severity::info;
    // Findings of one kind shown per file before the rest are summarised (0: all shown).
    std::size_t repeat_limit = 10;
};

// Runs every rule family over a parsed and resolved configuration.
void lint(const ParsedConfig& config, const Model& model, const LintOptions& options,
          Diagnostics& out);

// Removes diagnostics switched off by --disable or by `# proxyctl: disable=` comments.
void apply_suppressions(const ParsedConfig& config, const LintOptions& options, Diagnostics& diags);

// Adds a PX029 finding for each suppression comment that covers none of `diags` (the
// findings before suppressions are applied), when every rule it names was checked.
void report_unused_suppressions(const ParsedConfig& config, const LintOptions& options,
                                Diagnostics& diags);

// Findings beyond `keep` of one kind (same file, code and message apart from quoted names
// and numbers) are dropped; the last one kept gets a note counting them. Expects the
// diagnostics sorted.
void summarise_repeats(Diagnostics& diags, std::size_t keep);

struct LoadOptions {
    ParseOptions parse;
    LintOptions lint;
};

struct Loaded {
    ParseResult parse;
    Model model;
    Diagnostics diagnostics;  // syntax + resolve + lint, suppressions applied, sorted
    bool readable() const { return parse.readable; }
};

// parse + resolve + lint: exactly what `proxyctl check` reports and proxyd loads.
Loaded load_config(const std::string& path, const LoadOptions& options = {});
Loaded load_config_text(std::string name, std::string text, const LoadOptions& options = {});

}  // namespace proxycfg
