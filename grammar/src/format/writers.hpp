// One writer per output format; format.cpp dispatches to them.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "proxycfg/format.hpp"

namespace proxycfg::format {

void write_text(std::ostream& out, const std::vector<CheckedFile>& files,
                const FormatOptions& options);
void write_gcc(std::ostream& out, const std::vector<CheckedFile>& files);
void write_json(std::ostream& out, const std::vector<CheckedFile>& files);
void write_sarif(std::ostream& out, const std::vector<CheckedFile>& files,
                 const FormatOptions& options);
void write_github(std::ostream& out, const std::vector<CheckedFile>& files);

// "path:line:col" of a span, using the file's display path for the main file.
std::string location(const CheckedFile& file, const SourceSpan& span);
const std::string& path_of(const CheckedFile& file, FileId id);

}  // namespace proxycfg::format
