#include "proxycfg/format.hpp"

#include "writers.hpp"

namespace proxycfg {

bool parse_output_format(std::string_view text, OutputFormat& out) {
    if (text == "text")
        out = OutputFormat::text;
    else if (text == "gcc")
        out = OutputFormat::gcc;
    else if (text == "json")
        out = OutputFormat::json;
    else if (text == "sarif")
        out = OutputFormat::sarif;
    else if (text == "github")
        out = OutputFormat::github;
    else
        return false;
    return true;
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
