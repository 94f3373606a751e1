// libFuzzer target: the whole configuration pipeline (parse, resolve, lint, suppressions,
// the text report) on one input, entirely in memory.
//
// The input is the main file. A line "#@file NAME" starts an in-memory file NAME that
// runs to the next such line, so `include NAME` and `$NAME` reach text the fuzzer
// controls; any other path is missing. Nothing is read from or written to disk.
#include <cstddef>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "proxycfg/format.hpp"
#include "proxycfg/lint.hpp"

namespace {

constexpr std::string_view kFileMarker = "#@file ";

struct Files {
    std::string main;
    std::map<std::string, std::string, std::less<>> others;
};

Files split(std::string_view input) {
    Files files;
    std::string* current = &files.main;
    while (!input.empty()) {
        std::size_t eol = input.find('\n');
        std::string_view line =
            input.substr(0, eol == std::string_view::npos ? input.size() : eol + 1);
        input.remove_prefix(line.size());
        if (line.starts_with(kFileMarker)) {
            std::string_view name = line.substr(kFileMarker.size());
            while (!name.empty() && (name.back() == '\n' || name.back() == '\r'))
                name.remove_suffix(1);
            current = &files.others[std::string(name)];
            current->clear();  // a repeated name: the last definition wins
            continue;
        }
        current->append(line);
    }
    return files;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Files files = split({reinterpret_cast<const char*>(data), size});
    proxycfg::LoadOptions options;
    options.parse.read_file = [&files](const std::string& path, std::string& text,
                                       std::string& error) {
        auto it = files.others.find(path);
        if (it == files.others.end()) {
            error = "No such file or directory";
            return false;
        }
        text = it->second;
        return true;
    };
    // One dialect's rules per input, chosen by the length's parity: both get fuzzed, and
    // each execution does half the work (and touches half the features libFuzzer must
    // book-keep) of linting twice.
    options.lint.dialect = size % 2 ? proxycfg::Dialect::threeproxy : proxycfg::Dialect::proxyd;
    proxycfg::Loaded loaded =
        proxycfg::load_config_text("main.cfg", std::move(files.main), options);

    // The report reads every diagnostic's span back out of the sources.
    std::ostringstream report;
    proxycfg::CheckedFile file;
    file.sources = loaded.parse.config.sources.get();
    file.display_path = "main.cfg";
    file.diagnostics = std::move(loaded.diagnostics);
    proxycfg::write_diagnostics(report, proxycfg::OutputFormat::text, {file}, {});
    return 0;
}
