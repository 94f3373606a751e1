// Listening sockets: one per service per worker, bound with SO_REUSEPORT so the kernel
// spreads new connections over the workers without a shared accept lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "event_loop.hpp"
#include "fd.hpp"
#include "proxycfg/model.hpp"

namespace proxyd {

class Worker;

// Binds and listens for one service. nullopt with `error` set when it cannot.
std::optional<UniqueFd> bind_listener(const proxycfg::Service& service, std::string& error);

// Listens on the port a socket is bound to (tests and logs).
std::uint16_t local_port(int fd);

class Listener final : public IoHandler {
  public:
    Listener(Worker& worker, std::size_t service_index, UniqueFd fd);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    void on_io(std::uint32_t events) override;
    std::size_t service_index() const { return service_index_; }

  private:
    Worker& worker_;
    std::size_t service_index_;
    UniqueFd fd_;
};

}  // namespace proxyd
