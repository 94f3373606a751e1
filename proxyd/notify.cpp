#include "notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace proxyd {

std::optional<SystemdNotifier> SystemdNotifier::from_environment() {
    const char* env = std::getenv("NOTIFY_SOCKET");
    if (!env || (env[0] != '/' && env[0] != '@')) return std::nullopt;
    std::string address = env;
    if (address.size() >= sizeof(sockaddr_un::sun_path)) return std::nullopt;
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return std::nullopt;
    return SystemdNotifier(std::move(fd), std::move(address));
}

void SystemdNotifier::reloading() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool SystemdNotifier::send(std::string_view state) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, address_.data(), address_.size());
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
    return ::sendto(fd_.get(), state.data(), state.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&addr),
                    len) == static_cast<ssize_t>(state.size());
}

}  // namespace proxyd
