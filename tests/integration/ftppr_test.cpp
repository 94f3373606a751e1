// ftppr: USER name@host logins, passive (EPSV, PASV) and active (EPRT, PORT) transfers
// through the proxy with curl, uploads, listings, per-command ACL operations (FTP_GET,
// FTP_PUT, FTP_LIST), refused logins, the log lines and reload re-checks.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "line_server.hpp"

using namespace harness;

namespace {

// The fake server's files and uploads, shared with its script.
struct FtpFiles {
    std::mutex mutex;
    std::string uploaded;
    int pasv_fd = -1;
    ~FtpFiles() {
        if (pasv_fd >= 0) ::close(pasv_fd);
    }
};

void send_text(int fd, const std::string& text) {
    std::size_t off = 0;
    while (off < text.size()) {
        auto n = ::send(fd, text.data() + off, text.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
    }
}

// Accepts the data connection on the passive port (within 3 s); -1 when none came.
int accept_data(FtpFiles& files) {
    pollfd p{files.pasv_fd, POLLIN, 0};
    int fd = ::poll(&p, 1, 3000) == 1 ? ::accept(files.pasv_fd, nullptr, nullptr) : -1;
    ::close(files.pasv_fd);
    files.pasv_fd = -1;
    return fd;
}

const std::string kFile = "hello through ftppr\n";

// A passive-only FTP server: any login but the password "wrong", one file, uploads kept.
LineServer::Script ftp_script(std::shared_ptr<FtpFiles> files) {
    return [files](const std::string& line, int control) -> LineServer::Answer {
        if (line.rfind("USER ", 0) == 0) return {"331 password please\r\n"};
        if (line == "PASS wrong") return {"530 login incorrect\r\n"};
        if (line.rfind("PASS ", 0) == 0) return {"230 logged in\r\n"};
        if (line == "PWD") return {"257 \"/\"\r\n"};
        if (line == "PASV") {
            int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
            ::listen(fd, 1);
            socklen_t len = sizeof sa;
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
            files->pasv_fd = fd;
            unsigned port = ntohs(sa.sin_port);
            // The address is deliberately not the server's: the proxy must use the
            // control connection's address.
            return {"227 Entering Passive Mode (10,9,8,7," + std::to_string(port >> 8) + "," +
                    std::to_string(port & 0xFF) + ")\r\n"};
        }
        if (line == "SIZE hello.txt") return {"213 " + std::to_string(kFile.size()) + "\r\n"};
        if (line.rfind("SIZE ", 0) == 0) return {"550 no such file\r\n"};
        if (line == "RETR hello.txt" || line.rfind("LIST", 0) == 0 || line.rfind("NLST", 0) == 0) {
            if (files->pasv_fd < 0) return {"425 use PASV first\r\n"};
            send_text(control, "150 opening data connection\r\n");
            int data = accept_data(*files);
            if (data < 0) return {"425 no data connection\r\n"};
            send_text(data, line.rfind("RETR", 0) == 0 ? kFile : "hello.txt\r\n");
            ::close(data);
            return {"226 transfer complete\r\n"};
        }
        if (line.rfind("RETR ", 0) == 0) return {"550 no such file\r\n"};
        if (line.rfind("STOR ", 0) == 0) {
            if (files->pasv_fd < 0) return {"425 use PASV first\r\n"};
            send_text(control, "150 send it\r\n");
            int data = accept_data(*files);
            if (data < 0) return {"425 no data connection\r\n"};
            std::string got;
            char buf[4096];
            for (;;) {
                pollfd p{data, POLLIN, 0};
                if (::poll(&p, 1, 3000) != 1) break;
                auto n = ::recv(data, buf, sizeof buf, 0);
                if (n <= 0) break;
                got.append(buf, static_cast<std::size_t>(n));
            }
            ::close(data);
            std::lock_guard lock(files->mutex);
            files->uploaded = got;
            return {"226 stored\r\n"};
        }
        if (line == "QUIT") return {"221 bye\r\n", true};
        return {"200 ok\r\n"};
    };
}

struct FtpSetup {
    TempDir dir;
    std::shared_ptr<FtpFiles> files = std::make_shared<FtpFiles>();
    LineServer server{"220 fake FTP ready\r\n", ftp_script(files)};
    std::uint16_t port = free_port();
    std::string log = dir.file("access.log");
    std::optional<Proxyd> proxyd;

    explicit FtpSetup(const std::string& policy, const std::string& options = "") {
        proxyd.emplace(dir, config(policy, options), std::vector<std::uint16_t>{port});
    }
    std::string config(const std::string& policy, const std::string& options = "") const {
        return "log " + log + "\nlogformat \"L%N %E %U %C %R:%r %I %O %T\"\n" + policy +
               "ftppr -p" + std::to_string(port) + " -i127.0.0.1" + options + "\n";
    }
    std::string target() const { return "127.0.0.1:" + std::to_string(server.port()); }
    // ftp://USER%40HOST%3APORT:PASSWORD@proxy/PATH: the login carries the server.
    std::string url(const std::string& path, const std::string& user = "bob",
                    const std::string& password = "secret") const {
        return "ftp://" + user + "%40127.0.0.1%3A" + std::to_string(server.port()) + ":" +
               password + "@127.0.0.1:" + std::to_string(port) + "/" + path;
    }
    bool server_saw(const std::string& line) {
        auto lines = server.lines();
        return std::find(lines.begin(), lines.end(), line) != lines.end();
    }
};

bool has_line(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("ftppr downloads through EPSV with the server named in the login") {
    FtpSetup s("auth iponly\nallow *\n");
    auto r = curl({s.url("hello.txt")});
    CHECK(r.status == 0);
    CHECK(r.body == kFile);
    // The server got the login without the host, and PASV from the proxy.
    auto lines = s.server.lines(4);
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0] == "USER bob");
    CHECK(lines[1] == "PASS secret");
    CHECK(s.server_saw("PASV"));
    CHECK(s.server_saw("RETR hello.txt"));
    auto log = wait_for_lines(s.log, 2);
    CHECK(has_line(log, "FTPPR 0 - 127.0.0.1 " + s.target() + " " + std::to_string(kFile.size()) +
                            " 0 RETR hello.txt"));
    CHECK(std::any_of(log.begin(), log.end(), [&](const std::string& l) {
        return l.starts_with("FTPPR 0 - 127.0.0.1 " + s.target()) &&
               l.ends_with(" bob@" + s.target());
    }));
}

TEST_CASE("ftppr serves PASV and listings with the -h default server") {
    auto files = std::make_shared<FtpFiles>();
    LineServer server("220 fake FTP ready\r\n", ftp_script(files));
    FtpSetup h("auth iponly\nallow *\n", " -h127.0.0.1:" + std::to_string(server.port()));
    std::string base = "ftp://127.0.0.1:" + std::to_string(h.port) + "/";
    auto get = curl({"--disable-epsv", "-u", "carol:pw", base + "hello.txt"});
    CHECK(get.status == 0);
    CHECK(get.body == kFile);
    auto list = curl({"--disable-epsv", "-u", "carol:pw", base});
    CHECK(list.status == 0);
    CHECK(list.body == "hello.txt\n");  // curl turns the listing's CR LF into LF
    auto lines = server.lines();
    CHECK(has_line(lines, "USER carol"));
    CHECK(std::any_of(lines.begin(), lines.end(),
                      [](const std::string& l) { return l.rfind("LIST", 0) == 0; }));
}

TEST_CASE("ftppr uploads with STOR") {
    FtpSetup s("auth iponly\nallow *\n");
    auto file = s.dir.write("up.txt", "uploaded bytes\n");
    auto r = curl({"-T", file, s.url("up.txt")});
    CHECK(r.status == 0);
    CHECK(s.server_saw("STOR up.txt"));
    std::lock_guard lock(s.files->mutex);
    CHECK(s.files->uploaded == "uploaded bytes\n");
}

TEST_CASE("ftppr connects back to the client for EPRT and PORT") {
    FtpSetup s("auth iponly\nallow *\n");
    auto eprt = curl({"--ftp-port", "127.0.0.1", s.url("hello.txt")});
    CHECK(eprt.status == 0);
    CHECK(eprt.body == kFile);
    auto port = curl({"--ftp-port", "127.0.0.1", "--disable-eprt", s.url("hello.txt")});
    CHECK(port.status == 0);
    CHECK(port.body == kFile);
}

TEST_CASE("ftppr checks FTP_PUT FTP_GET and FTP_LIST per command") {
    FtpSetup s("auth iponly\ndeny * * * * FTP_PUT\nallow *\n");
    auto file = s.dir.write("up.txt", "forbidden\n");
    auto put = curl({"-T", file, s.url("up.txt")});
    CHECK(put.status != 0);
    CHECK(put.http_code == "550");
    CHECK_FALSE(s.server_saw("STOR up.txt"));
    auto get = curl({s.url("hello.txt")});
    CHECK(get.status == 0);
    CHECK(get.body == kFile);
    auto log = wait_for_lines(s.log, 3);
    CHECK(has_line(log, "FTPPR 1 - 127.0.0.1 " + s.target() + " 0 0 STOR up.txt"));

    // Listings are FTP_LIST: an ACL that allows only downloads refuses them.
    FtpSetup get_only("auth iponly\nallow * * * * CONNECT,FTP_GET\n");
    auto list = curl({get_only.url("")});
    CHECK(list.status != 0);
    CHECK(list.http_code == "550");
    auto download = curl({get_only.url("hello.txt")});
    CHECK(download.status == 0);
    CHECK(download.body == kFile);
}

TEST_CASE("ftppr refuses logins the proxy or the server rejects") {
    FtpSetup s("users alice:CL:apw\nauth strong\nallow alice\n");
    SECTION("no proxy credentials: the server is never contacted") {
        auto r = curl({s.url("hello.txt")});
        CHECK(r.status != 0);
        CHECK(r.http_code == "530");
        CHECK(s.server.connections() == 0);
        auto log = wait_for_lines(s.log, 1);
        REQUIRE(!log.empty());
        CHECK(log[0].starts_with("FTPPR 4 - 127.0.0.1 " + s.target()));
    }
    SECTION("proxy credentials in the login, and the server's own refusal") {
        auto ok = curl({s.url("hello.txt", "alice%3Aapw%3Abob")});
        CHECK(ok.status == 0);
        CHECK(ok.body == kFile);
        auto bad = curl({s.url("hello.txt", "alice%3Aapw%3Abob", "wrong")});
        CHECK(bad.status != 0);
        CHECK(bad.http_code == "530");
        auto log = wait_for_lines(s.log, 3);
        CHECK(std::any_of(log.begin(), log.end(), [](const std::string& l) {
            return l.starts_with("FTPPR 32 alice 127.0.0.1");
        }));
    }
}

TEST_CASE("a reload closes the ftppr session of a removed user") {
    FtpSetup s("users alice:CL:apw bob:CL:bpw\nauth strong\nallow alice,bob\n");
    Client c(s.port);
    REQUIRE(c.read(11) == "220 Ready\r\n");
    REQUIRE(c.send("USER alice:apw:bob@" + s.target() + "\r\nPASS secret\r\n"));
    CHECK(c.read(8) == "331 ok\r\n");
    CHECK(c.read(15) == "230 logged in\r\n");
    s.dir.write("proxyd.cfg", s.config("users bob:CL:bpw\nauth strong\nallow alice,bob\n"));
    REQUIRE(proxyctl(*s.proxyd, "reload").status == 0);
    std::string got;
    CHECK(c.read_until_close(got, std::chrono::seconds(1)));
    auto log = wait_for_lines(s.log, 1);
    REQUIRE(log.size() == 1);
    CHECK(log[0].starts_with("FTPPR 96 alice 127.0.0.1 " + s.target()));
}
