// Which worker owns the UDP session of each client of one UDP listening socket. Every
// worker reads the shared socket, so a client's datagrams may reach any of them; the first
// one to see a client makes the session and claims the client here, and the others hand
// the client's later datagrams to it. One table per socket, kept with the socket across
// reloads (listen_sockets.hpp), so a kept port keeps its clients' sessions.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "proxycfg/net.hpp"

namespace proxyd {

class ListenerHost;

class UdpClients {
  public:
    struct Client {
        proxycfg::IpAddress address;
        std::uint16_t port = 0;
        auto operator<=>(const Client&) const = default;
    };
    struct Owner {
        ListenerHost* host = nullptr;
        std::uint64_t session_id = 0;
    };

    // The owner of `client`, or nullopt when it has none.
    std::optional<Owner> find(const Client& client) const {
        std::lock_guard lock(mutex_);
        auto it = owners_.find(client);
        if (it == owners_.end()) return std::nullopt;
        return it->second;
    }
    // Makes `owner` the client's owner unless another worker got there first: returns the
    // owner in place afterwards.
    Owner claim(const Client& client, Owner owner) {
        std::lock_guard lock(mutex_);
        return owners_.try_emplace(client, owner).first->second;
    }
    // The session ended: its client is free (only if it is still that session's).
    void release(const Client& client, std::uint64_t session_id) {
        std::lock_guard lock(mutex_);
        auto it = owners_.find(client);
        if (it != owners_.end() && it->second.session_id == session_id) owners_.erase(it);
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return owners_.size();
    }

  private:
    mutable std::mutex mutex_;
    std::map<Client, Owner> owners_;
};

}  // namespace proxyd
