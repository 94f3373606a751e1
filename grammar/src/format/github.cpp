// GitHub Actions workflow commands: one annotation per diagnostic,
//   ::error file=F,line=L,col=C,endColumn=E,title=PX101::message
// Severity maps to error / warning / notice. GitHub's escaping (toolkit's
// escapeData/escapeProperty): '%', CR and LF in the message; additionally ':' and ','
// in property values. Notes and fix-its become further lines of the message, because
// an annotation has no other place for them.
#include "../text_util.hpp"
#include "proxycfg/rules.hpp"
#include "writers.hpp"

namespace proxycfg::format {
namespace {

std::string escape_data(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '%':
                out += "%25";
                break;
            case '\r':
                out += "%0D";
                break;
            case '\n':
                out += "%0A";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string escape_property(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : escape_data(s)) {
        switch (c) {
            case ':':
                out += "%3A";
                break;
            case ',':
                out += "%2C";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// GitHub's workflow commands are error, warning and notice.
std::string_view command(Severity s) {
    return s == Severity::info ? "notice" : to_string(s);
}

}  // namespace

void write_github(std::ostream& out, const std::vector<CheckedFile>& files) {
    for (const auto& file : files) {
        for (const auto& d : file.diagnostics) {
            // Every value goes through printable(): a control byte from the config must
            // not end the command early or smuggle a second one.
            out << "::" << command(d.severity)
                << " file=" << escape_property(printable(path_of(file, d.span.file)));
            if (d.span.line != 0) {
                out << ",line=" << d.span.line;
                if (d.span.column != 0) {
                    out << ",col=" << d.span.column;
                    if (d.span.length > 0) out << ",endColumn=" << d.span.column + d.span.length;
                }
            }
            out << ",title=" << escape_property(printable(d.code));
            std::string message = printable(d.message);
            for (const auto& n : d.notes) {
                message += "\nnote: ";
                if (n.span.valid()) message += location(file, n.span) + ": ";
                message += printable(n.message);
            }
            for (const auto& f : d.fixits) message += "\nfix-it: " + printable(f.description);
            out << "::" << escape_data(message) << '\n';
        }
    }
}

}  // namespace proxycfg::format
