// Builds a CheckedFile by hand, so the format tests pin the output layout and do not move
// when a rule's wording changes.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "proxycfg/format.hpp"

namespace testing {

struct FormatFixture {
    std::shared_ptr<proxycfg::SourceManager> sources = std::make_shared<proxycfg::SourceManager>();
    proxycfg::CheckedFile file;

    FormatFixture(std::string path, std::string text) {
        sources->add(path, std::move(text));
        file.sources = sources.get();
        file.display_path = std::move(path);
    }

    proxycfg::Diagnostic& add(std::string code, proxycfg::Severity severity, std::string message,
                              std::uint32_t line, std::uint32_t column, std::uint32_t length) {
        proxycfg::Diagnostic d;
        d.code = std::move(code);
        d.severity = severity;
        d.message = std::move(message);
        d.span = {0, line, column, length};
        file.diagnostics.push_back(std::move(d));
        return file.diagnostics.back();
    }

    std::string render(proxycfg::OutputFormat format, bool color = false,
                       bool rules_hint = false) const {
        std::ostringstream out;
        proxycfg::FormatOptions options;
        options.color = color;
        options.rules_hint = rules_hint;
        options.tool_version = "9.8.7";
        proxycfg::write_diagnostics(out, format, {file}, options);
        return out.str();
    }
};

}  // namespace testing
