// What a session and a listener need from the thread that runs them. Worker is the one
// real host; the interfaces keep sessions and listeners independent of it, so they can be
// driven by a test host on a plain event loop.
//
// Every call is made on the host loop's thread.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "config_snapshot.hpp"
#include "event_loop.hpp"
#include "fd.hpp"

namespace proxyd {

class AccessLog;
class ControlGateway;
class Metrics;
class PipePool;
class Resolver;
class Session;
class UdpClients;

class SessionHost {
  public:
    virtual ~SessionHost() = default;

    virtual EventLoop& loop() = 0;
    // The resolver for a new lookup; a reload may replace it, so it is asked per lookup.
    virtual Resolver& resolver() = 0;
    virtual PipePool& pipes() = 0;
    virtual AccessLog& access_log() = 0;
    // The newest snapshot, which may be younger than the one the session was admitted
    // under: admission holds a session to a re-check that came during its handshake.
    virtual const SnapshotPtr& config() const = 0;
    virtual std::uint64_t next_session_id() = 0;
    // From accept to admission: the handshakes the host may displace at maxconn.
    virtual void handshake_started(const Session& session) = 0;
    virtual void handshake_finished(const Session& session) = 0;
    // Called once by Session::close: the host frees the session's maxconn slot, and
    // destroys the session after the current event batch (its handlers may still be
    // referenced by that batch).
    virtual void retire(Session& session) = 0;
    // A live session of this host by id (nullptr once it is gone): for answers that
    // arrive later, such as the control thread's.
    virtual Session* find_session(std::uint64_t /*id*/) { return nullptr; }
    // The way to the control thread (the admin service); nullptr without one.
    virtual ControlGateway* control_gateway() { return nullptr; }
    // The daemon's metrics; null for hosts that keep none (tests).
    virtual Metrics* metrics() { return nullptr; }
};

class ListenerHost {
  public:
    virtual ~ListenerHost() = default;

    virtual EventLoop& loop() = 0;
    // A connection accepted for the service at `service_index` of the current snapshot.
    virtual void accept(std::size_t service_index, UniqueFd fd, const sockaddr_storage& peer) = 0;
    // accept() failed with `err` (other than "nothing to accept").
    virtual void report_accept_error(int err) = 0;
    // A datagram read from the UDP socket `fd` of the service at `service_index`: it
    // starts a session, or belongs to the one `clients` names for `peer`.
    virtual void datagram(std::size_t /*service_index*/, int /*fd*/,
                          const std::shared_ptr<UdpClients>& /*clients*/, std::string /*data*/,
                          const sockaddr_storage& /*peer*/) {}
    // A datagram another host read for the UDP session `session_id` of this one.
    virtual void deliver_datagram(std::uint64_t /*session_id*/, std::string /*data*/) {}
};

}  // namespace proxyd
