#include "proxycfg/format.hpp"

#include <utility>

#include "writers.hpp"

namespace proxycfg {

bool parse_output_format(std::string_view text, OutputFormat& out) {
    static constexpr std::pair<std::string_view, OutputFormat> names[] = {
        {"text", OutputFormat::text},     {"gcc", OutputFormat::gcc},
        {"json", OutputFormat::json},     {"sarif", OutputFormat::sarif},
        {"github", OutputFormat::github},
    };
    for (const auto& [name, format] : names)
        if (name == text) {
            out = format;
            return true;
        }
    return false;
}

void write_diagnostics(std::ostream& out, OutputFormat format,
                       const std::vector<CheckedFile>& files, const FormatOptions& options) {
    switch (format) {
        case OutputFormat::text:
            return format::write_text(out, files, options);
        case OutputFormat::gcc:
            return format::write_gcc(out, files);
        case OutputFormat::json:
            return format::write_json(out, files);
        case OutputFormat::sarif:
            return format::write_sarif(out, files, options);
        case OutputFormat::github:
            return format::write_github(out, files);
    }
}

}  // namespace proxycfg
