// Output formats for diagnostics: text, gcc, json, sarif, github.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxycfg/ast.hpp"
#include "proxycfg/model_diff.hpp"

namespace proxycfg {

enum class OutputFormat : std::uint8_t { text, gcc, json, sarif, github };
bool parse_output_format(std::string_view text, OutputFormat& out);

// One checked input: its sources (for snippets and paths) and its diagnostics.
struct CheckedFile {
    const SourceManager* sources = nullptr;
    std::string display_path;  // path as the user gave it
    Diagnostics diagnostics;

    // The path a position in file `id` is shown with: the main file (id 0) as the user
    // gave it, an included one as its include line names it.
    const std::string& path(FileId id) const;
};

struct FormatOptions {
    bool color = false;
    std::string_view tool_version;
    // Text format: end with one line that names 'proxyctl rules CODE', for the outputs a
    // person reads after running proxyctl (not proxyd's logs).
    bool rules_hint = false;
};

void write_diagnostics(std::ostream& out, OutputFormat format,
                       const std::vector<CheckedFile>& files, const FormatOptions& options);

// One diagnostic as `check --format json` writes it (docs/schemas/check.schema.json): the
// one encoding, used by check, show and proxyd's reload records alike. A file with no
// sources and no display path gives a diagnostic that belongs to no file (null file).
nlohmann::ordered_json diagnostic_json(const CheckedFile& file, const Diagnostic& d);
// Every diagnostic of `file`, in order, as an array of the above.
nlohmann::ordered_json diagnostics_json(const CheckedFile& file);

// One model change as proxyd's reload records and `proxyctl diff` carry it
// (docs/schemas/control-reply.schema.json): kind, area, subject, before, after, file and
// line, with null for a value that does not exist (no old value when added, no position
// when removed). `file` gives the sources the change's position points into.
nlohmann::ordered_json model_change_json(const CheckedFile& file, const ModelChange& c);

}  // namespace proxycfg
