// The floor for scripts/bench-relays.sh: a TCP relay that does nothing but accept,
// connect to one fixed target and splice(2) both ways through a pipe per direction.
// No parsing, no limits, no logging: the best any relay can do on this machine.
//
//   splice_relay TARGET_PORT [--port P] [--threads N]
//
// Listens on 127.0.0.1 (port P, default any) and prints the port. Each thread owns an
// SO_REUSEPORT listener and an edge-triggered epoll set.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net_util.hpp"

namespace {

using bench::Fd;
using bench::listen_on;
using bench::loopback;

// Fewer splice calls per megabyte than the default 64 KiB; pages are committed only for
// bytes in flight. 1 MiB measured no faster here.
constexpr int kPipeBytes = 256 * 1024;

// One direction: bytes read from `from` wait in the pipe until `to` takes them.
struct Lane {
    Fd pipe_r, pipe_w;
    std::size_t pending = 0;
    bool eof = false;  // `from` ended and the end was passed on

    bool open() {
        int p[2];
        if (::pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return false;
        pipe_r = Fd(p[0]);
        pipe_w = Fd(p[1]);
        ::fcntl(p[1], F_SETPIPE_SZ, kPipeBytes);  // best effort: fs.pipe-max-size caps it
        return true;
    }

    // Moves bytes until one side would block; false on an error.
    bool pump(int from, int to) {
        while (!eof) {
            if (pending > 0) {
                auto n = ::splice(pipe_r.get(), nullptr, to, nullptr, pending,
                                  SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                if (n < 0) return errno == EAGAIN;
                pending -= static_cast<std::size_t>(n);
                continue;
            }
            auto n = ::splice(from, nullptr, pipe_w.get(), nullptr, 1 << 20,
                              SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n < 0) return errno == EAGAIN;
            if (n == 0) {
                ::shutdown(to, SHUT_WR);
                eof = true;
                break;
            }
            pending = static_cast<std::size_t>(n);
        }
        return true;
    }
};

struct Pair {
    Fd client, upstream;
    Lane up, down;
    bool connecting = true;
};

class Worker {
  public:
    Worker(Fd listener, std::uint16_t target) : lfd_(std::move(listener)), target_(target) {}

    void run() {
        ep_ = Fd(::epoll_create1(0));
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kListener;
        ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, lfd_.get(), &ev);
        std::vector<epoll_event> events(512);
        std::vector<int> finished;
        for (;;) {
            int n = ::epoll_wait(ep_.get(), events.data(), static_cast<int>(events.size()), -1);
            for (int i = 0; i < n; ++i) {
                auto key = events[static_cast<std::size_t>(i)].data.u64;
                if (key == kListener) {
                    accept_all();
                    continue;
                }
                int cfd = static_cast<int>(key >> 1);
                auto it = pairs_.find(cfd);
                if (it == pairs_.end()) continue;
                if (!serve(*it->second)) finished.push_back(cfd);
            }
            // Closed only after the batch, so no fd number is reused within it.
            for (int cfd : finished) pairs_.erase(cfd);
            finished.clear();
        }
    }

  private:
    static constexpr std::uint64_t kListener = ~std::uint64_t{0};

    void watch(int fd, int cfd, std::uint64_t side) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = (static_cast<std::uint64_t>(cfd) << 1) | side;
        ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev);
    }

    void accept_all() {
        for (;;) {
            int c = ::accept4(lfd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (c < 0) return;
            auto p = std::make_unique<Pair>();
            p->client = Fd(c);
            p->upstream = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            int one = 1;
            ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            ::setsockopt(p->upstream.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto to = loopback(target_);
            int r = ::connect(p->upstream.get(), reinterpret_cast<sockaddr*>(&to), sizeof to);
            if ((r != 0 && errno != EINPROGRESS) || !p->up.open() || !p->down.open()) continue;
            watch(c, c, 0);
            watch(p->upstream.get(), c, 1);
            pairs_[c] = std::move(p);
        }
    }

    // Returns false when the pair is done.
    bool serve(Pair& p) {
        if (p.connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(p.upstream.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) return false;
            sockaddr_in peer{};
            len = sizeof peer;
            if (::getpeername(p.upstream.get(), reinterpret_cast<sockaddr*>(&peer), &len) != 0)
                return true;  // still connecting; its EPOLLOUT edge comes later
            p.connecting = false;
        }
        if (!p.up.pump(p.client.get(), p.upstream.get())) return false;
        if (!p.down.pump(p.upstream.get(), p.client.get())) return false;
        return !(p.up.eof && p.down.eof);
    }

    Fd lfd_;
    std::uint16_t target_;
    Fd ep_;
    std::unordered_map<int, std::unique_ptr<Pair>> pairs_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: splice_relay TARGET_PORT [--port P] [--threads N]\n");
        return 2;
    }
    auto target = static_cast<std::uint16_t>(std::atoi(argv[1]));
    std::uint16_t port = 0;
    unsigned threads = std::thread::hardware_concurrency();
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--port")
            port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
        else if (k == "--threads")
            threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    }
    if (threads == 0) threads = 1;
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    std::vector<Fd> listeners;
    for (unsigned i = 0; i < threads; ++i) listeners.push_back(listen_on(port));
    std::printf("%u\n", port);
    std::fflush(stdout);
    std::vector<std::thread> pool;
    for (auto& l : listeners)
        pool.emplace_back([&l, target] { Worker(std::move(l), target).run(); });
    for (auto& t : pool) t.join();
    return 0;
}
