// Load generator, sink and HTTP origin for scripts/bench-relays.sh. Everything on loopback.
//
//   loadgen sink [--threads N]
//       Prints its port, then serves until killed. A connection's first byte picks the
//       job: 'E' echoes 32 bytes back, then closes; 'B' is followed by an 8-byte length,
//       that many bytes are discarded and one byte 'k' acknowledges them.
//   loadgen origin [--threads N]
//       Prints its port, then answers every request head with 200 and a 100-byte body
//       (Content-Length, Cache-Control: no-store), keeping the connection unless the
//       request ends it.
//   loadgen bulk --port P --target T [--socks [--user U --pass P]] --mib N --source-net 127.A.B
//       Sends N MiB through the relay on P (to the sink on T) and prints MiB/s.
//   loadgen rate --port P --target T [--socks [--user U --pass P] | --http-connect]
//                --clients 64 --seconds S --source-net 127.A.B [--threads N]
//       Connect [+ SOCKS5 handshake or HTTP CONNECT] + 32-byte echo + close, CLIENTS at
//       a time, for S seconds; prints "conns_per_s completed failures connections
//       cpu_ms" (the load generator's own CPU time over those seconds).
//   loadgen get --port P --target ORIGIN --clients 64 --seconds S --source-net 127.A.B
//       Keep-alive GET http://127.0.0.1:ORIGIN/ through the proxy on P, request after
//       request on each client's connection; prints "requests_per_s completed failures
//       connections cpu_ms" (connections: how many the clients had to open).
//
// Client connections bind source addresses 127.A.B.1-254 in turn: TIME_WAIT entries
// then spread over many address pairs and never exhaust the ephemeral ports.
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http_load.hpp"
#include "loadgen.hpp"
#include "net_util.hpp"

namespace {

using bench::die;
using bench::Fd;
using bench::read_exact;
using bench::write_all;
using namespace loadgen;

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

int sink(const Args& a) {
    return serve<SinkConn>(a, sink_read);
}

// ---- bulk -------------------------------------------------------------------------

int bulk(const Args& a) {
    Fd fd = client_socket(a.source_net, 0, false);
    auto to = bench::loopback(static_cast<std::uint16_t>(a.port));
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

// "CONNECT 127.0.0.1:T HTTP/1.1" with its Host header.
std::string http_connect_request(const Args& a) {
    auto target = "127.0.0.1:" + std::to_string(a.target);
    return "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n";
}

enum class Step { Connecting, Greeting, Auth, Request, ProxyReply, Echo };

struct Client {
    Fd fd;
    Step step = Step::Connecting;
    std::size_t want = 0, got = 0;
    char in[1024] = {};  // a proxy's CONNECT answer head fits
    Clock::time_point deadline;
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
          request_(a.http_connect ? http_connect_request(a) : socks_request(a)),
          payload_(kEcho, 'e') {
        payload_[0] = 'E';
    }

    void run() {
        ep_ = Fd(::epoll_create1(0));
        std::vector<Client> cs(static_cast<std::size_t>(clients_));
        for (auto& c : cs) start(c);
        drive(
            ep_.get(), cs, stop_, [this](Client& c, std::uint32_t ev) { on_event(c, ev); },
            [this](Client& c) { fail(c); });
    }

  private:
    void start(Client& c) {
        c.fd = client_socket(a_.source_net, host_++, true);
        c.step = Step::Connecting;
        c.got = c.want = 0;
        c.deadline = Clock::now() + std::chrono::seconds(10);
        ++counts_.connections;
        auto to = bench::loopback(static_cast<std::uint16_t>(a_.port));
        int r = ::connect(c.fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to);
        if (r != 0 && errno != EINPROGRESS) {
            fail(c);
            return;
        }
        // Registered once for both directions, edge-triggered: the connect's end and each
        // reply then wake it once, with no EPOLL_CTL_MOD between the two.
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
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
            // EPOLLOUT without an error or hangup is a connect that succeeded.
            if (!(events & EPOLLOUT) || (events & (EPOLLERR | EPOLLHUP))) {
                fail(c);
                return;
            }
            if (a_.socks)
                send_then_read(c, greeting_, 2, Step::Greeting);
            else if (a_.http_connect)
                send_then_read(c, request_, sizeof c.in, Step::ProxyReply);
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
        if (c.step == Step::ProxyReply) {
            // The answer head ends the reply; the echo is not sent before it, so nothing
            // of the tunnel can follow it in the same read.
            std::string_view head(c.in, c.got);
            if (!head.ends_with("\r\n\r\n")) {
                if (c.got == c.want || head.find("\r\n\r\n") != std::string_view::npos) fail(c);
                return;
            }
            if (!head.starts_with("HTTP/1.") || head.substr(8, 4) != " 200") return fail(c);
            return send_then_read(c, payload_, payload_.size(), Step::Echo);
        }
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
            case Step::ProxyReply:
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
    return run_clients<RateWorker>(a);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: loadgen sink|origin|bulk|rate|get [options]\n");
        return 2;
    }
    Args a;
    a.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "--socks" || k == "--http-connect") {
            (k == "--socks" ? a.socks : a.http_connect) = true;
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
    if (a.mode == "origin") return serve<OriginConn>(a, origin_read);
    if (a.mode == "get") return run_clients<GetWorker>(a);
    std::fprintf(stderr, "unknown mode %s\n", a.mode.c_str());
    return 2;
}
