// Which bandwidth limits (`bandlimin`, `bandlimout`) a session is held to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proxycfg/model.hpp"
#include "proxycfg/policy.hpp"

namespace proxycfg {

// Indices into Model::globals.bandlimits, in file order.
struct BandLimitMatch {
    std::vector<std::size_t> in;   // towards the client
    std::vector<std::size_t> out;  // towards the server
    bool empty() const { return in.empty() && out.empty(); }
};

// As 3proxy matches them once a connection is made: per direction, every limit whose ACL
// fields match applies, until the first matching exception, which ends that direction's
// list. Each applying limit is one budget shared by every session it applies to.
BandLimitMatch match_bandlimits(const Model& model, const AccessRequest& request);

// The lowest rate among `limits` (bits per second), 0 for none.
std::uint64_t lowest_rate(const Model& model, const std::vector<std::size_t>& limits);

// "1.5 Mbit/s": a rate in bits per second, as bandlimin/bandlimout give it.
std::string rate_text(std::uint64_t bps);

}  // namespace proxycfg
