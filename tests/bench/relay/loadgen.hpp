// What the load generator's modes share: the options, the client sockets bound to a
// source net, and the driver that runs a rate worker per thread for a fixed time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net_util.hpp"

namespace loadgen {

using bench::Fd;
using Clock = std::chrono::steady_clock;

struct Args {
    std::string mode;
    int port = 0;    // what the client connects to (relay, proxy, sink or origin)
    int target = 0;  // the sink or origin, named in the SOCKS5 request, CONNECT or URI
    bool socks = false;
    bool http_connect = false;  // rate: an HTTP CONNECT to the target first
    std::string user, pass;
    long mib = 1024;
    int clients = 64;
    double seconds = 3;
    int threads = 0;
    std::string source_net = "127.0.0";
};

inline unsigned thread_count(const Args& a) {
    if (a.threads > 0) return static_cast<unsigned>(a.threads);
    // The CPUs taskset left us: the harness pins clients apart from the server.
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return static_cast<unsigned>(CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

// A socket bound to 127.A.B.host; the port is picked at connect() so that the whole
// 4-tuple, not the source port alone, has to be unique. TIME_WAIT entries then spread
// over many address pairs and never exhaust the ephemeral ports.
inline Fd client_socket(const std::string& net, unsigned host, bool nonblocking) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0));
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    std::string ip = net + "." + std::to_string(1 + host % 254);
    if (::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
        std::fprintf(stderr, "bad --source-net %s\n", net.c_str());
        std::exit(2);
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) bench::die("bind source");
    return fd;
}

// Runs one thread's epoll set of client-side connections until `stop`: on_event(client,
// events) for each ready one; fail(client) for one past its deadline, so a stuck relay
// cannot hang the run. Every event's data.ptr is its Client.
template <class Client, class OnEvent, class Fail>
void drive(int ep, std::vector<Client>& clients, const std::atomic<bool>& stop, OnEvent on_event,
           Fail fail) {
    std::vector<epoll_event> events(clients.size() + 1);
    auto next_sweep = Clock::now();
    while (!stop) {
        int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
        for (int i = 0; i < n; ++i) {
            auto& ev = events[static_cast<std::size_t>(i)];
            on_event(*static_cast<Client*>(ev.data.ptr), ev.events);
        }
        auto now = Clock::now();
        if (now >= next_sweep) {
            for (auto& c : clients)
                if (now > c.deadline) fail(c);
            next_sweep = now + std::chrono::milliseconds(100);
        }
    }
}

// A server thread: accepts on its own listener and calls serve(conn, buffer) whenever a
// connection is readable, dropping it when that returns false. The listener defers
// accepts until the first bytes arrive (every client of the sink and the origin speaks
// first), so a connection is served right after accept: one that is done in that read
// (the echo) never enters the epoll set or the table.
template <class Conn, class Serve>
void serve_loop(Fd lfd, Serve serve) {
    Fd ep(::epoll_create1(0));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd.get();
    ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, lfd.get(), &ev);
    std::vector<epoll_event> events(256);
    std::vector<char> buf(1 << 18);
    std::unordered_map<int, Conn> conns;
    for (;;) {
        int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (fd == lfd.get()) {
                for (;;) {
                    int c = ::accept4(lfd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    Conn conn;
                    conn.fd = Fd(c);
                    if (!serve(conn, buf)) continue;  // done: closed with conn
                    // Level-triggered: bytes that came after the read above still wake it.
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, c, &cev);
                    conns[c] = std::move(conn);
                }
                continue;
            }
            auto it = conns.find(fd);
            if (it != conns.end() && !serve(it->second, buf)) conns.erase(it);
        }
    }
}

// A server with a listener and an epoll thread per core on one port, which it prints
// first; it serves until killed.
template <class Conn, class Serve>
int serve(const Args& a, Serve serve_conn) {
    std::uint16_t port = 0;
    std::vector<Fd> listeners;
    for (unsigned i = 0; i < thread_count(a); ++i) {
        listeners.push_back(bench::listen_on(port));
        int fd = listeners.back().get();
        // Accepted sockets inherit TCP_NODELAY: no setsockopt per connection. A deferred
        // accept (after 1 s the kernel hands the connection over anyway) returns with the
        // first bytes there, which spares an epoll round per connection.
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one);
    }
    std::printf("%u\n", port);
    std::fflush(stdout);
    std::vector<std::thread> threads;
    for (auto& l : listeners)
        threads.emplace_back([&l, serve_conn] { serve_loop<Conn>(std::move(l), serve_conn); });
    for (auto& t : threads) t.join();
    return 0;
}

// The CPU time this process has used so far (all its threads, user and system), in ms.
inline double cpu_ms() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto ms = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_usec) / 1000.0;
    };
    return ms(u.ru_utime) + ms(u.ru_stime);
}

struct Counts {
    std::atomic<long> done{0}, failed{0}, connections{0};
};

// Runs Worker(args, clients, first_host, stop, counts).run() on each thread, the clients
// spread over them, for a.seconds; prints "per_second completed failures connections
// cpu_ms" (cpu_ms: the CPU time the load generator used meanwhile).
// Only what completes before the stop counts.
template <class Worker>
int run_clients(const Args& a) {
    unsigned n = std::min<unsigned>(thread_count(a), static_cast<unsigned>(a.clients));
    std::atomic<bool> stop{false};
    Counts counts;
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < n; ++i) {
        int share = a.clients / static_cast<int>(n) +
                    (static_cast<int>(i) < a.clients % static_cast<int>(n));
        threads.emplace_back([&, share, i] { Worker(a, share, i * 127, stop, counts).run(); });
    }
    auto start = Clock::now();
    double cpu_start = cpu_ms();
    std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
    stop = true;
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = cpu_ms() - cpu_start;
    long done = counts.done;
    long connections = counts.connections;
    for (auto& t : threads) t.join();
    std::printf("%.0f %ld %ld %ld %.0f\n", static_cast<double>(done) / secs, done,
                counts.failed.load(), connections, cpu);
    return 0;
}

}  // namespace loadgen
