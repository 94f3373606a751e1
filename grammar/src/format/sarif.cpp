#include "writers.hpp"

namespace proxycfg::format {

void write_sarif(std::ostream& out, const std::vector<CheckedFile>& files, const FormatOptions& options) {
    (void)out;
    (void)files;
    (void)options;
}

}  // namespace proxycfg::format
