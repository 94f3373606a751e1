// Load generator and sink for scripts/bench-relays.sh. Everything on loopback.
//
//   loadgen sink [--threads N]
//       Prints its port, then serves until killed. A connection's first byte picks the
//       job: 'E' echoes 32 bytes back, then closes; 'B' is followed by an 8-byte length,
//       that many bytes are discarded and one byte 'k' acknowledges them.
//   loadgen bulk --port P --target T [--socks [--user U --pass P]] --mib N --source-net 127.A.B
//       Sends N MiB through the relay on P (to the sink on T) and prints MiB/s.
//   loadgen rate --port P --target T [--socks [--user U --pass P]] --clients 64
//                --seconds S --source-net 127.A.B [--threads N]
//       Connect [+ SOCKS5 handshake] + 32-byte echo + close, CLIENTS at a time, for S
//       seconds; prints "conns_per_s completed failures".
//
// Client connections bind source addresses 127.A.B.1-254 in turn: TIME_WAIT entries
// then spread over many address pairs and never exhaust the ephemeral ports.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
    std::string mode;
    int port = 0;    // what the client connects to (relay or sink)
    int target = 0;  // the sink, named in the SOCKS5 request
    bool socks = false;
    std::string user, pass;
    long mib = 1024;
    int clients = 64;
    double seconds = 3;
    int threads = 0;
    std::string source_net = "127.0.0";
};

class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.fd_;
            o.fd_ = -1;
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
};

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(2);
}

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Listens on 127.0.0.1:port (0: any) with SO_REUSEPORT, so each thread can own a listener.
Fd listen_on(std::uint16_t& port) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    auto a = loopback(port);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
    if (::listen(fd.get(), 4096) != 0) die("listen");
    socklen_t len = sizeof a;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

// A socket bound to 127.A.B.host; the port is picked at connect() so that the whole
// 4-tuple, not the source port alone, has to be unique.
Fd client_socket(const std::string& net, unsigned host, bool nonblocking) {
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
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind source");
    return fd;
}

bool read_exact(int fd, void* buf, std::size_t n) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        auto got = ::recv(fd, p, n, 0);
        if (got <= 0) return false;
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    return true;
}

bool write_all(int fd, const void* buf, std::size_t n) {
    auto* p = static_cast<const char*>(buf);
    while (n > 0) {
        auto put = ::send(fd, p, n, MSG_NOSIGNAL);
        if (put <= 0) return false;
        p += put;
        n -= static_cast<std::size_t>(put);
    }
    return true;
}

std::string socks_greeting(const Args& a) {
    return {5, 1, static_cast<char>(a.user.empty() ? 0 : 2)};
}

std::string socks_auth(const Args& a) {
    std::string m(1, '\x01');
    m += static_cast<char>(a.user.size());
    m += a.user;
    m += static_cast<char>(a.pass.size());
    m += a.pass;
    return m;
}

std::string socks_request(const Args& a) {
    auto t = static_cast<std::uint16_t>(a.target);
    return {5, 1, 0, 1, 127, 0, 0, 1, static_cast<char>(t >> 8), static_cast<char>(t & 0xFF)};
}

unsigned thread_count(const Args& a) {
    if (a.threads > 0) return static_cast<unsigned>(a.threads);
    return std::max(1u, std::thread::hardware_concurrency());
}

// ---- sink -------------------------------------------------------------------------

constexpr std::size_t kEcho = 32;  // the rate phase's message

struct SinkConn {
    Fd fd;
    char job = 0;                // 'E' echo, 'B' bulk; 0 until the first byte
    unsigned char head[8] = {};  // bulk: the length, little-endian as the client sent it
    unsigned head_got = 0;
    std::uint64_t left = 0;
    bool acked = false;
    std::size_t echoed = 0;
};

// Returns false when the connection is done with.
bool sink_read(SinkConn& c, std::vector<char>& buf) {
    for (;;) {
        auto got = ::recv(c.fd.get(), buf.data(), buf.size(), 0);
        if (got < 0 && errno == EAGAIN) return true;
        if (got <= 0) return false;
        std::size_t at = 0, size = static_cast<std::size_t>(got);
        if (c.job == 0) c.job = buf[at];
        if (c.job == 'E') {
            // Small messages: the send buffer always has room. The sink closes first, so
            // the relay's upstream side never holds TIME_WAIT on its ephemeral ports.
            ::send(c.fd.get(), buf.data(), size, MSG_NOSIGNAL);
            c.echoed += size;
            if (c.echoed >= kEcho) return false;
            continue;
        }
        if (c.job != 'B') return false;
        if (c.head_got == 0) ++at;  // the job byte
        while (c.head_got < 8 && at < size) {
            c.head[c.head_got++] = static_cast<unsigned char>(buf[at++]);
            if (c.head_got == 8) std::memcpy(&c.left, c.head, 8);
        }
        if (c.head_got < 8) continue;
        c.left -= std::min<std::uint64_t>(c.left, size - at);
        if (c.left == 0 && !c.acked) {
            char ack = 'k';
            ::send(c.fd.get(), &ack, 1, MSG_NOSIGNAL);
            c.acked = true;
        }
    }
}

void sink_loop(Fd lfd) {
    Fd ep(::epoll_create1(0));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd.get();
    ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, lfd.get(), &ev);
    std::vector<epoll_event> events(256);
    std::vector<char> buf(1 << 18);
    std::unordered_map<int, SinkConn> conns;
    for (;;) {
        int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (fd == lfd.get()) {
                for (;;) {
                    int c = ::accept4(lfd.get(), nullptr, nullptr, SOCK_NONBLOCK);
                    if (c < 0) break;
                    conns[c].fd = Fd(c);
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            auto it = conns.find(fd);
            if (it != conns.end() && !sink_read(it->second, buf)) conns.erase(it);
        }
    }
}

int sink(const Args& a) {
    std::uint16_t port = 0;
    std::vector<Fd> listeners;
    listeners.push_back(listen_on(port));
    for (unsigned i = 1; i < thread_count(a); ++i) listeners.push_back(listen_on(port));
    std::printf("%u\n", port);
    std::fflush(stdout);
    std::vector<std::thread> threads;
    for (auto& l : listeners) threads.emplace_back(sink_loop, std::move(l));
    for (auto& t : threads) t.join();
    return 0;
}

// ---- bulk -------------------------------------------------------------------------

int bulk(const Args& a) {
    Fd fd = client_socket(a.source_net, 0, false);
    auto to = loopback(static_cast<std::uint16_t>(a.port));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) die("connect");
    timeval tv{30, 0};  // a stuck relay fails the run instead of hanging it
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char reply[10];
    if (a.socks) {
        auto g = socks_greeting(a);
        if (!write_all(fd.get(), g.data(), g.size()) || !read_exact(fd.get(), reply, 2) ||
            reply[1] != g[2])
            die("socks greeting");
        if (!a.user.empty()) {
            auto m = socks_auth(a);
            if (!write_all(fd.get(), m.data(), m.size()) || !read_exact(fd.get(), reply, 2) ||
                reply[1] != 0)
                die("socks auth");
        }
        auto r = socks_request(a);
        if (!write_all(fd.get(), r.data(), r.size()) || !read_exact(fd.get(), reply, 10) ||
            reply[1] != 0)
            die("socks connect");
    }
    std::uint64_t total = static_cast<std::uint64_t>(a.mib) << 20;
    std::vector<char> block(1 << 20, 'b');
    auto start = Clock::now();
    char head[9] = {'B'};
    std::memcpy(head + 1, &total, 8);
    if (!write_all(fd.get(), head, sizeof head)) die("send");
    for (std::uint64_t sent = 0; sent < total; sent += block.size())
        if (!write_all(fd.get(), block.data(), block.size())) die("send");
    char ack = 0;
    if (!read_exact(fd.get(), &ack, 1) || ack != 'k') die("ack");
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%.1f\n", static_cast<double>(a.mib) / secs);
    return 0;
}

// ---- rate -------------------------------------------------------------------------

enum class Step { Connecting, Greeting, Auth, Request, Echo };

struct Client {
    Fd fd;
    Step step = Step::Connecting;
    std::size_t want = 0, got = 0;
    char in[64] = {};
    Clock::time_point deadline;
};

struct Counts {
    std::atomic<long> done{0}, failed{0};
};

class RateWorker {
  public:
    RateWorker(const Args& a, int clients, unsigned first_host, const std::atomic<bool>& stop,
               Counts& counts)
        : a_(a),
          clients_(clients),
          host_(first_host),
          stop_(stop),
          counts_(counts),
          greeting_(socks_greeting(a)),
          auth_(socks_auth(a)),
          request_(socks_request(a)),
          payload_(kEcho, 'e') {
        payload_[0] = 'E';
    }

    void run() {
        ep_ = Fd(::epoll_create1(0));
        std::vector<Client> cs(static_cast<std::size_t>(clients_));
        for (auto& c : cs) start(c);
        std::vector<epoll_event> events(static_cast<std::size_t>(clients_) + 1);
        auto next_sweep = Clock::now();
        while (!stop_) {
            int n = ::epoll_wait(ep_.get(), events.data(), static_cast<int>(events.size()), 50);
            for (int i = 0; i < n; ++i) {
                auto& ev = events[static_cast<std::size_t>(i)];
                on_event(*static_cast<Client*>(ev.data.ptr), ev.events);
            }
            auto now = Clock::now();
            if (now >= next_sweep) {  // a stuck connection fails after its deadline
                for (auto& c : cs)
                    if (now > c.deadline) fail(c);
                next_sweep = now + std::chrono::milliseconds(100);
            }
        }
    }

  private:
    void start(Client& c) {
        c.fd = client_socket(a_.source_net, host_++, true);
        c.step = Step::Connecting;
        c.got = c.want = 0;
        c.deadline = Clock::now() + std::chrono::seconds(10);
        auto to = loopback(static_cast<std::uint16_t>(a_.port));
        int r = ::connect(c.fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to);
        if (r != 0 && errno != EINPROGRESS) {
            fail(c);
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.ptr = &c;
        ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev);
    }

    void fail(Client& c) {
        ++counts_.failed;
        c.fd.reset();  // closing removes it from the epoll set
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no busy loop on a dead relay
        start(c);
    }

    // Sends one handshake message and waits for `want` bytes of reply.
    void send_then_read(Client& c, const std::string& msg, std::size_t want, Step next) {
        if (::send(c.fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(msg.size())) {
            fail(c);
            return;
        }
        c.step = next;
        c.want = want;
        c.got = 0;
    }

    void on_event(Client& c, std::uint32_t events) {
        if (c.step == Step::Connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
                fail(c);
                return;
            }
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = &c;
            ::epoll_ctl(ep_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
            if (a_.socks)
                send_then_read(c, greeting_, 2, Step::Greeting);
            else
                send_then_read(c, payload_, payload_.size(), Step::Echo);
            return;
        }
        auto got = ::recv(c.fd.get(), c.in + c.got, c.want - c.got, 0);
        if (got < 0 && errno == EAGAIN) return;
        if (got <= 0) {
            fail(c);
            return;
        }
        c.got += static_cast<std::size_t>(got);
        if (c.got < c.want) return;
        switch (c.step) {
            case Step::Greeting:
                if (c.in[1] != greeting_[2]) return fail(c);
                if (a_.user.empty()) return send_then_read(c, request_, 10, Step::Request);
                return send_then_read(c, auth_, 2, Step::Auth);
            case Step::Auth:
                if (c.in[1] != 0) return fail(c);
                return send_then_read(c, request_, 10, Step::Request);
            case Step::Request:
                if (c.in[1] != 0) return fail(c);
                return send_then_read(c, payload_, payload_.size(), Step::Echo);
            case Step::Echo:
                if (std::memcmp(c.in, payload_.data(), payload_.size()) != 0) return fail(c);
                if (!stop_) ++counts_.done;
                c.fd.reset();
                start(c);
                return;
            case Step::Connecting:
                return;
        }
    }

    const Args& a_;
    int clients_;
    unsigned host_;
    const std::atomic<bool>& stop_;
    Counts& counts_;
    std::string greeting_, auth_, request_, payload_;
    Fd ep_;
};

int rate(const Args& a) {
    unsigned n = std::min<unsigned>(thread_count(a), static_cast<unsigned>(a.clients));
    std::atomic<bool> stop{false};
    Counts counts;
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < n; ++i) {
        int share = a.clients / static_cast<int>(n) +
                    (static_cast<int>(i) < a.clients % static_cast<int>(n));
        threads.emplace_back([&, share, i] { RateWorker(a, share, i * 127, stop, counts).run(); });
    }
    auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
    stop = true;
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    long done = counts.done;
    for (auto& t : threads) t.join();
    std::printf("%.0f %ld %ld\n", static_cast<double>(done) / secs, done, counts.failed.load());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: loadgen sink|bulk|rate [options]\n");
        return 2;
    }
    Args a;
    a.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "--socks") {
            a.socks = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "%s needs a value\n", k.c_str());
            return 2;
        }
        std::string v = argv[++i];
        if (k == "--port")
            a.port = std::atoi(v.c_str());
        else if (k == "--target")
            a.target = std::atoi(v.c_str());
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
        else if (k == "--threads")
            a.threads = std::atoi(v.c_str());
        else if (k == "--source-net")
            a.source_net = v;
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    if (a.mode == "sink") return sink(a);
    if (a.mode == "bulk") return bulk(a);
    if (a.mode == "rate") return rate(a);
    std::fprintf(stderr, "unknown mode %s\n", a.mode.c_str());
    return 2;
}
