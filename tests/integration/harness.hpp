// Test fixtures for driving proxyd as a process: free ports, a temporary directory,
// child processes with bounded waits, upstream servers (HTTP and echo) on 127.0.0.1,
// and a raw TCP client. Every wait in here has a deadline.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace harness {

using namespace std::chrono_literals;

std::uint16_t free_port();

// A TCP socket listening on 127.0.0.1 (::1 when `v6`) at a port the kernel picks, written
// to `port`; -1 when it cannot. For the test's own servers.
int listen_on(bool v6, std::uint16_t& port);
// A UDP socket bound to 127.0.0.1 at a port the kernel picks; -1 when it cannot.
int udp_on_loopback(std::uint16_t& port);
// accept() on `listen_fd`, polled so that a server's acceptor thread sees `stop` within
// 100 ms; -1 once `stop` is set, or when accept() fails.
int accept_with_stop(int listen_fd, const std::atomic<bool>& stop);

class TempDir {
  public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    std::string write(const std::string& name, const std::string& text) const;

  private:
    std::string path_;
};

std::string read_file(const std::string& path);

struct RunResult {
    int status = -1;  // exit status, or -signal
    std::string out;
    std::string err;
};
// Runs a program to completion (it must bound itself: curl --max-time).
RunResult run(const std::vector<std::string>& argv);

class Process {
  public:
    Process(const std::vector<std::string>& argv, const std::string& stdout_path,
            const std::string& stderr_path);
    ~Process();
    pid_t pid() const { return pid_; }
    // Sends `sig` and waits up to `timeout` for the exit; nullopt if still running.
    std::optional<int> signal_and_wait(int sig, std::chrono::milliseconds timeout);
    std::optional<int> wait(std::chrono::milliseconds timeout);

  private:
    pid_t pid_ = -1;
    bool reaped_ = false;
};

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

// A proxyd process on a config written from `config_text`; waits until `ports` accept.
class Proxyd {
  public:
    // Every proxyd gets its own control socket in `dir`: the default path is shared by
    // every test running in parallel.
    Proxyd(const TempDir& dir, const std::string& config_text, std::vector<std::uint16_t> ports,
           int workers = 2, std::vector<std::string> extra_args = {});
    Process& process() { return *process_; }
    std::string control_path;
    std::string stderr_text() const { return read_file(stderr_path_); }
    std::string stdout_text() const { return read_file(stdout_path_); }
    std::string config_path;

  private:
    std::string stdout_path_;
    std::string stderr_path_;
    std::optional<Process> process_;
};

// Lines of a log file once it has at least `count` of them (or whatever it has after
// `timeout`): log lines are written when sessions end, a moment after the client sees it.
std::vector<std::string> wait_for_lines(const std::string& path, std::size_t count,
                                        std::chrono::milliseconds timeout = 3s);

// Serves GET/POST/HEAD on 127.0.0.1 with keep-alive: the body is "hello <path>\n" (or
// the request body echoed for POST). Records every request head it received.
class HttpServer {
  public:
    HttpServer();
    ~HttpServer();
    std::uint16_t port() const { return port_; }
    std::vector<std::string> request_heads();
    int connections() const { return connections_.load(); }

  private:
    void serve(int fd);
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::mutex mutex_;
    std::vector<std::string> heads_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

// Echoes every byte back on 127.0.0.1 (or ::1 when `v6`).
class EchoServer {
  public:
    explicit EchoServer(bool v6 = false);
    ~EchoServer();
    std::uint16_t port() const { return port_; }
    bool ok() const { return listen_fd_ >= 0; }

  private:
    struct Connection {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::vector<Connection> threads_;
    std::thread acceptor_;
};

// A DNS server on 127.0.0.1 (UDP) that answers every A query with 127.0.0.1 and counts
// the queries it answered: enough to tell which nserver a lookup went to.
class DnsServer {
  public:
    DnsServer();
    ~DnsServer();
    std::uint16_t port() const { return port_; }
    int answered() const { return answered_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> answered_{0};
    std::thread thread_;
};

// A blocking TCP client with timeouts, for hand-made protocol bytes.
class Client {
  public:
    // From 127.0.0.1, or from `source` (another loopback address, e.g. "127.0.3.7").
    explicit Client(std::uint16_t port, const std::string& source = {});
    ~Client();
    bool connected() const { return fd_ >= 0; }
    bool send(const std::string& bytes);
    // Reads exactly n bytes (or fewer if the peer closes / the timeout passes).
    std::string read(std::size_t n, std::chrono::milliseconds timeout = 3s);
    // Reads until the peer closes; true if it closed within the timeout.
    bool read_until_close(std::string& out, std::chrono::milliseconds timeout = 3s);
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
};

// curl through a proxy; returns exit status, the body (stdout) and %{http_code} via -w in err.
struct CurlResult {
    int status = -1;
    std::string body;
    std::string http_code;
};
CurlResult curl(std::vector<std::string> args);

// The real proxyctl against `proxyd`'s control socket: {command, --socket PATH, args...}.
RunResult proxyctl(const Proxyd& proxyd, const std::string& command,
                   std::vector<std::string> args = {});

// SOCKS5 CONNECT to 127.0.0.1:`target_port` with username/password (RFC 1929), or with
// no authentication when `user` is empty; true when proxyd answered with success.
bool socks5_connect(Client& client, const std::string& user, const std::string& password,
                    std::uint16_t target_port);

// Number of open file descriptors of a process (/proc/PID/fd).
std::size_t open_fds(pid_t pid);
// Resident memory of a process in KiB (VmRSS of /proc/PID/status; 0 if unknown).
std::size_t rss_kib(pid_t pid);

// A Unix stream connection to a control socket; -1 when nobody answers there.
int connect_unix(const std::string& path);
// One newline-terminated line from `fd`, without the newline; "(closed)" or "(timeout)"
// is appended when the line does not complete.
std::string read_line(int fd, std::chrono::milliseconds timeout = 3s);
// Raises this process's open-file limit to its hard limit (tests with 1,000s of sockets).
void raise_fd_limit();

}  // namespace harness
