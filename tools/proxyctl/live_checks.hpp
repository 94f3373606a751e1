// The live family of `proxyctl check` (PX401-PX403): findings about the running proxyd
// rather than the text, asked of its control socket. Silent when no daemon answers, and
// counted in check's exit status only with --live.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "control_client.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycfg/lint.hpp"

namespace proxyctl {

// The daemon's status, or nothing when it cannot be asked within `timeout` (no socket,
// refused, slow, malformed); then `why`, when given, says what went wrong, for people.
std::optional<control::Status> query_live_status(const std::string& socket_option,
                                                 std::chrono::milliseconds timeout,
                                                 std::string* why = nullptr);

// The live family: findings about the running daemon, not about the text. A plain check
// reports them without failing on them (`check && reload` must work on a valid edit).
bool is_live_rule(std::string_view code);

// True when `path` (as given to check) is the configuration the daemon runs.
bool is_daemon_config(const std::string& path, const control::Status& status);

// PX401 per loaded file changed on disk or gone, PX402 after a SIGHUP that left sessions
// on older generations, PX403 after a failed reload unless `loaded` (the files on disk)
// now loads without errors and the failure was about the files' errors: those have been
// fixed since, and PX401 says the fix waits for a reload. A refusal the files do not
// explain (a port proxyd could not bind) is reported until a reload succeeds. Spans point
// into `loaded`'s sources (a file the check did not read, such as one since removed, is
// added to them).
proxycfg::Diagnostics live_diagnostics(const control::Status& status, proxycfg::Loaded& loaded);

}  // namespace proxyctl
