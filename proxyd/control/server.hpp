// The control socket: a Unix stream socket on the control thread's event loop, serving
// newline-delimited JSON requests to peers SO_PEERCRED gives a level (read or admin).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "control/commands.hpp"
#include "event_loop.hpp"
#include "fd.hpp"

namespace proxyd {

struct ControlOptions {
    std::string path;
    std::string group;        // --control-group: its members get the read level
    std::string admin_group;  // --control-admin-group: its members get the admin level
    // A client that has not finished its request line by then is disconnected.
    std::chrono::milliseconds timeout{5000};
};

// Control connections served at once; more are answered with an error and closed. proxyctl
// holds one per command, so only a runaway script reaches this.
inline constexpr std::size_t max_clients = 32;
// Peers with no level that are being told so at once; beyond it they are just closed, so
// users who may not use the socket cannot crowd out those who may.
inline constexpr std::size_t max_refused_clients = 8;

class ControlServer final : public IoHandler {
  public:
    ControlServer(EventLoop& loop, control_cmd::Context& context);
    ~ControlServer();  // closes every client and removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Creates the socket (replacing a stale file; refusing one a live daemon answers on).
    bool open(const ControlOptions& options, std::string& error);
    void on_io(std::uint32_t events) override;  // accept
    void on_tick();                             // timeouts
    void collect();                             // end of batch: frees disconnected clients
    const std::string& path() const { return options_.path; }

  private:
    class Client;
    std::optional<control_cmd::Level> level_of(uid_t uid, gid_t gid) const;
    static bool member(uid_t uid, gid_t gid, gid_t group);
    std::size_t admitted_clients() const;
    std::size_t refused_clients() const;
    void drop(int fd);

    EventLoop& loop_;
    control_cmd::Context& context_;
    ControlOptions options_;
    std::optional<gid_t> group_;
    std::optional<gid_t> admin_group_;
    UniqueFd fd_;
    std::unordered_map<int, std::unique_ptr<Client>> clients_;
    std::vector<std::unique_ptr<Client>> finished_;  // freed at the end of the batch
};

}  // namespace proxyd
