#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace harness {

int listen_on(bool v6, std::uint16_t& port) {
    int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
        auto& a = reinterpret_cast<sockaddr_in6&>(ss);
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        len = sizeof a;
    } else {
        auto& a = reinterpret_cast<sockaddr_in&>(ss);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof a;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 128) != 0) {
        ::close(fd);
        return -1;
    }
    len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    port = ntohs(v6 ? reinterpret_cast<sockaddr_in6&>(ss).sin6_port
                    : reinterpret_cast<sockaddr_in&>(ss).sin_port);
    return fd;
}

namespace {

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

}  // namespace

int udp_on_loopback(std::uint16_t& port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (fd >= 0) ::close(fd);
        return -1;
    }
    port = ntohs(a.sin_port);
    return fd;
}

// accept() with a poll so the acceptor thread notices stop_ within 100 ms.
int accept_with_stop(int listen_fd, const std::atomic<bool>& stop) {
    while (!stop) {
        pollfd p{listen_fd, POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) return ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    }
    return -1;
}

std::uint16_t free_port() {
    // The port stays bound (not listening) with SO_REUSEADDR for the rest of the test
    // process: proxyd, which also sets SO_REUSEADDR, can still bind it (Linux lets such
    // sockets share a port while at most one listens), but no other test running in
    // parallel can be handed the same port in the meantime. The reservation is on the
    // wildcard address: one on 127.0.0.1 alone would not stop a bind to port 0 on
    // another loopback address from getting the port, and a service listening on all
    // addresses would then find it taken. Connections to it are refused until proxyd
    // listens.
    static std::vector<int> reserved;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0)
        throw std::runtime_error("bind failed");
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    reserved.push_back(fd);
    return ntohs(a.sin_port);
}

TempDir::TempDir() {
    std::string tmpl = "/tmp/proxyd-test-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name)) << text;
    return file(name);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

RunResult run(const std::vector<std::string>& argv) {
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return {};
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out_pipe[1], STDOUT_FILENO);
        ::dup2(err_pipe[1], STDERR_FILENO);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    RunResult result;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open = 2;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (open > 0 && std::chrono::steady_clock::now() < deadline) {
        if (::poll(fds, 2, 1000) <= 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            char buf[4096];
            auto n = ::read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            } else {
                (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return result;
}

Process::Process(const std::vector<std::string>& argv, const std::string& stdout_path,
                 const std::string& stderr_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
        int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(out, STDOUT_FILENO);
        ::dup2(err, STDERR_FILENO);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (reaped_) return 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            reaped_ = true;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
}

std::optional<int> Process::signal_and_wait(int sig, std::chrono::milliseconds timeout) {
    if (!reaped_) ::kill(pid_, sig);
    return wait(timeout);
}

Process::~Process() {
    if (pid_ > 0 && !reaped_) {
        if (!signal_and_wait(SIGTERM, 3s)) signal_and_wait(SIGKILL, 3s);
    }
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        Client c(port);
        if (c.connected()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

Proxyd::Proxyd(const TempDir& dir, const std::string& config_text, std::vector<std::uint16_t> ports,
               int workers, std::vector<std::string> extra_args) {
    config_path = dir.write("proxyd.cfg", config_text);
    control_path = dir.file("control.sock");
    stdout_path_ = dir.file("proxyd.out");
    stderr_path_ = dir.file("proxyd.err");
    std::vector<std::string> argv{PROXYD_BINARY, "--workers", std::to_string(workers), "--control",
                                  control_path};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    argv.push_back(config_path);
    process_.emplace(argv, stdout_path_, stderr_path_);
    for (auto p : ports)
        if (!wait_for_port(p, 5s))
            throw std::runtime_error("proxyd did not listen: " + stderr_text());
    // Something else answering on the port while proxyd failed to start would be worse
    // than no answer: make sure it is really proxyd.
    if (process_->wait(0ms)) throw std::runtime_error("proxyd exited: " + stderr_text());
    // The ports listen from the moment they are bound; the control socket comes a moment
    // later, once the workers run.
    for (int i = 0; i < 250 && ::access(control_path.c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(20ms);
}

std::vector<std::string> wait_for_lines(const std::string& path, std::size_t count,
                                        std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::string> lines;
    for (;;) {
        lines.clear();
        std::istringstream in(read_file(path));
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        if (lines.size() >= count || std::chrono::steady_clock::now() >= deadline) return lines;
        std::this_thread::sleep_for(20ms);
    }
}

HttpServer::HttpServer() {
    listen_fd_ = listen_on(false, port_);
    acceptor_ = std::thread([this] {
        for (;;) {
            int fd = accept_with_stop(listen_fd_, stop_);
            if (fd < 0) return;
            ++connections_;
            threads_.emplace_back([this, fd] { serve(fd); });
        }
    });
}

HttpServer::~HttpServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : threads_) t.join();
    ::close(listen_fd_);
}

std::vector<std::string> HttpServer::request_heads() {
    std::lock_guard lock(mutex_);
    return heads_;
}

void HttpServer::serve(int fd) {
    std::string buffer;
    while (!stop_) {
        auto end = buffer.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (!wait_readable(fd, 100ms)) continue;
            char chunk[16384];
            auto n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            buffer.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        std::string head = buffer.substr(0, end + 4);
        buffer.erase(0, end + 4);
        {
            std::lock_guard lock(mutex_);
            heads_.push_back(head);
        }
        std::string method = head.substr(0, head.find(' '));
        std::string path = head.substr(head.find(' ') + 1);
        path = path.substr(0, path.find(' '));
        std::size_t length = 0;
        if (auto cl = head.find("Content-Length: "); cl != std::string::npos)
            length = std::stoul(head.substr(cl + 16));
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (buffer.size() < length && std::chrono::steady_clock::now() < deadline) {
            if (!wait_readable(fd, 100ms)) continue;
            char chunk[16384];
            auto n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            buffer.append(chunk, static_cast<std::size_t>(n));
        }
        std::string body = method == "POST" ? buffer.substr(0, length) : "hello " + path + "\n";
        buffer.erase(0, std::min(length, buffer.size()));
        std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n";
        if (method != "HEAD") response += body;
        if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) break;
    }
    ::close(fd);
}

EchoServer::EchoServer(bool v6) {
    listen_fd_ = listen_on(v6, port_);
    if (listen_fd_ < 0) return;
    acceptor_ = std::thread([this] {
        for (;;) {
            int fd = accept_with_stop(listen_fd_, stop_);
            if (fd < 0) return;
            // Finished connections' threads are joined as new ones come: a soak test
            // opens tens of thousands.
            std::erase_if(threads_, [](Connection& c) {
                if (!*c.done) return false;
                c.thread.join();
                return true;
            });
            auto done = std::make_shared<std::atomic<bool>>(false);
            threads_.push_back(
                {std::thread([this, fd, done] {
                     char buf[65536];
                     while (!stop_) {
                         if (!wait_readable(fd, 100ms)) continue;
                         auto n = ::recv(fd, buf, sizeof buf, 0);
                         if (n <= 0) break;
                         if (::send(fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) < 0) break;
                     }
                     ::close(fd);
                     *done = true;
                 }),
                 done});
        }
    });
}

EchoServer::~EchoServer() {
    if (listen_fd_ < 0) return;
    stop_ = true;
    acceptor_.join();
    for (auto& c : threads_) c.thread.join();
    ::close(listen_fd_);
}

DnsServer::DnsServer() {
    fd_ = udp_on_loopback(port_);
    if (fd_ < 0) return;
    thread_ = std::thread([this] {
        unsigned char q[512];
        while (!stop_) {
            if (!wait_readable(fd_, 100ms)) continue;
            sockaddr_storage from{};
            socklen_t from_len = sizeof from;
            auto n = ::recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 12) continue;
            // The question ends after its name's zero label and QTYPE/QCLASS.
            std::size_t end = 12;
            while (end < static_cast<std::size_t>(n) && q[end] != 0) end += q[end] + 1u;
            end += 5;
            if (end > static_cast<std::size_t>(n)) continue;
            bool is_a = q[end - 4] == 0 && q[end - 3] == 1;
            std::string r(reinterpret_cast<char*>(q), end);
            r[2] = static_cast<char>(0x81);  // response, recursion desired
            r[3] = static_cast<char>(0x80);  // recursion available, no error
            r[6] = 0;
            r[7] = is_a ? 1 : 0;  // one answer for A; none (NODATA) for AAAA and others
            r[8] = r[9] = r[10] = r[11] = 0;
            if (is_a)
                r += std::string("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x01",
                                 16);
            ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
            if (is_a) ++answered_;
        }
    });
}

DnsServer::~DnsServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
}

Client::Client(std::uint16_t port, const std::string& source) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!source.empty()) {
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
            ::close(fd_);
            fd_ = -1;
            return;
        }
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

Client::~Client() {
    if (fd_ >= 0) ::close(fd_);
}

bool Client::send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
}

std::string Client::read(std::size_t n, std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !wait_readable(fd_, left)) break;
        char buf[4096];
        auto got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
        if (got <= 0) break;
        out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
}

bool Client::read_until_close(std::string& out, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !wait_readable(fd_, left)) return false;
        char buf[4096];
        auto got = ::recv(fd_, buf, sizeof buf, 0);
        if (got == 0) return true;
        if (got < 0) return errno == ECONNRESET;
        out.append(buf, static_cast<std::size_t>(got));
    }
}

CurlResult curl(std::vector<std::string> args) {
    std::vector<std::string> argv{CURL_BINARY, "-s", "--max-time", "5", "-w", "\n%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv);
    CurlResult result;
    result.status = r.status;
    auto nl = r.out.rfind('\n');
    if (nl != std::string::npos) {
        result.body = r.out.substr(0, nl);
        result.http_code = r.out.substr(nl + 1);
    }
    return result;
}

}  // namespace harness

namespace harness {

RunResult proxyctl(const Proxyd& proxyd, const std::string& command,
                   std::vector<std::string> args) {
    std::vector<std::string> argv{PROXYCTL_BINARY, command, "--socket", proxyd.control_path};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

bool socks5_connect(Client& client, const std::string& user, const std::string& password,
                    std::uint16_t target_port) {
    char method = user.empty() ? '\x00' : '\x02';
    if (!client.connected() || !client.send(std::string("\x05\x01", 2) + method)) return false;
    if (client.read(2) != std::string("\x05", 1) + method) return false;
    if (!user.empty()) {
        std::string auth = "\x01";
        auth += static_cast<char>(user.size());
        auth += user;
        auth += static_cast<char>(password.size());
        auth += password;
        if (!client.send(auth) || client.read(2) != std::string("\x01\x00", 2)) return false;
    }
    std::string req("\x05\x01\x00\x01\x7f\x00\x00\x01", 8);
    req += static_cast<char>(target_port >> 8);
    req += static_cast<char>(target_port & 0xff);
    if (!client.send(req)) return false;
    std::string reply = client.read(10);
    return reply.size() == 10 && reply[1] == 0;
}

std::size_t open_fds(pid_t pid) {
    std::size_t n = 0;
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    auto r = run({"/bin/ls", dir});
    for (char c : r.out)
        if (c == '\n') ++n;
    return n;
}

std::size_t rss_kib(pid_t pid) {
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::strtoul(line.c_str() + 6, nullptr, 10);
    return 0;
}

int connect_unix(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return -1;
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string read_line(int fd, std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char c;
        if (::read(fd, &c, 1) != 1) return out + "(closed)";
        if (c == '\n') return out;
        out += c;
    }
    return out + "(timeout)";
}

void raise_fd_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
}

}  // namespace harness
