#include "system_command.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "proxycfg/util.hpp"

extern char** environ;

namespace proxyd {

namespace {

// The status of one finished command, as the journal shows it.
std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

}  // namespace

void run_system_commands(const proxycfg::Model& model, const char* trigger) {
    for (const auto& command : model.globals.system_commands) {
        std::string shown = proxycfg::printable(command.value);
        const char* argv[] = {"sh", "-c", command.value.c_str(), nullptr};
        pid_t pid = 0;
        // posix_spawn, not system(3): no SIGCHLD or SIGINT games in a threaded daemon. The
        // command gets the signal state of a fresh process, not the daemon's (which blocks
        // its signals for sigwait and ignores SIGPIPE).
        posix_spawnattr_t attr;
        ::posix_spawnattr_init(&attr);
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        ::posix_spawnattr_setsigmask(&attr, &none);
        ::posix_spawnattr_setsigdefault(&attr, &defaults);
        ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        int err = ::posix_spawn(&pid, "/bin/sh", nullptr, &attr, const_cast<char**>(argv), environ);
        ::posix_spawnattr_destroy(&attr);
        if (err != 0) {
            std::fprintf(stderr, "proxyd: system \"%s\" (%s): cannot run: %s\n", shown.c_str(),
                         trigger, std::strerror(err));
            continue;
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        std::fprintf(stderr, "proxyd: system \"%s\" (%s): %s\n", shown.c_str(), trigger,
                     describe_status(status).c_str());
    }
}

}  // namespace proxyd
