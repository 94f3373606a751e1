// Load generator for scripts/bench-proxyd.sh: bulk SOCKS5 throughput against a direct
// connection to the same in-process sink, SOCKS5 connect+auth+echo connections per
// second with N concurrent clients, and N idle established sessions held open while the
// script measures the proxy's RSS. Everything on 127.0.0.1.
//
//   proxyd_bench throughput [--proxy PORT] [--user U --pass P] [--mib N]
//   proxyd_bench rate --proxy PORT [--user U --pass P] [--clients 64] [--seconds 5]
//   proxyd_bench idle --proxy PORT [--user U --pass P] [--count 10000]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "net_util.hpp"

namespace {

using bench::read_exact;
using bench::write_all;

using Clock = std::chrono::steady_clock;

struct Args {
    std::string mode;
    int proxy = 0;  // 0: direct
    std::string user, pass;
    long mib = 2048;
    int clients = 64;
    double seconds = 5;
    int count = 10000;
};

int listen_loopback(std::uint16_t& port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4096) != 0) {
        std::perror("listen");
        std::exit(2);
    }
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

int connect_loopback(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{10, 0};  // every wait is bounded: a stuck session counts as a failure
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// A SOCKS5 CONNECT to 127.0.0.1:target, with RFC 1929 auth when a user is given.
int socks5_connect(const Args& a, std::uint16_t target) {
    int fd = connect_loopback(static_cast<std::uint16_t>(a.proxy));
    if (fd < 0) return -1;
    bool auth = !a.user.empty();
    unsigned char greeting[3] = {5, 1, static_cast<unsigned char>(auth ? 2 : 0)};
    unsigned char reply[10];
    if (!write_all(fd, greeting, 3) || !read_exact(fd, reply, 2) || reply[1] != greeting[2]) {
        ::close(fd);
        return -1;
    }
    if (auth) {
        std::string m;
        m += '\x01';
        m += static_cast<char>(a.user.size());
        m += a.user;
        m += static_cast<char>(a.pass.size());
        m += a.pass;
        if (!write_all(fd, m.data(), m.size()) || !read_exact(fd, reply, 2) || reply[1] != 0) {
            ::close(fd);
            return -1;
        }
    }
    unsigned char req[10] = {5,
                             1,
                             0,
                             1,
                             127,
                             0,
                             0,
                             1,
                             static_cast<unsigned char>(target >> 8),
                             static_cast<unsigned char>(target & 0xFF)};
    if (!write_all(fd, req, 10) || !read_exact(fd, reply, 10) || reply[1] != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

int open_to(const Args& a, std::uint16_t target) {
    return a.proxy ? socks5_connect(a, target) : connect_loopback(target);
}

// Single-threaded epoll echo server: small messages, so writes complete at once.
void echo_loop(int lfd) {
    ::fcntl(lfd, F_SETFL, O_NONBLOCK);  // the accept loop drains until EAGAIN
    int ep = ::epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::vector<epoll_event> events(1024);
    char buf[16384];
    for (;;) {
        int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (fd == lfd) {
                for (int k = 0; k < 64; ++k) {
                    int c = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
                    if (c < 0) break;
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            auto got = ::recv(fd, buf, sizeof buf, 0);
            if (got <= 0) {
                ::close(fd);
                continue;
            }
            ::send(fd, buf, static_cast<std::size_t>(got), MSG_NOSIGNAL);
        }
    }
}

std::uint16_t start_echo_server() {
    std::uint16_t port = 0;
    int lfd = listen_loopback(port);
    std::thread([lfd] { echo_loop(lfd); }).detach();
    return port;
}

// The idle test's echo server runs in a child process: client and server ends of 10,000
// sessions together would exceed a 20,000 fd limit that an unprivileged run cannot lift.
std::uint16_t start_echo_process() {
    std::uint16_t port = 0;
    int lfd = listen_loopback(port);
    if (::fork() == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        echo_loop(lfd);
    }
    ::close(lfd);
    return port;
}

// Sink: reads an 8-byte length, then that many bytes, then acknowledges with one byte.
std::uint16_t start_sink() {
    std::uint16_t port = 0;
    int lfd = listen_loopback(port);
    std::thread([lfd] {
        for (;;) {
            int c = ::accept(lfd, nullptr, nullptr);
            if (c < 0) continue;
            std::thread([c] {
                std::uint64_t want = 0;
                if (read_exact(c, &want, sizeof want)) {
                    std::vector<char> buf(1 << 20);
                    std::uint64_t got = 0;
                    while (got < want) {
                        auto n = ::recv(c, buf.data(), buf.size(), 0);
                        if (n <= 0) break;
                        got += static_cast<std::uint64_t>(n);
                    }
                    char ack = 'k';
                    write_all(c, &ack, 1);
                }
                ::close(c);
            }).detach();
        }
    }).detach();
    return port;
}

int throughput(const Args& a) {
    auto sink = start_sink();
    std::vector<char> block(1 << 20, 'b');
    double best = 0;
    for (int run = 0; run < 3; ++run) {
        int fd = open_to(a, sink);
        if (fd < 0) {
            std::fprintf(stderr, "connect failed\n");
            return 1;
        }
        std::uint64_t total = static_cast<std::uint64_t>(a.mib) << 20;
        auto start = Clock::now();
        write_all(fd, &total, sizeof total);
        for (std::uint64_t sent = 0; sent < total; sent += block.size())
            if (!write_all(fd, block.data(), block.size())) return 1;
        char ack;
        if (!read_exact(fd, &ack, 1)) return 1;
        double secs = std::chrono::duration<double>(Clock::now() - start).count();
        ::close(fd);
        best = std::max(best, static_cast<double>(total) / secs / (1 << 20));
    }
    std::printf("%.0f\n", best);  // MiB/s, best of three
    return 0;
}

int rate(const Args& a) {
    auto echo = start_echo_server();
    std::atomic<bool> stop{false};
    std::atomic<long> done{0}, failed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < a.clients; ++i) {
        threads.emplace_back([&] {
            char msg[32];
            std::memset(msg, 'e', sizeof msg);
            char back[32];
            while (!stop) {
                int fd = socks5_connect(a, echo);
                if (fd < 0 || !write_all(fd, msg, sizeof msg) ||
                    !read_exact(fd, back, sizeof back)) {
                    ++failed;
                    if (fd >= 0) ::close(fd);
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    continue;
                }
                ::close(fd);
                ++done;
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
    stop = true;
    for (auto& t : threads) t.join();
    std::printf("%.0f %ld\n", static_cast<double>(done) / a.seconds,
                failed.load());  // conns/s, failures
    return 0;
}

int idle(const Args& a) {
    auto echo = start_echo_process();
    std::vector<int> fds;
    fds.reserve(static_cast<std::size_t>(a.count));
    for (int i = 0; i < a.count; ++i) {
        int fd = socks5_connect(a, echo);
        char c = 'i';
        if (fd < 0 || !write_all(fd, &c, 1) || !read_exact(fd, &c, 1)) {
            std::fprintf(stderr, "session %d failed\n", i);
            break;
        }
        fds.push_back(fd);
    }
    std::printf("%zu\n", fds.size());
    std::fflush(stdout);
    char buf[1];
    while (::read(STDIN_FILENO, buf, 1) > 0) {
    }  // hold the sessions until the script closes our stdin
    for (int fd : fds) ::close(fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: proxyd_bench throughput|rate|idle [options]\n");
        return 2;
    }
    Args a;
    a.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--proxy")
            a.proxy = std::atoi(v.c_str());
        else if (k == "--user")
            a.user = v;
        else if (k == "--pass")
            a.pass = v;
        else if (k == "--mib")
            a.mib = std::atol(v.c_str());
        else if (k == "--clients")
            a.clients = std::atoi(v.c_str());
        else if (k == "--seconds")
            a.seconds = std::atof(v.c_str());
        else if (k == "--count")
            a.count = std::atoi(v.c_str());
    }
    rlimit lim{1 << 20, 1 << 20};
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
        ::getrlimit(RLIMIT_NOFILE, &lim);
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (a.mode == "throughput") return throughput(a);
    if (a.mode == "rate") return rate(a);
    if (a.mode == "idle") return idle(a);
    std::fprintf(stderr, "unknown mode %s\n", a.mode.c_str());
    return 2;
}
