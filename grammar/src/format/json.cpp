// Machine-readable output: one object per run, files in the order given, each with its
// diagnostics (notes and fix-its included) and a summary of counts by severity.
// Schema (version 1):
//   {"version":1,
//    "files":[{"path":P,"diagnostics":[{"code","severity","message","file","line","column",
//               "length","notes":[{"file","line","column","message"}],
//               "fixits":[{"file","line","column","length","replacement","description"}]}]}],
//    "summary":{"errors":N,"warnings":N,"infos":N}}
// A diagnostic without a position (an unreadable file) has line and column 0.
#include <nlohmann/json.hpp>

#include "utf8_clean.hpp"
#include "writers.hpp"

namespace proxycfg::format {
namespace {

using Json = nlohmann::ordered_json;

Json note_json(const CheckedFile& file, const Note& n) {
    Json j;
    j["file"] = utf8_clean(path_of(file, n.span.file));
    j["line"] = n.span.line;
    j["column"] = n.span.column;
    j["message"] = utf8_clean(n.message);
    return j;
}

Json fixit_json(const CheckedFile& file, const FixIt& f) {
    Json j;
    j["file"] = utf8_clean(path_of(file, f.span.file));
    j["line"] = f.span.line;
    j["column"] = f.span.column;
    j["length"] = f.span.length;
    j["replacement"] = utf8_clean(f.replacement);
    j["description"] = utf8_clean(f.description);
    return j;
}

}  // namespace

void write_json(std::ostream& out, const std::vector<CheckedFile>& files) {
    std::size_t errors = 0, warnings = 0, infos = 0;
    Json jfiles = Json::array();
    for (const auto& file : files) {
        Json diags = Json::array();
        for (const auto& d : file.diagnostics) {
            switch (d.severity) {
                case Severity::error:
                    ++errors;
                    break;
                case Severity::warning:
                    ++warnings;
                    break;
                case Severity::info:
                    ++infos;
                    break;
            }
            Json j;
            j["code"] = d.code;
            j["severity"] = to_string(d.severity);
            j["message"] = utf8_clean(d.message);
            j["file"] = utf8_clean(path_of(file, d.span.file));
            j["line"] = d.span.line;
            j["column"] = d.span.column;
            j["length"] = d.span.length;
            j["notes"] = Json::array();
            for (const auto& n : d.notes) j["notes"].push_back(note_json(file, n));
            j["fixits"] = Json::array();
            for (const auto& f : d.fixits) j["fixits"].push_back(fixit_json(file, f));
            diags.push_back(std::move(j));
        }
        Json jf;
        jf["path"] = utf8_clean(file.display_path);
        jf["diagnostics"] = std::move(diags);
        jfiles.push_back(std::move(jf));
    }
    Json root;
    root["version"] = 1;
    root["files"] = std::move(jfiles);
    root["summary"] = {{"errors", errors}, {"warnings", warnings}, {"infos", infos}};
    // utf8_clean already made every string valid; replace is the backstop, never a throw.
    out << root.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

}  // namespace proxycfg::format
