#include "control/server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <tuple>

#include "proxycontrol/protocol.hpp"

namespace proxyd {

// One connection. Requests are answered one at a time and in order; while a reply has not
// been taken by the client, nothing more is read from it (backpressure: a client that
// sends requests without reading replies costs one reply and one request line, never a
// growing queue), and it must take the reply within the timeout.
class ControlServer::Client final : public IoHandler {
  public:
    Client(ControlServer& server, UniqueFd fd)
        : server_(server), fd_(std::move(fd)), deadline_(Clock::now() + server.options_.timeout) {}

    void on_io(std::uint32_t events) override {
        // A hang-up while a reply waits must reach flush() too: its send fails and drops the
        // client (read() is not called while a reply waits, and the hang-up would repeat).
        if (!out_.empty() && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            flush();
            if (gone || closing_ || !out_.empty()) return;
            // The reply is taken: the requests already buffered, then the socket again.
            if (!serve_lines() || !out_.empty()) return;
            server_.loop_.modify(fd_.get(), EPOLLIN, this);
        }
        if (!gone && !closing_ && out_.empty() && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            read();
    }
    bool expired(Clock::time_point now) const { return now >= deadline_; }
    bool gone = false;  // dropped by the server; freed at the end of the batch
    // Set for a peer that is only told why it is refused: SO_PEERCRED gives it no level,
    // or too many clients are connected.
    std::optional<nlohmann::json> refusal;
    control_cmd::Peer peer;
    bool no_level = false;  // the refusal is for a peer with no level at all
    int fd() const { return fd_.get(); }

  private:
    void read() {
        char chunk[16384];
        while (!gone && !closing_ && out_.empty()) {
            ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
            if (n > 0) {
                in_.append(chunk, static_cast<std::size_t>(n));
                if (!serve_lines()) return;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
            // EOF or error: whatever reply is queued still goes out, then the socket closes.
            closing_ = true;
            if (out_.empty()) server_.drop(fd_.get());
            return;
        }
    }

    // Answers the complete lines buffered, one at a time, as long as each reply is taken
    // at once; false once the client is being disconnected.
    bool serve_lines() {
        while (out_.empty()) {
            auto nl = in_.find('\n');
            if (nl == std::string::npos) break;
            if (nl > control::max_request_bytes) return refuse_too_large();
            std::string_view line(in_.data(), nl);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
            nlohmann::json reply;
            if (!blank) {
                if (refusal) {
                    closing_ = true;
                    reply = std::move(*refusal);
                } else {
                    reply = control_cmd::dispatch(server_.context_, line, peer);
                }
            }
            in_.erase(0, nl + 1);
            if (blank) continue;
            deadline_ = Clock::now() + server_.options_.timeout;
            queue(reply);
            if (gone || closing_) return false;
        }
        if (in_.size() > control::max_request_bytes) return refuse_too_large();
        return true;
    }

    bool refuse_too_large() {
        in_.clear();
        closing_ = true;
        queue(control::error_reply(
            control::err_too_large,
            "request longer than " + std::to_string(control::max_request_bytes) + " bytes"));
        return false;
    }

    void queue(const nlohmann::json& reply) {
        out_ += reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        out_ += '\n';
        flush();
    }

    void flush() {
        if (gone) return;
        while (out_off_ < out_.size()) {
            ssize_t n =
                ::send(fd_.get(), out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
            if (n > 0) {
                out_off_ += static_cast<std::size_t>(n);
                // A large reply read steadily is fine; a client that stops reading is not.
                deadline_ = Clock::now() + server_.options_.timeout;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) {
                server_.loop_.modify(fd_.get(), EPOLLOUT, this);  // no reading meanwhile
                return;
            }
            server_.drop(fd_.get());
            return;
        }
        out_.clear();
        out_off_ = 0;
        if (closing_) server_.drop(fd_.get());
    }

    ControlServer& server_;
    UniqueFd fd_;
    Clock::time_point deadline_;
    std::string in_;
    std::string out_;
    std::size_t out_off_ = 0;
    bool closing_ = false;
};

ControlServer::ControlServer(EventLoop& loop, control_cmd::Context& context)
    : loop_(loop), context_(context) {}

ControlServer::~ControlServer() {
    for (auto& [fd, client] : clients_) loop_.remove(fd);
    clients_.clear();
    finished_.clear();
    if (fd_) {
        loop_.remove(fd_.get());
        fd_.reset();
        ::unlink(options_.path.c_str());
    }
}

bool ControlServer::open(const ControlOptions& options, std::string& error) {
    options_ = options;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (options.path.empty() || options.path.size() >= sizeof addr.sun_path) {
        error = "control socket path is empty or too long: " + options.path;
        return false;
    }
    std::memcpy(addr.sun_path, options.path.data(), options.path.size());
    for (auto [name, option, gid] : {std::tuple{&options.group, "--control-group", &group_},
                                     {&options.admin_group, "--control-admin-group", &admin_group_}}) {
        if (name->empty()) continue;
        group* g = ::getgrnam(name->c_str());
        if (!g) {
            error = "unknown group '" + *name + "' for " + option;
            return false;
        }
        *gid = g->gr_gid;
    }

    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = std::strerror(errno);
        return false;
    }
    // Root's default lives in the systemd unit's RuntimeDirectory; started another way,
    // proxyd makes that directory itself (as the unit would) rather than go without.
    if (::geteuid() == 0 && options.path == control::system_socket_path()) {
        std::string dir = options.path.substr(0, options.path.rfind('/'));
        if (!dir.empty() && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
            error = "cannot create " + dir + ": " + std::strerror(errno);
            return false;
        }
    }
    // A socket file nobody answers on is left over from a daemon that died: replace it.
    // One that answers belongs to a running daemon, which must not be cut off.
    struct stat st {};
    if (::lstat(options.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error = options.path + " exists and is not a socket";
            return false;
        }
        UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            error = "another proxyd answers on " + options.path;
            return false;
        }
        ::unlink(options.path.c_str());
    }
    // Created with the final mode (no window where others could connect). A file has one
    // group: with two different ones, everyone may connect and the peer check alone decides
    // (a peer with no level gets a refusal, and such peers are capped).
    std::optional<gid_t> file_group = group_ ? group_ : admin_group_;
    bool two_groups = group_ && admin_group_ && *group_ != *admin_group_;
    mode_t mode = two_groups ? 0666 : file_group ? 0660 : 0600;
    mode_t old_mask = ::umask(static_cast<mode_t>(~mode & 0777));
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int bind_errno = errno;
    ::umask(old_mask);
    if (rc != 0) {
        error = "cannot bind " + options.path + ": " + std::strerror(bind_errno);
        return false;
    }
    if (file_group && !two_groups &&
        ::chown(options.path.c_str(), static_cast<uid_t>(-1), *file_group) != 0) {
        error = "cannot chgrp " + options.path + " to " +
                (group_ ? options.group : options.admin_group) + ": " + std::strerror(errno);
        ::unlink(options.path.c_str());
        return false;
    }
    if (::listen(fd.get(), 64) != 0) {
        error = std::strerror(errno);
        ::unlink(options.path.c_str());
        return false;
    }
    fd_ = std::move(fd);
    loop_.add(fd_.get(), EPOLLIN, this);
    return true;
}

std::optional<control_cmd::Level> ControlServer::level_of(uid_t uid, gid_t gid) const {
    using control_cmd::Level;
    if (uid == 0 || uid == ::geteuid()) return Level::admin;
    if (admin_group_ && member(uid, gid, *admin_group_)) return Level::admin;
    if (group_ && member(uid, gid, *group_)) return Level::read;
    return std::nullopt;
}

bool ControlServer::member(uid_t uid, gid_t gid, gid_t group_id) {
    if (gid == group_id) return true;
    // Supplementary membership, as the group file lists it.
    passwd* pw = ::getpwuid(uid);
    group* g = ::getgrgid(group_id);
    if (!pw || !g) return false;
    if (pw->pw_gid == group_id) return true;
    for (char** m = g->gr_mem; m && *m; ++m)
        if (std::strcmp(*m, pw->pw_name) == 0) return true;
    return false;
}

void ControlServer::on_io(std::uint32_t) {
    for (int i = 0; i < 16; ++i) {
        UniqueFd client(::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!client) return;
        // Past twice the cap even the refusal costs too much: the connection just closes.
        if (clients_.size() >= 2 * max_clients) continue;
        ucred peer{};
        socklen_t len = sizeof peer;
        std::optional<control_cmd::Level> level;
        if (::getsockopt(client.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0)
            level = level_of(peer.uid, peer.gid);
        if (!level) {
            std::fprintf(stderr, "proxyd: control: refused uid %u gid %u pid %d: no level\n",
                         static_cast<unsigned>(peer.uid), static_cast<unsigned>(peer.gid),
                         static_cast<int>(peer.pid));
            if (refused_clients() >= max_refused_clients) continue;
        }
        int fd = client.get();
        auto c = std::make_unique<Client>(*this, std::move(client));
        c->peer = {level.value_or(control_cmd::Level::read), static_cast<unsigned>(peer.uid),
                   static_cast<int>(peer.pid)};
        c->no_level = !level;
        // A refused peer is still read: its request line is answered with the refusal, and
        // the close comes after that (closing on unread input would reset the connection
        // and lose the reply).
        if (!level) {
            c->refusal = control::error_reply(
                control::err_forbidden,
                "uid " + std::to_string(peer.uid) +
                    " may not use this control socket: the read level is for root, proxyd's "
                    "own user and members of --control-group" +
                    (options_.group.empty() ? " (not given)" : " (" + options_.group + ")") +
                    " or --control-admin-group" +
                    (options_.admin_group.empty() ? " (not given)"
                                                  : " (" + options_.admin_group + ")"));
        } else if (admitted_clients() >= max_clients) {
            c->refusal = control::error_reply(control::err_busy_clients,
                                              "more than " + std::to_string(max_clients) +
                                                  " control connections are open; try again");
        }
        loop_.add(fd, EPOLLIN, c.get());
        clients_.emplace(fd, std::move(c));
    }
}

std::size_t ControlServer::admitted_clients() const {
    std::size_t n = 0;
    for (const auto& [fd, client] : clients_) n += client->refusal ? 0 : 1;
    return n;
}

std::size_t ControlServer::refused_clients() const {
    std::size_t n = 0;
    for (const auto& [fd, client] : clients_) n += client->no_level ? 1 : 0;
    return n;
}

void ControlServer::drop(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    loop_.remove(fd);
    it->second->gone = true;
    finished_.push_back(std::move(it->second));
    clients_.erase(it);
}

void ControlServer::collect() {
    finished_.clear();
}

void ControlServer::on_tick() {
    auto now = Clock::now();
    std::vector<int> expired;
    for (auto& [fd, client] : clients_)
        if (client->expired(now)) expired.push_back(fd);
    for (int fd : expired) drop(fd);
}

}  // namespace proxyd
