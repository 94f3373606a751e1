// Compiler-style output: location, severity, message and code, the source line with a
// caret under the span, notes, then fix-its (clang's layout).
#include <algorithm>

#include "../text_util.hpp"
#include "writers.hpp"

namespace proxycfg::format {
namespace {

struct Palette {
    bool on;
    const char* bold() const { return on ? "\033[1m" : ""; }
    const char* reset() const { return on ? "\033[0m" : ""; }
    const char* severity(Severity s) const {
        if (!on) return "";
        switch (s) {
            case Severity::error:
                return "\033[1;31m";
            case Severity::warning:
                return "\033[1;35m";
            case Severity::info:
                return "\033[1;36m";
        }
        return "";
    }
    const char* note() const { return on ? "\033[1;36m" : ""; }
    const char* caret() const { return on ? "\033[1;32m" : ""; }
};

void snippet(std::ostream& out, const CheckedFile& file, const SourceSpan& span, const Palette& p) {
    if (!span.valid() || !file.sources || span.file >= file.sources->size()) return;
    const SourceFile& sf = file.sources->file(span.file);
    std::string_view line = sf.line_text(span.line);
    if (line.size() > 240) {
        // Long lines: show a window around the span.
        std::size_t start = span.column > 80 ? span.column - 80 : 0;
        line = line.substr(start, 200);
        SourceSpan shifted = span;
        shifted.column = static_cast<std::uint32_t>(span.column - start);
        std::string num = std::to_string(span.line);
        out << ' ' << num << " | ..." << printable(line) << "...\n";
        out << ' ' << std::string(num.size(), ' ') << " |    "
            << std::string(shifted.column - 1, ' ') << p.caret() << '^' << p.reset() << '\n';
        return;
    }
    std::string num = std::to_string(span.line);
    // Tabs are shown as single spaces so the caret lines up.
    std::string shown = printable(line);
    std::replace(shown.begin(), shown.end(), '\t', ' ');
    out << ' ' << num << " | " << shown << '\n';
    std::size_t col = span.column == 0 ? 1 : span.column;
    std::size_t len = std::max<std::size_t>(span.length, 1);
    if (col - 1 > line.size()) col = line.size() + 1;
    len = std::min(len, line.size() + 1 - (col - 1));
    len = std::max<std::size_t>(len, 1);
    out << ' ' << std::string(num.size(), ' ') << " | " << std::string(col - 1, ' ') << p.caret()
        << '^' << std::string(len - 1, '~') << p.reset() << '\n';
}

}  // namespace

void write_text(std::ostream& out, const std::vector<CheckedFile>& files,
                const FormatOptions& options) {
    Palette p{options.color};
    for (const auto& file : files) {
        for (const auto& d : file.diagnostics) {
            if (file.sources && d.span.file < file.sources->size()) {
                for (const auto& site : file.sources->include_chain(d.span.file)) {
                    out << "In file included from " << location(file, site) << ":\n";
                }
            }
            out << p.bold() << location(file, d.span) << ": " << p.reset() << p.severity(d.severity)
                << to_string(d.severity) << ": " << p.reset() << p.bold() << printable(d.message)
                << p.reset() << " [" << d.code << "]\n";
            snippet(out, file, d.span, p);
            for (const auto& n : d.notes) {
                if (n.span.valid()) out << p.bold() << location(file, n.span) << ": " << p.reset();
                out << p.note() << "note: " << p.reset() << printable(n.message) << '\n';
                snippet(out, file, n.span, p);
            }
            for (const auto& f : d.fixits) {
                // Unsafe ones are applied by `check --fix` only with --unsafe-fixes.
                out << p.note() << (f.unsafe ? "fix-it (unsafe): " : "fix-it: ") << p.reset()
                    << f.description;
                if (f.span.valid()) out << " (" << location(file, f.span) << ")";
                out << '\n';
                std::string_view shown = f.replacement;  // a whole-line insert ends in \n
                if (!shown.empty() && shown.back() == '\n') shown.remove_suffix(1);
                std::string repl = printable(shown);
                if (!repl.empty()) out << "    " << p.caret() << repl << p.reset() << '\n';
            }
        }
    }
    if (!options.rules_hint) return;
    for (const auto& file : files) {
        if (file.diagnostics.empty()) continue;
        out << p.note() << "note: " << p.reset()
            << "'proxyctl rules CODE' explains a code and how to fix it, e.g. 'proxyctl rules "
            << file.diagnostics.front().code << "'\n";
        return;
    }
}

void write_gcc(std::ostream& out, const std::vector<CheckedFile>& files) {
    for (const auto& file : files) {
        for (const auto& d : file.diagnostics) {
            out << location(file, d.span) << ": " << to_string(d.severity) << ": "
                << printable(d.message) << " [" << d.code << "]\n";
            for (const auto& n : d.notes) {
                out << (n.span.valid() ? location(file, n.span) : path_of(file, d.span.file))
                    << ": note: " << printable(n.message) << '\n';
            }
        }
    }
}

const std::string& path_of(const CheckedFile& file, FileId id) {
    return file.path(id);
}

std::string location(const CheckedFile& file, const SourceSpan& span) {
    std::string loc = printable(path_of(file, span.file));
    if (span.line == 0) return loc;
    loc += ':' + std::to_string(span.line);
    if (span.column != 0) loc += ':' + std::to_string(span.column);
    return loc;
}

}  // namespace proxycfg::format

namespace proxycfg {

const std::string& CheckedFile::path(FileId id) const {
    if (!sources || id >= sources->size() || id == 0) return display_path;
    return sources->file(id).path;
}

}  // namespace proxycfg
