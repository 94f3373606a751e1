// The DNS cache through a real proxyd and a name server run by the test: sessions to one
// name make one query while its TTL lasts and another once it has passed; nsrecord names
// (targets and parent hosts) are answered without a query; a reload keeps the answers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace harness;
using json = nlohmann::json;

namespace {

// A name server on 127.0.0.1 (UDP): answers every A query with 127.0.0.1 and the TTL it
// is given, every other query with no answer, and counts the A queries per name.
class CountingDns {
  public:
    explicit CountingDns(std::uint32_t ttl) : ttl_(ttl) {
        fd_ = udp_on_loopback(port_);
        thread_ = std::thread([this] { serve(); });
    }
    ~CountingDns() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    int a_queries(const std::string& name) {
        std::lock_guard lock(mutex_);
        auto it = a_queries_.find(name);
        return it == a_queries_.end() ? 0 : it->second;
    }
    int all_queries() const { return all_queries_; }

  private:
    void serve() {
        unsigned char q[512];
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            sockaddr_storage from{};
            socklen_t from_len = sizeof from;
            auto n = ::recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 12) continue;
            ++all_queries_;
            // The question: labels up to the zero one, then QTYPE and QCLASS.
            std::string name;
            std::size_t end = 12;
            while (end < static_cast<std::size_t>(n) && q[end] != 0) {
                if (!name.empty()) name += '.';
                name.append(reinterpret_cast<char*>(q) + end + 1, q[end]);
                end += q[end] + 1u;
            }
            end += 5;
            if (end > static_cast<std::size_t>(n)) continue;
            bool is_a = q[end - 4] == 0 && q[end - 3] == 1;
            std::string r(reinterpret_cast<char*>(q), end);  // header and question
            r[2] = static_cast<char>(0x81);                  // response, recursion desired
            r[3] = static_cast<char>(0x80);                  // recursion available, no error
            r[6] = 0;
            r[7] = is_a ? 1 : 0;
            r[8] = r[9] = r[10] = r[11] = 0;  // no authority, no additional records
            if (is_a) {
                // Name (pointer to the question), type A, class IN, TTL, 127.0.0.1.
                r += std::string("\xc0\x0c\x00\x01\x00\x01", 6);
                for (int shift = 24; shift >= 0; shift -= 8)
                    r += static_cast<char>((ttl_ >> shift) & 0xff);
                r += std::string("\x00\x04\x7f\x00\x00\x01", 6);
                std::lock_guard lock(mutex_);
                ++a_queries_[name];
            }
            ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
        }
    }

    std::uint32_t ttl_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> all_queries_{0};
    std::mutex mutex_;
    std::map<std::string, int> a_queries_;
    std::thread thread_;
};

std::string via_socks(std::uint16_t socks_port, const std::string& host, std::uint16_t port,
                      const std::string& path) {
    return curl({"--socks5-hostname", "127.0.0.1:" + std::to_string(socks_port),
                 "http://" + host + ":" + std::to_string(port) + path})
        .body;
}

json status(const Proxyd& p) {
    auto r = proxyctl(p, "status", {"--json"});
    REQUIRE(r.status == 0);
    return json::parse(r.out)["result"];
}

}  // namespace

TEST_CASE("nscache: sessions to one name make one query while its TTL lasts") {
    TempDir dir;
    HttpServer http;
    CountingDns dns(3600);
    auto port = free_port();
    Proxyd p(dir,
             "nserver 127.0.0.1:" + std::to_string(dns.port()) + "\nnscache 256\nsocks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             {port});
    CHECK(via_socks(port, "cached.test", http.port(), "/one") == "hello /one\n");
    CHECK(via_socks(port, "cached.test", http.port(), "/two") == "hello /two\n");
    CHECK(via_socks(port, "CACHED.test", http.port(), "/three") == "hello /three\n");
    CHECK(dns.a_queries("cached.test") + dns.a_queries("CACHED.test") == 1);
    CHECK(status(p)["dns_cache_names"] == 1);
    // A reload keeps the answer.
    REQUIRE(proxyctl(p, "reload").status == 0);
    CHECK(via_socks(port, "cached.test", http.port(), "/four") == "hello /four\n");
    CHECK(dns.a_queries("cached.test") == 1);
}

TEST_CASE("nscache: an answer is asked again once its TTL has passed") {
    TempDir dir;
    HttpServer http;
    CountingDns dns(2);
    auto port = free_port();
    Proxyd p(dir,
             "nserver 127.0.0.1:" + std::to_string(dns.port()) + "\nnscache 256\nsocks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             {port});
    CHECK(via_socks(port, "short.test", http.port(), "/a") == "hello /a\n");
    CHECK(via_socks(port, "short.test", http.port(), "/b") == "hello /b\n");
    CHECK(dns.a_queries("short.test") == 1);
    // The answer's TTL is two seconds: nothing but the clock can end it.
    std::this_thread::sleep_for(2100ms);
    CHECK(via_socks(port, "short.test", http.port(), "/c") == "hello /c\n");
    CHECK(dns.a_queries("short.test") == 2);
}

TEST_CASE("without nscache every session asks the name server") {
    TempDir dir;
    HttpServer http;
    CountingDns dns(3600);
    auto port = free_port();
    Proxyd p(dir,
             "nserver 127.0.0.1:" + std::to_string(dns.port()) + "\nsocks -p" +
                 std::to_string(port) + " -i127.0.0.1\n",
             {port});
    CHECK(via_socks(port, "uncached.test", http.port(), "/a") == "hello /a\n");
    CHECK(via_socks(port, "uncached.test", http.port(), "/b") == "hello /b\n");
    CHECK(dns.a_queries("uncached.test") == 2);
    CHECK(status(p)["dns_cache_names"] == 0);
}

TEST_CASE("nsrecord names are answered without any query") {
    TempDir dir;
    HttpServer http;
    CountingDns dns(3600);
    auto port = free_port();
    Proxyd p(dir,
             "nserver 127.0.0.1:" + std::to_string(dns.port()) +
                 "\nnscache 256\nnsrecord static.test 127.0.0.1\nsocks -p" + std::to_string(port) +
                 " -i127.0.0.1\n",
             {port});
    CHECK(via_socks(port, "static.test", http.port(), "/s") == "hello /s\n");
    CHECK(via_socks(port, "static.test", http.port(), "/t") == "hello /t\n");
    CHECK(dns.all_queries() == 0);
}

TEST_CASE("a parent host given as a name is resolved through nsrecord") {
    TempDir dir;
    HttpServer http;
    CountingDns dns(3600);
    auto back = free_port();
    auto front = free_port();
    auto log = dir.file("access.log");
    // The back service has no ACL (everything allowed); the front one sends every
    // connection through it, named by an nsrecord name.
    Proxyd p(dir,
             "nserver 127.0.0.1:" + std::to_string(dns.port()) +
                 "\nnscache 256\nnsrecord parent.test 127.0.0.1\nlog " + log +
                 "\nlogformat \"L%p %E\"\nsocks -p" + std::to_string(back) +
                 " -i127.0.0.1\nallow *\nparent 1000 socks5 parent.test " + std::to_string(back) +
                 "\nsocks -p" + std::to_string(front) + " -i127.0.0.1\n",
             {back, front});
    CHECK(via_socks(front, "127.0.0.1", http.port(), "/p") == "hello /p\n");
    auto lines = wait_for_lines(log, 2);
    std::sort(lines.begin(), lines.end());
    std::vector<std::string> expected = {std::to_string(back) + " 0", std::to_string(front) + " 0"};
    std::sort(expected.begin(), expected.end());
    CHECK(lines == expected);
    CHECK(dns.all_queries() == 0);
}

TEST_CASE("a reload applies changed nsrecord entries and keeps cached answers") {
    TempDir dir;
    HttpServer http;
    CountingDns dns(3600);
    auto port = free_port();
    std::string head = "nserver 127.0.0.1:" + std::to_string(dns.port()) + "\nnscache 256\n";
    std::string service = "socks -p" + std::to_string(port) + " -i127.0.0.1\n";
    Proxyd p(dir, head + "nsrecord moved.test 127.0.0.1\n" + service, {port});
    CHECK(via_socks(port, "moved.test", http.port(), "/static") == "hello /static\n");
    CHECK(via_socks(port, "asked.test", http.port(), "/asked") == "hello /asked\n");
    CHECK(dns.all_queries() > 0);
    CHECK(dns.a_queries("moved.test") == 0);
    CHECK(dns.a_queries("asked.test") == 1);
    // The record goes: the name is asked for; the cached name is not asked again.
    dir.write("proxyd.cfg", head + service);
    REQUIRE(proxyctl(p, "reload").status == 0);
    CHECK(via_socks(port, "moved.test", http.port(), "/dynamic") == "hello /dynamic\n");
    CHECK(dns.a_queries("moved.test") == 1);
    CHECK(via_socks(port, "asked.test", http.port(), "/again") == "hello /again\n");
    CHECK(dns.a_queries("asked.test") == 1);
}
