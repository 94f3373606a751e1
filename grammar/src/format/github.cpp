#include "writers.hpp"

namespace proxycfg::format {

void write_github(std::ostream& out, const std::vector<CheckedFile>& files) {
    (void)out;
    (void)files;
}

}  // namespace proxycfg::format
