// The control socket: a Unix stream socket on the control thread's event loop, serving
// newline-delimited JSON requests to peers SO_PEERCRED says may administer the daemon.
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
    std::string group;  // --control-group: its members may connect too (mode 0660)
    // A client that has not finished its request line by then is disconnected.
    std::chrono::milliseconds timeout{5000};
};

// Control connections served at once; more are answered with an error and closed. proxyctl
// holds one per command, so only a runaway script reaches this.
inline constexpr std::size_t max_clients = 32;

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
    bool permitted(uid_t uid, gid_t gid) const;
    std::size_t admitted_clients() const;
    void drop(int fd);

    EventLoop& loop_;
    control_cmd::Context& context_;
    ControlOptions options_;
    std::optional<gid_t> group_;
    UniqueFd fd_;
    std::unordered_map<int, std::unique_ptr<Client>> clients_;
    std::vector<std::unique_ptr<Client>> finished_;  // freed at the end of the batch
};

}  // namespace proxyd
