// The reload engine's results in the control protocol's shape: the one place where the
// daemon's own types become the replies proxyctl reads.
#pragma once

#include "proxycontrol/protocol.hpp"
#include "reload.hpp"

namespace proxyd::control_cmd {

control::ReloadRecord reload_record(const ReloadOutcome& outcome);
control::DiffResult diff_result(const DiskDiff& diff);

}  // namespace proxyd::control_cmd
