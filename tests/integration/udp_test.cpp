// UDP services through a real proxyd: udppm (a session per client address, its own
// upstream socket, ACL, idle timeout, -s), SOCKS5 UDP ASSOCIATE (the SOCKS UDP header,
// the association's end with its control connection, destinations judged by the ACL) and
// dnspr (answers from the resolver and nsrecord, forwarding to the nserver, the ACL).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.hpp"

using namespace harness;
using nlohmann::json;

namespace {

std::string port_text(std::uint16_t p) {
    return std::to_string(p);
}

sockaddr_in loopback(std::uint16_t port, const char* address = "127.0.0.1") {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, address, &a.sin_addr);
    return a;
}

// A UDP socket on a loopback address, with bounded receives.
class UdpSocket {
  public:
    explicit UdpSocket(const char* address = "127.0.0.1") {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        auto a = loopback(0, address);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    ~UdpSocket() { ::close(fd_); }
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;
    int fd() const { return fd_; }
    std::uint16_t port() const {
        sockaddr_in a{};
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        return ntohs(a.sin_port);
    }
    void send_to(std::uint16_t port, const std::string& data) const {
        auto a = loopback(port);
        ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    // One datagram, or nullopt when none comes within `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout = 3s,
                                       std::uint16_t* from_port = nullptr) const {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        std::string buf(65536, '\0');
        sockaddr_in a{};
        socklen_t len = sizeof a;
        auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&a), &len);
        if (n < 0) return std::nullopt;
        if (from_port) *from_port = ntohs(a.sin_port);
        buf.resize(static_cast<std::size_t>(n));
        return buf;
    }

  private:
    int fd_ = -1;
};

// Serves datagrams on 127.0.0.1 from a thread until destroyed: `answer` makes the reply
// (nullopt: none). Records the source ports it saw.
class UdpServer {
  public:
    using Answer = std::function<std::optional<std::string>(const std::string&)>;
    explicit UdpServer(Answer answer) : answer_(std::move(answer)) {
        thread_ = std::thread([this] {
            while (!stop_) {
                std::uint16_t from = 0;
                auto d = socket_.receive(100ms, &from);
                if (!d) continue;
                {
                    std::lock_guard lock(mutex_);
                    sources_.insert(from);
                    ++received_;
                }
                if (auto reply = answer_(*d)) socket_.send_to(from, *reply);
            }
        });
    }
    ~UdpServer() {
        stop_ = true;
        thread_.join();
    }
    std::uint16_t port() const { return socket_.port(); }
    std::set<std::uint16_t> sources() {
        std::lock_guard lock(mutex_);
        return sources_;
    }
    int received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

  private:
    UdpSocket socket_;
    Answer answer_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::set<std::uint16_t> sources_;
    int received_ = 0;
    std::thread thread_;
};

UdpServer::Answer echo() {
    return [](const std::string& d) { return std::optional<std::string>("echo:" + d); };
}

// The first log line that contains every one of `parts`, waiting up to `timeout`.
std::optional<std::string> log_line_with(const std::string& path,
                                         const std::vector<std::string>& parts,
                                         std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (const auto& line : wait_for_lines(path, 1, 100ms)) {
            if (std::all_of(parts.begin(), parts.end(), [&](const std::string& p) {
                    return line.find(p) != std::string::npos;
                }))
                return line;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(20ms);
    }
}

const std::string log_format = "logformat \"L%N %E %C:%c %n:%r %I %O %e|%T\"\n";

// ---- DNS bytes ----------------------------------------------------------------------------

std::string u16(std::uint16_t v) {
    return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
}

std::string dns_query(std::uint16_t id, const std::string& name, std::uint16_t qtype) {
    std::string q = u16(id) + u16(0x0100) + u16(1) + u16(0) + u16(0) + u16(0);
    std::size_t start = 0;
    while (start <= name.size()) {
        auto dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        q += static_cast<char>(dot - start);
        q += name.substr(start, dot - start);
        start = dot + 1;
    }
    q += '\0';
    return q + u16(qtype) + u16(1);
}

std::uint16_t get16(const std::string& m, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<std::uint8_t>(m[at]) << 8 |
                                      static_cast<std::uint8_t>(m[at + 1]));
}

struct DnsReply {
    std::uint16_t id = 0;
    int rcode = -1;
    int answers = 0;
    std::string question;                // the question section, as echoed
    std::vector<std::string> addresses;  // A/AAAA rdata as text
    std::vector<std::uint32_t> ttls;
};

DnsReply parse_reply(const std::string& m, std::size_t question_size) {
    DnsReply r;
    if (m.size() < 12) return r;
    r.id = get16(m, 0);
    r.rcode = m[3] & 0x0F;
    r.answers = get16(m, 6);
    r.question = m.substr(12, question_size);
    std::size_t at = 12 + question_size;
    for (int i = 0; i < r.answers && at + 12 <= m.size(); ++i) {
        at += 2;  // a name pointer
        std::uint16_t type = get16(m, at);
        std::uint32_t ttl = static_cast<std::uint32_t>(get16(m, at + 4)) << 16 | get16(m, at + 6);
        std::uint16_t len = get16(m, at + 8);
        at += 10;
        char text[INET6_ADDRSTRLEN] = {};
        if (type == 1 && len == 4) ::inet_ntop(AF_INET, m.data() + at, text, sizeof text);
        if (type == 28 && len == 16) ::inet_ntop(AF_INET6, m.data() + at, text, sizeof text);
        r.addresses.push_back(text);
        r.ttls.push_back(ttl);
        at += len;
    }
    return r;
}

// A DNS server for the tests: known.test has A 127.0.0.9 (TTL 777) and no AAAA; MX
// questions get one answer whose rdata is "mx-marker"; every other name is NXDOMAIN.
std::optional<std::string> fake_dns(const std::string& q) {
    if (q.size() < 17) return std::nullopt;
    std::size_t at = 12;
    std::string name;
    while (at < q.size() && q[at] != 0) {
        auto n = static_cast<std::size_t>(q[at]);
        if (!name.empty()) name += '.';
        name += q.substr(at + 1, n);
        at += n + 1;
    }
    std::size_t end = at + 5;
    std::uint16_t qtype = get16(q, at + 1);
    std::string question = q.substr(12, end - 12);
    auto reply = [&](int rcode, const std::string& answers, int count) {
        return u16(get16(q, 0)) + u16(static_cast<std::uint16_t>(0x8180 | rcode)) + u16(1) +
               u16(static_cast<std::uint16_t>(count)) + u16(0) + u16(0) + question + answers;
    };
    if (qtype == 15) {
        std::string rdata = "mx-marker";
        return reply(0,
                     u16(0xC00C) + u16(15) + u16(1) + u16(0) + u16(777) +
                         u16(static_cast<std::uint16_t>(rdata.size())) + rdata,
                     1);
    }
    if (name != "known.test") return reply(3, "", 0);
    if (qtype != 1) return reply(0, "", 0);
    return reply(0,
                 u16(0xC00C) + u16(1) + u16(1) + u16(0) + u16(777) + u16(4) +
                     std::string("\x7f\x00\x00\x09", 4),
                 1);
}

// ---- SOCKS5 -------------------------------------------------------------------------------

// SOCKS5 UDP ASSOCIATE declaring 0.0.0.0:0; the relay's port, or 0 when refused.
std::uint16_t socks5_associate(Client& control) {
    if (!control.connected() || !control.send(std::string("\x05\x01\x00", 3))) return 0;
    if (control.read(2) != std::string("\x05\x00", 2)) return 0;
    if (!control.send(std::string("\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00", 10))) return 0;
    auto reply = control.read(10);
    if (reply.size() != 10 || reply[1] != 0) return 0;
    return static_cast<std::uint16_t>(get16(reply, 8));
}

std::string socks_udp(std::uint16_t port, const std::string& payload) {
    return std::string("\x00\x00\x00\x01\x7f\x00\x00\x01", 8) + u16(port) + payload;
}

}  // namespace

// ---- udppm --------------------------------------------------------------------------------

TEST_CASE("udppm gives each client its own upstream socket and its own replies") {
    TempDir dir;
    UdpServer server(echo());
    auto port = free_port();
    auto log = dir.file("access.log");
    // One port number for a TCP and a UDP service: they are different sockets.
    Proxyd proxyd(dir,
                  "log " + log + "\n" + log_format + "socks -p" + port_text(port) +
                      " -i127.0.0.1\nudppm -i127.0.0.1 " + port_text(port) + " 127.0.0.1 " +
                      port_text(server.port()) + "\n",
                  {port});
    UdpSocket a;
    UdpSocket b;
    a.send_to(port, "one");
    b.send_to(port, "two");
    CHECK(a.receive() == "echo:one");
    CHECK(b.receive() == "echo:two");
    a.send_to(port, "three");
    CHECK(a.receive() == "echo:three");
    CHECK(server.sources().size() == 2);

    auto sessions = proxyctl(proxyd, "sessions", {"--json"});
    REQUIRE(sessions.status == 0);
    int udp_sessions = 0;
    auto listed = json::parse(sessions.out);
    for (const auto& s : listed["result"]["sessions"]) {
        if (s["service"].get<std::string>().rfind("udppm", 0) != 0) continue;
        ++udp_sessions;
        CHECK(s["target"] == "127.0.0.1:" + port_text(server.port()));
        CHECK(s["operation"] == "UDPASSOC");
        CHECK((s["client"] == "127.0.0.1:" + port_text(a.port()) ||
               s["client"] == "127.0.0.1:" + port_text(b.port())));
    }
    CHECK(udp_sessions == 2);
    // A session ends with the process: its line has the bytes both ways.
    proxyd.process().signal_and_wait(SIGTERM, 5s);
    auto line = log_line_with(log, {"UDPPM", ":" + port_text(a.port()) + " "});
    REQUIRE(line);
    CHECK(line->find(" 18 8 ") != std::string::npos);  // "echo:one" + "echo:three", 3 + 5
}

TEST_CASE("udppm drops the datagrams of a client the ACL refuses and logs it") {
    TempDir dir;
    UdpServer server(echo());
    auto port = free_port();
    auto log = dir.file("access.log");
    Proxyd proxyd(dir,
                  "log " + log + "\n" + log_format + "deny * 127.0.0.3\nallow *\nsocks -p" +
                      port_text(port) + " -i127.0.0.1\nudppm " + port_text(port) + " 127.0.0.1 " +
                      port_text(server.port()) + "\n",
                  {port});
    UdpSocket refused("127.0.0.3");
    refused.send_to(port, "let me in");
    auto line = log_line_with(log, {"UDPPM 1 127.0.0.3:" + port_text(refused.port())});
    REQUIRE(line);
    CHECK(line->find("denied by ACL") != std::string::npos);
    CHECK_FALSE(refused.receive(300ms));
    CHECK(server.received() == 0);
    UdpSocket allowed;
    allowed.send_to(port, "hi");
    CHECK(allowed.receive() == "echo:hi");
}

TEST_CASE("udppm ends an idle session after the UDP timeout with a log line") {
    TempDir dir;
    UdpServer server(echo());
    auto port = free_port();
    auto log = dir.file("access.log");
    // The fourth value (STRING_L) is the udppm idle timeout, as in 3proxy.
    Proxyd proxyd(dir,
                  "timeouts 1 5 30 1 180 1800 15 60 15 5\nlog " + log + "\n" + log_format +
                      "socks -p" + port_text(port) + " -i127.0.0.1\nudppm -i127.0.0.1 " +
                      port_text(port) + " 127.0.0.1 " + port_text(server.port()) + "\n",
                  {port});
    UdpSocket client;
    client.send_to(port, "ping");
    CHECK(client.receive() == "echo:ping");
    auto line = log_line_with(log, {"UDPPM 92", ":" + port_text(client.port())}, 6s);
    REQUIRE(line);
    CHECK(line->find(" 9 4 idle timeout") != std::string::npos);
    // The client's next datagram starts a new session.
    client.send_to(port, "again");
    CHECK(client.receive() == "echo:again");
}

TEST_CASE("udppm -s ends the session with the first reply") {
    TempDir dir;
    UdpServer server(echo());
    auto port = free_port();
    auto log = dir.file("access.log");
    Proxyd proxyd(dir,
                  "log " + log + "\n" + log_format + "socks -p" + port_text(port) +
                      " -i127.0.0.1\nudppm -s -i127.0.0.1 " + port_text(port) + " 127.0.0.1 " +
                      port_text(server.port()) + "\n",
                  {port});
    UdpSocket client;
    client.send_to(port, "q1");
    CHECK(client.receive() == "echo:q1");
    auto line = log_line_with(log, {"UDPPM 0", ":" + port_text(client.port())});
    REQUIRE(line);
    CHECK(line->find(" 7 2 OK") != std::string::npos);
}

TEST_CASE("a reload that refuses a udppm client closes its session") {
    TempDir dir;
    UdpServer server(echo());
    auto port = free_port();
    auto log = dir.file("access.log");
    auto config = [&](const std::string& acl) {
        return "log " + log + "\n" + log_format + acl + "socks -p" + port_text(port) +
               " -i127.0.0.1\nudppm -i127.0.0.1 " + port_text(port) + " 127.0.0.1 " +
               port_text(server.port()) + "\n";
    };
    Proxyd proxyd(dir, config(""), {port});
    UdpSocket client;
    client.send_to(port, "before");
    CHECK(client.receive() == "echo:before");
    dir.write("proxyd.cfg", config("deny * * * * UDPASSOC\nallow *\n"));
    auto reload = proxyctl(proxyd, "reload", {"--json"});
    REQUIRE(reload.status == 0);
    auto record = json::parse(reload.out)["result"];
    CHECK(record["sessions"]["closed"] == 1);
    auto line = log_line_with(log, {"UDPPM 96", ":" + port_text(client.port())});
    REQUIRE(line);
    // The next datagram is judged by the new ACL.
    client.send_to(port, "after");
    CHECK(log_line_with(log, {"UDPPM 1 ", ":" + port_text(client.port())}));
    CHECK_FALSE(client.receive(300ms));
}

// ---- SOCKS5 UDP ASSOCIATE -----------------------------------------------------------------

TEST_CASE("SOCKS5 UDP ASSOCIATE relays a datagram and its reply in the SOCKS UDP header") {
    TempDir dir;
    UdpServer server(echo());
    auto port = free_port();
    auto log = dir.file("access.log");
    Proxyd proxyd(
        dir, "log " + log + "\n" + log_format + "socks -p" + port_text(port) + " -i127.0.0.1\n",
        {port});
    Client control(port);
    auto relay = socks5_associate(control);
    REQUIRE(relay != 0);
    UdpSocket client;
    client.send_to(relay, socks_udp(server.port(), "hello"));
    auto reply = client.receive();
    REQUIRE(reply);
    CHECK(*reply == socks_udp(server.port(), "echo:hello"));
    // A fragment is dropped, the association goes on.
    client.send_to(relay, std::string("\x00\x00\x01", 3) + socks_udp(server.port(), "x").substr(3));
    CHECK_FALSE(client.receive(300ms));
    client.send_to(relay, socks_udp(server.port(), "again"));
    CHECK(client.receive() == socks_udp(server.port(), "echo:again"));

    auto sessions = json::parse(proxyctl(proxyd, "sessions", {"--json"}).out);
    bool listed = false;
    for (const auto& s : sessions["result"]["sessions"])
        listed = listed || s["operation"] == "UDPASSOC";
    CHECK(listed);

    // Closing the control connection ends the association.
    ::shutdown(control.fd(), SHUT_RDWR);
    auto line = log_line_with(log, {"SOCKS5 0", "UDPASSOC"});
    REQUIRE(line);
    CHECK(line->find(" 20 10 OK") != std::string::npos);
    client.send_to(relay, socks_udp(server.port(), "late"));
    CHECK_FALSE(client.receive(300ms));
}

TEST_CASE("SOCKS5 UDP ASSOCIATE drops and logs a datagram to a destination the ACL denies") {
    TempDir dir;
    UdpServer allowed(echo());
    UdpServer denied(echo());
    auto port = free_port();
    auto log = dir.file("access.log");
    // The association is admitted on the address the client declares (0.0.0.0 here), as
    // in 3proxy; each datagram's destination is judged as well.
    Proxyd proxyd(dir,
                  "log " + log + "\n" + log_format + "allow * * 0.0.0.0,127.0.0.1 " +
                      port_text(allowed.port()) + " UDPASSOC\ndeny *\nsocks -p" + port_text(port) +
                      " -i127.0.0.1\n",
                  {port});
    Client control(port);
    auto relay = socks5_associate(control);
    REQUIRE(relay != 0);
    UdpSocket client;
    client.send_to(relay, socks_udp(denied.port(), "no"));
    auto line = log_line_with(log, {"SOCKS5 1", "127.0.0.1:" + port_text(denied.port())});
    REQUIRE(line);
    CHECK(line->find("datagram dropped") != std::string::npos);
    CHECK_FALSE(client.receive(300ms));
    CHECK(denied.received() == 0);
    client.send_to(relay, socks_udp(allowed.port(), "yes"));
    CHECK(client.receive() == socks_udp(allowed.port(), "echo:yes"));
}

TEST_CASE("SOCKS5 UDP ASSOCIATE relays only datagrams from the control connection's client") {
    TempDir dir;
    UdpServer server(echo());
    auto port = free_port();
    Proxyd proxyd(dir, "socks -p" + port_text(port) + "\n", {port});
    Client control(port);
    auto relay = socks5_associate(control);
    REQUIRE(relay != 0);
    UdpSocket stranger("127.0.0.4");
    stranger.send_to(relay, socks_udp(server.port(), "sneak"));
    CHECK_FALSE(stranger.receive(300ms));
    CHECK(server.received() == 0);
}

// ---- dnspr --------------------------------------------------------------------------------

TEST_CASE("dnspr answers A queries through the resolver and NXDOMAIN for unknown names") {
    TempDir dir;
    UdpServer dns(fake_dns);
    auto port = free_port();
    auto log = dir.file("access.log");
    Proxyd proxyd(dir,
                  "nserver 127.0.0.1:" + port_text(dns.port()) + "\nlog " + log + "\n" +
                      log_format + "socks -p" + port_text(port) + " -i127.0.0.1\ndnspr -p" +
                      port_text(port) + " -i127.0.0.1\n",
                  {port});
    UdpSocket client;
    auto query = dns_query(0x1234, "known.test", 1);
    client.send_to(port, query);
    auto reply = client.receive();
    REQUIRE(reply);
    auto r = parse_reply(*reply, query.size() - 12);
    CHECK(r.id == 0x1234);
    CHECK(r.rcode == 0);
    CHECK(r.question == query.substr(12));
    REQUIRE(r.answers == 1);
    CHECK(r.addresses[0] == "127.0.0.9");
    CHECK(r.ttls[0] == 60);  // proxyd's own answer, not the nserver's (777)

    auto missing = dns_query(0x2222, "missing.test", 1);
    client.send_to(port, missing);
    reply = client.receive();
    REQUIRE(reply);
    r = parse_reply(*reply, missing.size() - 12);
    CHECK(r.id == 0x2222);
    CHECK(r.rcode == 3);
    CHECK(r.answers == 0);

    auto line = log_line_with(log, {"DNSPR 0", "known.test"});
    REQUIRE(line);
    CHECK(line->find("|A known.test 127.0.0.9") != std::string::npos);
    CHECK(log_line_with(log, {"DNSPR 30", "missing.test"}));
}

TEST_CASE("dnspr forwards other query types to the nserver and relays its answer") {
    TempDir dir;
    UdpServer dns(fake_dns);
    auto port = free_port();
    Proxyd proxyd(dir,
                  "nserver 127.0.0.1:" + port_text(dns.port()) + "\nsocks -p" + port_text(port) +
                      " -i127.0.0.1\ndnspr -p" + port_text(port) + " -i127.0.0.1\n",
                  {port});
    UdpSocket client;
    auto query = dns_query(0x4321, "known.test", 15);
    client.send_to(port, query);
    auto reply = client.receive();
    REQUIRE(reply);
    auto expected = fake_dns(query);
    CHECK(reply == expected);
}

TEST_CASE("dnspr -s forwards A queries too") {
    TempDir dir;
    UdpServer dns(fake_dns);
    auto port = free_port();
    Proxyd proxyd(dir,
                  "nserver 127.0.0.1:" + port_text(dns.port()) + "\nsocks -p" + port_text(port) +
                      " -i127.0.0.1\ndnspr -s -p" + port_text(port) + " -i127.0.0.1\n",
                  {port});
    UdpSocket client;
    auto query = dns_query(0x0101, "known.test", 1);
    client.send_to(port, query);
    auto reply = client.receive();
    REQUIRE(reply);
    auto r = parse_reply(*reply, query.size() - 12);
    REQUIRE(r.answers == 1);
    CHECK(r.ttls[0] == 777);  // the nserver's own answer
}

TEST_CASE("dnspr answers nsrecord names without asking the nserver") {
    TempDir dir;
    UdpServer dns(fake_dns);
    auto port = free_port();
    Proxyd proxyd(dir,
                  "nserver 127.0.0.1:" + port_text(dns.port()) +
                      "\nnscache 256\nnsrecord static.test 127.0.0.5\nsocks -p" + port_text(port) +
                      " -i127.0.0.1\ndnspr -p" + port_text(port) + " -i127.0.0.1\n",
                  {port});
    UdpSocket client;
    auto query = dns_query(0x5555, "static.test", 1);
    client.send_to(port, query);
    auto reply = client.receive();
    REQUIRE(reply);
    auto r = parse_reply(*reply, query.size() - 12);
    CHECK(r.rcode == 0);
    REQUIRE(r.answers == 1);
    CHECK(r.addresses[0] == "127.0.0.5");
    CHECK(dns.received() == 0);
}

TEST_CASE("dnspr refuses a name the ACL denies with REFUSED and a log line") {
    TempDir dir;
    UdpServer dns(fake_dns);
    auto port = free_port();
    auto log = dir.file("access.log");
    Proxyd proxyd(dir,
                  "nserver 127.0.0.1:" + port_text(dns.port()) + "\nlog " + log + "\n" +
                      log_format + "deny * * known.test\nallow *\nsocks -p" + port_text(port) +
                      " -i127.0.0.1\ndnspr -p" + port_text(port) + " -i127.0.0.1\n",
                  {port});
    UdpSocket client;
    auto query = dns_query(0x0A0A, "known.test", 1);
    client.send_to(port, query);
    auto reply = client.receive();
    REQUIRE(reply);
    auto r = parse_reply(*reply, query.size() - 12);
    CHECK(r.id == 0x0A0A);
    CHECK(r.rcode == 5);
    CHECK(r.answers == 0);
    CHECK(log_line_with(log, {"DNSPR 1", "known.test", "denied by ACL"}));
    CHECK(dns.received() == 0);
}
