// The live family of `proxyctl check` (PX401-PX403): findings about the running proxyd
// rather than the text, asked of its control socket. Silent when no daemon answers.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "control_client.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycfg/lint.hpp"

namespace proxyctl {

// The daemon's status, or nothing when it cannot be asked quickly (no socket, refused,
// slow, malformed): `check` must never wait for or fail on a daemon that is not there.
std::optional<control::Status> query_live_status(const std::string& socket_option,
                                                 std::chrono::milliseconds timeout);

// True when `path` (as given to check) is the configuration the daemon runs.
bool is_daemon_config(const std::string& path, const control::Status& status);

// PX401 per loaded file changed on disk or gone, PX402 after a SIGHUP that left sessions
// on older generations, PX403 after a failed reload. Spans point into `loaded`'s sources
// (a file the check did not read, such as one since removed, is added to them).
proxycfg::Diagnostics live_diagnostics(const control::Status& status, proxycfg::Loaded& loaded);

}  // namespace proxyctl
