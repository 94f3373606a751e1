// Machine-readable output: one object per run, files in the order given, each with its
// diagnostics (notes and fix-its included) and a summary of counts by severity.
// Schema (version 1):
//   {"version":1,
//    "files":[{"path":P,"diagnostics":[{"code","severity","message","file","line","column",
//               "length","notes":[{"file","line","column","message"}],
//               "fixits":[{"file","line","column","length","replacement","description",
//                          "unsafe"}]}]}],
//    "summary":{"errors":N,"warnings":N,"infos":N}}
// A value that does not exist is null: a diagnostic without a position (an unreadable
// file) has null line, column and length; one without a file (a reload's bind failure)
// a null file. docs/schemas/check.schema.json is the published schema.
#include <nlohmann/json.hpp>

#include "utf8_clean.hpp"
#include "writers.hpp"

namespace proxycfg::format {

using Json = nlohmann::ordered_json;

namespace {

Json file_or_null(const CheckedFile& file, const SourceSpan& span) {
    std::string path = utf8_clean(path_of(file, span.file));
    return path.empty() ? Json() : Json(std::move(path));
}

// line, column and length, all null when the span has no position.
void position(Json& j, const SourceSpan& span, bool with_length) {
    bool known = span.line != 0;
    j["line"] = known ? Json(span.line) : Json();
    j["column"] = known ? Json(span.column) : Json();
    if (with_length) j["length"] = known ? Json(span.length) : Json();
}

Json note_json(const CheckedFile& file, const Note& n) {
    Json j;
    j["file"] = file_or_null(file, n.span);
    position(j, n.span, false);
    j["message"] = utf8_clean(n.message);
    return j;
}

Json fixit_json(const CheckedFile& file, const FixIt& f) {
    Json j;
    j["file"] = file_or_null(file, f.span);
    position(j, f.span, true);
    j["replacement"] = utf8_clean(f.replacement);
    j["description"] = utf8_clean(f.description);
    j["unsafe"] = f.unsafe;
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
            diags.push_back(diagnostic_json(file, d));
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

namespace proxycfg {

nlohmann::ordered_json diagnostic_json(const CheckedFile& file, const Diagnostic& d) {
    using format::file_or_null;
    using format::utf8_clean;
    nlohmann::ordered_json j;
    j["code"] = d.code;
    j["severity"] = to_string(d.severity);
    j["message"] = utf8_clean(d.message);
    j["file"] = file_or_null(file, d.span);
    format::position(j, d.span, true);
    j["notes"] = nlohmann::ordered_json::array();
    for (const auto& n : d.notes) j["notes"].push_back(format::note_json(file, n));
    j["fixits"] = nlohmann::ordered_json::array();
    for (const auto& f : d.fixits) j["fixits"].push_back(format::fixit_json(file, f));
    return j;
}

nlohmann::ordered_json diagnostics_json(const CheckedFile& file) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& d : file.diagnostics) out.push_back(diagnostic_json(file, d));
    return out;
}

nlohmann::ordered_json model_change_json(const CheckedFile& file, const ModelChange& c) {
    using format::file_or_null;
    using format::utf8_clean;
    using OrderedJson = nlohmann::ordered_json;
    auto text_or_null = [](const std::string& s) {
        return s.empty() ? OrderedJson() : OrderedJson(utf8_clean(s));
    };
    bool placed = c.span.line != 0;
    OrderedJson j;
    j["kind"] = std::string(to_string(c.kind));
    j["area"] = c.area;
    j["subject"] = utf8_clean(c.subject);
    j["before"] = text_or_null(c.before);
    j["after"] = text_or_null(c.after);
    j["file"] = placed ? file_or_null(file, c.span) : OrderedJson();
    j["line"] = placed ? OrderedJson(c.span.line) : OrderedJson();
    return j;
}

}  // namespace proxycfg
