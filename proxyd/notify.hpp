// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram per state
// change to the AF_UNIX socket named by NOTIFY_SOCKET ('@' starts an abstract name).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fd.hpp"

namespace proxyd {

class SystemdNotifier {
  public:
    // nullopt when NOTIFY_SOCKET is unset or unusable: not started by systemd.
    static std::optional<SystemdNotifier> from_environment();

    void ready() { send("READY=1"); }
    // RELOADING=1 must carry MONOTONIC_USEC for Type=notify-reload to accept it.
    void reloading();
    void stopping() { send("STOPPING=1"); }
    bool send(std::string_view state);

  private:
    SystemdNotifier(UniqueFd fd, std::string address)
        : fd_(std::move(fd)), address_(std::move(address)) {}
    UniqueFd fd_;
    std::string address_;
};

}  // namespace proxyd
