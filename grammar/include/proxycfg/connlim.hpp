// Which connection limits a request falls under (`connlim`, `noconnlim`). As in 3proxy the
// global list is walked in file order: every matching connlim applies, each with one
// budget shared by everything it matches (not one per user or per address), and a
// matching noconnlim ends the walk. Counting is the daemon's job (proxyd/conn_limiter.hpp).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "proxycfg/model.hpp"
#include "proxycfg/policy.hpp"

namespace proxycfg {

// Indices into `limits` of the connlim lines that apply to `request`, in file order;
// empty when none matches before a matching noconnlim.
std::vector<std::size_t> applicable_connlims(std::span<const ConnLimit> limits,
                                             const AccessRequest& request);

}  // namespace proxycfg
