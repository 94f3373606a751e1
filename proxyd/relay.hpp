// The two-way byte pump between a client and its upstream once a session is
// established. Socket to socket goes through a pipe with splice(2), so payload never
// enters user space; bytes a handshake read ahead are sent first from a buffer.
#pragma once

#include <cstdint>
#include <string>

#include "fd.hpp"

namespace proxyd {

class Relay {
  public:
    enum class Status : std::uint8_t { open, finished, failed };

    Relay(int client, int upstream)
        : to_upstream_(client, upstream), to_client_(upstream, client) {}

    // Bytes already read from one side that must reach the other before anything else.
    void prime(std::string to_upstream, std::string to_client);

    // Moves everything that can move without blocking (the fds are edge-triggered, so
    // every call runs each direction until the kernel says EAGAIN). Counts delivered bytes.
    Status pump(std::uint64_t& bytes_out, std::uint64_t& bytes_in);
    int error() const { return error_; }

  private:
    struct Direction {
        Direction(int f, int t) : from(f), to(t) {}
        int from;
        int to;
        PipePair pipe;
        std::size_t in_pipe = 0;
        std::string pending;  // primed bytes, or the user-space fallback buffer
        std::size_t pending_off = 0;
        bool use_splice = true;
        bool eof = false;
        bool shut = false;
    };
    enum class Step : std::uint8_t { blocked, done, failed };
    Step pump(Direction& d, std::uint64_t& counter);
    bool ensure_pipe(Direction& d);

    Direction to_upstream_;
    Direction to_client_;
    int error_ = 0;
};

}  // namespace proxyd
