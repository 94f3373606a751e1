// `system "COMMAND"`: 3proxy runs it with system(3) while it reads the configuration, at
// start and on every reload. proxyd runs a configuration's commands, in file order, each
// time it applies that configuration (before it binds the listeners, as 3proxy's run
// before its services start), and never for a check, --check or a dry run: a command is
// an action, not part of validating a file.
#pragma once

#include "proxycfg/model.hpp"

namespace proxyd {

// Runs every `system` command of `model` through /bin/sh -c and waits for each; its exit
// status (or signal) goes to standard error with `trigger` ("start", "usr1", ...).
void run_system_commands(const proxycfg::Model& model, const char* trigger);

}  // namespace proxyd
