// One closer of bench-reload.sh's observed floor: a stand-in for a proxyd worker that does
// nothing but the teardown a reload does to revoked sessions. It opens COUNT sessions of
// two connections each (the client's, whose far end the benchmark watches, and the
// upstream's, held by a target), says "ready", and on a line from standard input shuts
// down every client connection, then closes both sockets of each session, in the order
// proxyd does; then says "done" and waits for standard input to close.
//   teardown_closer OBSERVER_PORT TARGET_PORT COUNT SOURCE_NET FIRST_HOST
// Connections are bound to SOURCE_NET.(host % 254 + 1) with the port picked at connect,
// so TIME_WAIT left by earlier runs cannot exhaust the ephemeral ports.
#include "net_util.hpp"

#include <netinet/in.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace {

bench::Fd connect_from(const std::string& net, unsigned host, std::uint16_t port) {
    bench::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) bench::die("socket");
    int one = 1;
    ::setsockopt(fd.get(), SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    std::string address = net + "." + std::to_string(host % 254 + 1);
    if (::inet_pton(AF_INET, address.c_str(), &from.sin_addr) != 1) bench::die("source address");
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) bench::die("bind");
    auto to = bench::loopback(port);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
        bench::die("connect");
    return fd;
}

bool wait_line() {
    int c;
    while ((c = std::getchar()) != EOF)
        if (c == '\n') return true;
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(
            stderr,
            "usage: teardown_closer OBSERVER_PORT TARGET_PORT COUNT SOURCE_NET FIRST_HOST\n");
        return 2;
    }
    auto observer = static_cast<std::uint16_t>(std::atoi(argv[1]));
    auto target = static_cast<std::uint16_t>(std::atoi(argv[2]));
    auto count = static_cast<std::size_t>(std::atol(argv[3]));
    std::string net = argv[4];
    auto first = static_cast<unsigned>(std::atol(argv[5]));
    std::vector<std::pair<bench::Fd, bench::Fd>> sessions;
    sessions.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        auto host = first + static_cast<unsigned>(i);
        auto client = connect_from(net, host, observer);
        sessions.emplace_back(std::move(client), connect_from(net, host, target));
    }
    std::puts("ready");
    std::fflush(stdout);
    if (!wait_line()) return 1;
    for (auto& s : sessions) ::shutdown(s.first.get(), SHUT_RDWR);
    for (auto& s : sessions) {
        s.first.reset();
        s.second.reset();
    }
    std::puts("done");
    std::fflush(stdout);
    while (wait_line()) {
    }
    return 0;
}
