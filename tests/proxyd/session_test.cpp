// The session state machine driven by a test host instead of a Worker: a real event loop
// and real sockets (loopback TCP), with the host recording what the sessions ask of it
// (slots, retirement, handshake bookkeeping). Every wait is bounded.
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "access_log.hpp"
#include "config_snapshot.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "metrics.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycfg/lint.hpp"
#include "proxycfg/recheck.hpp"
#include "relay.hpp"
#include "session.hpp"
#include "session_host.hpp"
#include "socks.hpp"
#include "temp_dir.hpp"

using namespace proxyd;
using namespace std::chrono_literals;

namespace {

using testing::TempDir;

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

SnapshotPtr snapshot_of(const std::string& text, std::uint64_t generation = 1) {
    auto loaded = proxycfg::load_config_text("session_test.cfg", text);
    REQUIRE(loaded.readable());
    REQUIRE_FALSE(proxycfg::has_errors(loaded.diagnostics));
    auto model = std::make_shared<const proxycfg::Model>(std::move(loaded.model));
    auto snapshot = std::make_shared<ConfigSnapshot>(model, generation, "session_test.cfg");
    snapshot->recheck_generation = generation;
    return snapshot;
}

// One SOCKS service for user bob; the third timeouts value (the handshake deadline) is
// 1 s so a silent client is cut quickly. The log line is "code|reason|user|request".
std::string socks_config(const std::string& log, const std::string& users = "bob:CL:secret",
                         const std::string& acl = "allow bob") {
    return "users " + users + "\nlog " + log +
           "\nlogformat \"L%E|%e|%U|%T\"\ntimeouts 1 5 1 60 180 1800 15 60\nforce\nauth strong\n" +
           acl + "\nsocks -i127.0.0.1 -p1080\n";
}

UniqueFd listen_loopback(std::uint16_t& port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(fd.get(), 16) == 0);
    socklen_t len = sizeof sa;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
    port = ntohs(sa.sin_port);
    return fd;
}

bool wait_for(int fd, short events, std::chrono::milliseconds limit) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(limit.count())) == 1;
}

// Accepts one connection on a blocking listening socket, as a worker's listener would:
// the accepted end is non-blocking.
UniqueFd accept_one(int listener, sockaddr_storage* peer = nullptr) {
    REQUIRE(wait_for(listener, POLLIN, 2000ms));
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    UniqueFd fd(::accept4(listener, reinterpret_cast<sockaddr*>(&sa), &len, SOCK_CLOEXEC));
    REQUIRE(fd);
    if (peer) *peer = sa;
    return fd;
}

// A client connected over loopback: `client` is the test's end, `server` the end a
// listener would have accepted (non-blocking), `peer` the client's address.
struct Connection {
    UniqueFd client;
    UniqueFd server;
    sockaddr_storage peer{};
};

Connection connect_loopback() {
    std::uint16_t port = 0;
    auto listener = listen_loopback(port);
    Connection c;
    c.client = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(c.client);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    REQUIRE(::connect(c.client.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    c.server = UniqueFd(::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                                  SOCK_NONBLOCK | SOCK_CLOEXEC));
    REQUIRE(c.server);
    c.peer = peer;
    return c;
}

std::size_t pending_bytes(int fd) {
    int n = 0;
    if (::ioctl(fd, FIONREAD, &n) != 0) return 0;
    return static_cast<std::size_t>(n);
}

void send_all(int fd, std::string_view data) {
    REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(data.size()));
}

// Reads up to `n` bytes, stopping early at end of stream or when nothing comes for
// `limit`.
std::string read_bytes(int fd, std::size_t n, std::chrono::milliseconds limit = 2000ms) {
    std::string out;
    while (out.size() < n && wait_for(fd, POLLIN, limit)) {
        char buf[4096];
        auto got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), MSG_DONTWAIT);
        if (got <= 0) break;
        out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
}

// True when the peer has closed the stream (FIN or reset) within `limit`.
bool peer_closed(int fd, std::chrono::milliseconds limit = 2000ms) {
    if (!wait_for(fd, POLLIN, limit)) return false;
    char c = 0;
    auto got = ::recv(fd, &c, 1, MSG_DONTWAIT);
    return got == 0 || (got < 0 && errno == ECONNRESET);
}

std::string socks5_greeting_and_auth(const std::string& user, const std::string& password) {
    std::string out{'\x05', '\x01', '\x02'};
    out += '\x01';
    out += static_cast<char>(user.size());
    out += user;
    out += static_cast<char>(password.size());
    out += password;
    return out;
}

std::string socks5_connect(std::uint32_t address, std::uint16_t port) {
    std::string out{'\x05', '\x01', '\x00', '\x01'};
    for (int shift : {24, 16, 8, 0}) out += static_cast<char>((address >> shift) & 0xFF);
    out += static_cast<char>(port >> 8);
    out += static_cast<char>(port & 0xFF);
    return out;
}

// The host a Worker would be, minus listeners and the handshake board: it owns the
// sessions, frees their slot when they retire and counts every call a session makes.
class TestHost final : public SessionHost {
  public:
    explicit TestHost(SnapshotPtr config) : config_(std::move(config)) {
        loop_.set_end_of_batch([this] { graveyard_.clear(); });
    }
    ~TestHost() override {
        // Sessions deregister from the loop they reference: they go first.
        graveyard_.clear();
        sessions_.clear();
    }
    TestHost(const TestHost&) = delete;
    TestHost& operator=(const TestHost&) = delete;

    EventLoop& loop() override { return loop_; }
    Resolver& resolver() override {
        // Every target in these tests is a literal address: a lookup is a bug.
        throw std::logic_error("unexpected name lookup");
    }
    PipePool& pipes() override { return pipes_; }
    AccessLog& access_log() override { return log_; }
    const SnapshotPtr& config() const override { return config_; }
    std::uint64_t next_session_id() override { return ++last_id_; }
    Metrics* metrics() override { return metrics_; }
    void set_metrics(Metrics* m) { metrics_ = m; }
    void handshake_started(const Session& session) override {
        ++handshakes_started[session.record().id];
    }
    void handshake_finished(const Session& session) override {
        ++handshakes_finished[session.record().id];
    }
    void retire(Session& session) override {
        auto id = session.record().id;
        ++retired[id];
        final_records[id] = session.record();
        session.config().slots.release(session.record().service_index);
        if (auto it = sessions_.find(id); it != sessions_.end()) {
            graveyard_.push_back(std::move(it->second));
            sessions_.erase(it);
        }
    }

    // What Worker::accept does for an admitted connection: a maxconn slot, then the
    // session starts. Returns the session's id (0: refused at maxconn).
    template <typename SessionType>
    std::uint64_t accept(std::size_t service_index, UniqueFd fd, const sockaddr_storage& peer) {
        const auto& service = config_->model->services.at(service_index);
        if (!config_->slots.acquire(service_index, service.maxconn.value)) return 0;
        auto session =
            std::make_unique<SessionType>(*this, config_, service_index, std::move(fd), peer);
        auto id = session->record().id;
        auto& s = *sessions_.emplace(id, std::move(session)).first->second;
        s.start();
        return id;
    }

    Session* find(std::uint64_t id) {
        auto it = sessions_.find(id);
        return it == sessions_.end() ? nullptr : it->second.get();
    }
    bool live(std::uint64_t id) const { return sessions_.contains(id); }

    void set_config(SnapshotPtr next) { config_ = std::move(next); }

    // Runs the loop until `done` holds or `limit` passes; timeouts are swept as a
    // worker's tick does, only more often. True when `done` held.
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 3000ms) {
        auto deadline = Clock::now() + limit;
        bool met = false;
        bool stopping = false;
        loop_.set_tick(5ms, [&] {
            if (stopping) return;
            sweep_timeouts();
            met = done();
            if (met || Clock::now() >= deadline) {
                stopping = true;
                loop_.stop();
            }
        });
        loop_.run();
        loop_.set_tick(5ms, {});  // the handler above refers to this frame
        return met;
    }
    // Runs one task on the loop thread, inside an event batch as the reload engine's
    // posted tasks run.
    void run_task(const std::function<void()>& task) {
        bool ran = false;
        loop_.post([&] {
            task();
            ran = true;
        });
        run_until([&] { return ran; });
    }

    std::map<std::uint64_t, int> retired;
    std::map<std::uint64_t, int> handshakes_started;
    std::map<std::uint64_t, int> handshakes_finished;
    std::map<std::uint64_t, SessionRecord> final_records;

  private:
    void sweep_timeouts() {
        auto now = loop_.now();
        std::vector<std::uint64_t> expired;
        for (auto& [id, s] : sessions_)
            if (s->timed_out(now)) expired.push_back(id);
        for (auto id : expired)
            if (auto* s = find(id)) s->check_timeout(now);
    }

    SnapshotPtr config_;
    EventLoop loop_;
    PipePool pipes_;
    AccessLog log_;
    std::uint64_t last_id_ = 0;
    std::map<std::uint64_t, std::unique_ptr<Session>> sessions_;
    std::vector<std::unique_ptr<Session>> graveyard_;
    Metrics* metrics_ = nullptr;
};

// A SOCKS5 session of bob's relaying to a loopback upstream, set up through the real
// handshake. The replies to the greeting, the authentication and the CONNECT are checked.
struct Relaying {
    Connection conn;
    UniqueFd upstream_listener;
    UniqueFd upstream;
    std::uint64_t id = 0;
};

void start_relaying(TestHost& host, Relaying& r) {
    std::uint16_t up_port = 0;
    r.upstream_listener = listen_loopback(up_port);
    r.conn = connect_loopback();
    r.id = host.accept<SocksSession>(0, std::move(r.conn.server), r.conn.peer);
    REQUIRE(r.id != 0);
    send_all(r.conn.client.get(),
             socks5_greeting_and_auth("bob", "secret") + socks5_connect(0x7F000001, up_port));
    // Method choice (2 bytes), authentication status (2) and the CONNECT reply (10).
    int client = r.conn.client.get();
    REQUIRE(host.run_until([&] { return pending_bytes(client) >= 14; }));
    auto replies = read_bytes(client, 14);
    REQUIRE(replies.size() == 14);
    CHECK(replies.substr(0, 2) == std::string("\x05\x02", 2));
    CHECK(replies.substr(2, 2) == std::string("\x01\x00", 2));
    CHECK(replies.substr(4, 2) == std::string("\x05\x00", 2));
    r.upstream = accept_one(r.upstream_listener.get());
}

}  // namespace

TEST_CASE("an admitted SOCKS5 session relays both ways and logs OK once both sides close",
          "[session]") {
    TempDir dir;
    auto log = dir.file("access.log");
    auto config = snapshot_of(socks_config(log));
    TestHost host(config);
    Relaying r;
    start_relaying(host, r);
    CHECK(config->slots.active(0) == 1);
    CHECK(host.handshakes_started[r.id] == 1);
    CHECK(host.handshakes_finished[r.id] == 1);  // admission ends the first handshake

    send_all(r.conn.client.get(), "ping");
    send_all(r.upstream.get(), "pong!");
    int up = r.upstream.get();
    int client = r.conn.client.get();
    REQUIRE(host.run_until([&] { return pending_bytes(up) >= 4 && pending_bytes(client) >= 5; }));
    CHECK(read_bytes(up, 4) == "ping");
    CHECK(read_bytes(client, 5) == "pong!");

    ::shutdown(client, SHUT_WR);
    r.upstream.reset();
    REQUIRE(host.run_until([&] { return !host.live(r.id); }));
    CHECK(peer_closed(client));
    CHECK(host.retired[r.id] == 1);
    CHECK(config->slots.active(0) == 0);
    const auto& record = host.final_records[r.id];
    CHECK(record.admitted);
    CHECK(record.bytes_out == 4);  // from the client
    CHECK(record.bytes_in == 5);   // from the upstream
    auto lines = lines_of(log);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("0|OK|bob|CONNECT 127.0.0.1:", 0) == 0);
}

TEST_CASE("a SOCKS5 request the ACL refuses gets reply 02 and is logged with the verdict",
          "[session]") {
    TempDir dir;
    auto log = dir.file("access.log");
    // bob may go to 127.0.0.1 only.
    auto config = snapshot_of(socks_config(log, "bob:CL:secret", "allow bob * 127.0.0.1"));
    TestHost host(config);
    auto conn = connect_loopback();
    auto id = host.accept<SocksSession>(0, std::move(conn.server), conn.peer);
    REQUIRE(id != 0);
    int client = conn.client.get();
    send_all(client, socks5_greeting_and_auth("bob", "secret") + socks5_connect(0x7F000002, 9));
    REQUIRE(host.run_until([&] { return pending_bytes(client) >= 14; }));
    auto replies = read_bytes(client, 14);
    REQUIRE(replies.size() == 14);
    CHECK(replies.substr(0, 4) == std::string("\x05\x02\x01\x00", 4));
    CHECK(replies.substr(4) == std::string("\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00", 10));
    // The refusal lingers until the client has read it and closes.
    CHECK(peer_closed(client));
    CHECK(host.live(id));
    conn.client.reset();
    REQUIRE(host.run_until([&] { return !host.live(id); }));

    CHECK(host.retired[id] == 1);
    CHECK(config->slots.active(0) == 0);
    CHECK(host.handshakes_started[id] == 1);
    CHECK(host.handshakes_finished[id] == 1);
    CHECK_FALSE(host.final_records[id].admitted);
    auto verdict = proxycfg::Verdict::acl_no_match;
    CHECK(result_code(verdict) == result::acl_no_match);
    CHECK(admission_reason(verdict) == "no ACL entry matches");
    auto lines = lines_of(log);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "3|no ACL entry matches|bob|CONNECT 127.0.0.2:9");
}

TEST_CASE("a session's bytes, refusal and end reach its service's metrics", "[session][metrics]") {
    TempDir dir;
    auto log = dir.file("access.log");
    auto config = snapshot_of(socks_config(log, "bob:CL:secret alice:CL:pw",
                                           "allow bob * 127.0.0.1\nallow alice * 127.0.0.3"));
    const auto& label = config->model->services.at(0).label;
    Metrics metrics;
    auto& m = metrics.service(label);
    auto count = [](const auto& a, auto reason) {
        return a[static_cast<std::size_t>(reason)].load();
    };
    TestHost host(config);
    host.set_metrics(&metrics);

    Relaying r;
    start_relaying(host, r);
    send_all(r.conn.client.get(), "ping");
    send_all(r.upstream.get(), "pong!");
    int up = r.upstream.get();
    int client = r.conn.client.get();
    REQUIRE(host.run_until([&] { return pending_bytes(up) >= 4 && pending_bytes(client) >= 5; }));
    // A long session's bytes show before it ends (the worker's tick asks for them).
    host.find(r.id)->report_traffic();
    CHECK(count(m.bytes, Direction::to_client) == 5);
    CHECK(count(m.bytes, Direction::to_server) == 4);
    CHECK(count(m.closed, CloseReason::normal) == 0);
    ::shutdown(client, SHUT_WR);
    r.upstream.reset();
    REQUIRE(host.run_until([&] { return !host.live(r.id); }));
    CHECK(count(m.closed, CloseReason::normal) == 1);
    CHECK(count(m.bytes, Direction::to_client) == 5);  // not counted twice at the end
    CHECK(count(m.bytes, Direction::to_server) == 4);

    // Refused by the ACL, then a wrong password.
    for (auto [user, password] : {std::pair{"bob", "secret"}, std::pair{"alice", "wrong"}}) {
        auto conn = connect_loopback();
        auto id = host.accept<SocksSession>(0, std::move(conn.server), conn.peer);
        REQUIRE(id != 0);
        int c = conn.client.get();
        send_all(c, socks5_greeting_and_auth(user, password) + socks5_connect(0x7F000002, 9));
        REQUIRE(host.run_until([&] { return pending_bytes(c) >= 4; }));
        conn.client.reset();
        REQUIRE(host.run_until([&] { return !host.live(id); }));
    }
    CHECK(count(m.refused, Refusal::acl) == 1);
    CHECK(count(m.refused, Refusal::auth) == 1);
    CHECK(count(m.auth_failures, AuthFailure::bad_password) == 1);
    CHECK(count(m.auth_failures, AuthFailure::unknown_user) == 0);
    CHECK(count(m.closed, CloseReason::refused) == 2);
    CHECK(count(m.closed, CloseReason::normal) == 1);
}

TEST_CASE("a client that sends nothing is closed at the handshake deadline", "[session]") {
    TempDir dir;
    auto log = dir.file("access.log");
    auto config = snapshot_of(socks_config(log));
    // Before the host: the session's clock is its loop's, read at the loop's last wake-up.
    auto t0 = Clock::now();
    TestHost host(config);
    auto conn = connect_loopback();
    auto id = host.accept<SocksSession>(0, std::move(conn.server), conn.peer);
    REQUIRE(id != 0);
    REQUIRE(host.run_until([&] { return !host.live(id); }, 4000ms));
    auto elapsed = Clock::now() - t0;
    CHECK(elapsed >= 950ms);
    CHECK(elapsed < 2500ms);
    CHECK(peer_closed(conn.client.get()));
    CHECK(host.retired[id] == 1);
    CHECK(host.handshakes_finished[id] == 1);
    CHECK(config->slots.active(0) == 0);
    auto lines = lines_of(log);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("91|handshake timeout|-|", 0) == 0);
}

TEST_CASE("a client that leaves without a byte is closed without a log line", "[session]") {
    TempDir dir;
    auto log = dir.file("access.log");
    auto config = snapshot_of(socks_config(log));
    TestHost host(config);
    auto conn = connect_loopback();
    auto id = host.accept<SocksSession>(0, std::move(conn.server), conn.peer);
    conn.client.reset();
    REQUIRE(host.run_until([&] { return !host.live(id); }));
    CHECK(host.retired[id] == 1);
    CHECK(config->slots.active(0) == 0);
    CHECK(lines_of(log).empty());
}

TEST_CASE(
    "a reload re-check revokes a relaying session: the client is cut at once, the log "
    "line gives the re-check's reason",
    "[session]") {
    TempDir dir;
    auto log = dir.file("access.log");
    auto config = snapshot_of(socks_config(log));
    TestHost host(config);
    Relaying r;
    start_relaying(host, r);

    // The next generation drops bob; its re-check closes his session.
    auto next = snapshot_of(socks_config(log, "alice:CL:apw", "allow alice"), 2);
    Session* s = host.find(r.id);
    REQUIRE(s != nullptr);
    auto verdict =
        proxycfg::recheck_session(*config->model, *next->model, s->recheck_facts(AclClock::now()));
    REQUIRE(verdict.closes());
    CHECK(verdict.reason() == "user removed");

    // As the reload engine does: revoke in the re-check step, close in a later task.
    host.run_task([&] {
        host.set_config(next);
        s->revoke(verdict.reason());
    });
    // The client's connection ends before the session is torn down.
    CHECK(peer_closed(r.conn.client.get()));
    std::uint64_t id = r.id;
    host.run_task([&] {
        if (Session* live = host.find(id)) live->close(result::closed_by_operator, {});
    });
    REQUIRE(host.run_until([&] { return !host.live(id); }));
    CHECK(peer_closed(r.upstream.get()));
    CHECK(host.retired[id] == 1);
    CHECK(config->slots.active(0) == 0);
    auto lines = lines_of(log);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("96|revoked by reload: user removed|bob|CONNECT 127.0.0.1:", 0) == 0);
}

TEST_CASE("close is idempotent: one log line, one retirement, one slot released", "[session]") {
    TempDir dir;
    auto log = dir.file("access.log");
    auto config = snapshot_of(socks_config(log));
    TestHost host(config);
    Relaying r;
    start_relaying(host, r);
    REQUIRE(config->slots.active(0) == 1);

    std::uint64_t id = r.id;
    host.run_task([&] {
        Session* s = host.find(id);
        REQUIRE(s != nullptr);
        s->close(result::io_error, "first");
        CHECK(s->closed());
        // Later calls in the same batch (the session is not destroyed yet) change nothing.
        s->close(result::ok, "second");
        s->close_silently();
        s->revoke("too late");
        s->check_timeout(Clock::now() + 1h);
    });
    CHECK_FALSE(host.live(id));
    CHECK(peer_closed(r.conn.client.get()));
    CHECK(peer_closed(r.upstream.get()));
    CHECK(host.retired[id] == 1);
    CHECK(host.handshakes_finished[id] == 1);
    CHECK(config->slots.active(0) == 0);
    auto lines = lines_of(log);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("97|first|bob|CONNECT 127.0.0.1:", 0) == 0);
}

TEST_CASE("a session closed in its handshake ends its handshake bookkeeping once", "[session]") {
    TempDir dir;
    auto log = dir.file("access.log");
    auto config = snapshot_of(socks_config(log));
    TestHost host(config);
    auto conn = connect_loopback();
    auto id = host.accept<SocksSession>(0, std::move(conn.server), conn.peer);
    REQUIRE(host.find(id) != nullptr);
    CHECK(host.find(id)->in_first_handshake());
    host.run_task([&] {
        Session* s = host.find(id);
        REQUIRE(s != nullptr);
        s->close(result::handshake_displaced, "handshake displaced: service at maxconn");
        s->close(result::io_error, "again");
    });
    CHECK(host.handshakes_started[id] == 1);
    CHECK(host.handshakes_finished[id] == 1);
    CHECK(host.retired[id] == 1);
    CHECK(config->slots.active(0) == 0);
    CHECK(peer_closed(conn.client.get()));
    auto lines = lines_of(log);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("11|handshake displaced: service at maxconn|-|", 0) == 0);
}

TEST_CASE(
    "a session admitted after a re-checking reload that came during its handshake is held "
    "to that re-check",
    "[session]") {
    TempDir dir;
    auto log = dir.file("access.log");
    auto config = snapshot_of(socks_config(log));
    TestHost host(config);
    auto conn = connect_loopback();
    auto id = host.accept<SocksSession>(0, std::move(conn.server), conn.peer);
    REQUIRE(id != 0);
    // The reload lands while the client has not even greeted: the session keeps its own
    // generation (bob's password is still checked against it), but admission asks the
    // host for the latest one.
    host.set_config(snapshot_of(socks_config(log, "alice:CL:apw", "allow alice"), 2));
    int client = conn.client.get();
    send_all(client, socks5_greeting_and_auth("bob", "secret") + socks5_connect(0x7F000001, 9));
    REQUIRE(host.run_until([&] { return pending_bytes(client) >= 14; }));
    auto replies = read_bytes(client, 14);
    REQUIRE(replies.size() == 14);
    CHECK(replies.substr(2, 2) == std::string("\x01\x00", 2));  // password accepted
    CHECK(replies.substr(4, 2) == std::string("\x05\x02", 2));  // CONNECT not allowed
    conn.client.reset();
    REQUIRE(host.run_until([&] { return !host.live(id); }));
    CHECK(host.retired[id] == 1);
    CHECK(config->slots.active(0) == 0);
    CHECK_FALSE(host.final_records[id].admitted);
    auto lines = lines_of(log);
    REQUIRE(lines.size() == 1);
    // Refused as a new client of the latest generation would be: bob is unknown there.
    CHECK(lines[0] == "5|unknown user|bob|CONNECT 127.0.0.1:9");
}
