// Output formats for diagnostics: text, gcc, json, sarif, github.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxycfg/ast.hpp"

namespace proxycfg {

enum class OutputFormat : std::uint8_t { text, gcc, json, sarif, github };
bool parse_output_format(std::string_view text, OutputFormat& out);

// One checked input: its sources (for snippets and paths) and its diagnostics.
struct CheckedFile {
    const SourceManager* sources = nullptr;
    std::string display_path;  // path as the user gave it
    Diagnostics diagnostics;
};

struct FormatOptions {
    bool color = false;
    std::string_view tool_version;
};

void write_diagnostics(std::ostream& out, OutputFormat format,
                       const std::vector<CheckedFile>& files, const FormatOptions& options);

// One diagnostic as `check --format json` writes it (docs/schemas/check.schema.json): the
// one encoding, used by check, show and proxyd's reload records alike. A file with no
// sources and no display path gives a diagnostic that belongs to no file (null file).
nlohmann::ordered_json diagnostic_json(const CheckedFile& file, const Diagnostic& d);

}  // namespace proxycfg
