// The listening sockets of one proxyd: one per bind address and port, bound without
// SO_REUSEPORT so the kernel refuses the port to every other process (a second proxyd
// started by mistake cannot quietly take half of the connections). Every worker listens
// on its own dup of the socket; the table keeps one more copy so that a reload can hand
// a port from one service to another without closing it.
//
// Control side only: the table is built at start and replaced by each reload.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "listener.hpp"
#include "proxycfg/model.hpp"

namespace proxyd {

// The indices of the services proxyd listens for.
std::vector<std::size_t> served_services(const proxycfg::Model& model);

class ListenSockets {
  public:
    // The table for `model`'s served services: sockets held here for the same address
    // and port are shared (a kept listener, a service changing its type, a port another
    // service gives up in the same reload), the others are bound now. nullopt with
    // `error` naming the service and the port when one cannot be bound.
    std::optional<ListenSockets> for_model(const proxycfg::Model& model, std::string& error) const;
    // Once `model` is in force: a kept socket takes the accept mode of the service it now
    // listens for (a port may pass to a service of another type; see set_defer_accept).
    // Not earlier: a reload that fails, or a dry run, leaves the running services alone.
    void settle(const proxycfg::Model& model) const;

    // One worker's copies of the sockets of `services` (indices into the model this
    // table was built for). nullopt with `error` set when the process is out of fds.
    std::optional<std::vector<BoundSocket>> copies(const proxycfg::Model& model,
                                                   const std::vector<std::size_t>& services,
                                                   std::string& error) const;

    // Start-up and reload both bind this way: the table for `model` (for_model), and for
    // each of `workers` workers its copies of the sockets of `services`. Everything is
    // bound before anything is used, so a port in use refuses the start or the reload as
    // a whole. nullopt with `error` set as for_model and copies set it; the sockets bound
    // so far are closed.
    struct Bound;
    std::optional<Bound> bind_for_workers(const proxycfg::Model& model,
                                          const std::vector<std::size_t>& services,
                                          std::size_t workers, std::string& error) const;

    std::size_t size() const { return sockets_.size(); }

  private:
    struct Key {
        bool udp = false;     // tcp 53 and udp 53 are different sockets
        std::string address;  // normalised: "0.0.0.0" when the service names none
        std::uint16_t port = 0;
        auto operator<=>(const Key&) const = default;
    };
    struct Held {
        UniqueFd fd;
        std::string label;                // the service it listens for
        std::shared_ptr<UdpClients> udp;  // UDP sockets: their clients' sessions
    };
    static Key key_of(const proxycfg::Service& service);
    // Why `service` cannot have `key`, for a bind that failed with `err`.
    std::string bind_error(const ListenSockets& next, const proxycfg::Service& service,
                           const Key& key, int err, const std::string& text) const;

    std::map<Key, Held> sockets_;
};

struct ListenSockets::Bound {
    ListenSockets table;
    std::vector<std::vector<BoundSocket>> per_worker;  // one entry per worker
};

}  // namespace proxyd
