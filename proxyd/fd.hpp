// Descriptor types of proxyd: UniqueFd (shared with the library) and pipe pairs.
#pragma once

#include "proxycfg/util.hpp"

namespace proxyd {

// The project's one owned-descriptor type.
using proxycfg::UniqueFd;

// Both ends of a pipe(2), used by the splice relay.
struct PipePair {
    UniqueFd read_end;
    UniqueFd write_end;
};

}  // namespace proxyd
