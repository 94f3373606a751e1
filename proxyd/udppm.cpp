#include "udppm.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>

#include "access_log.hpp"

namespace proxyd {

namespace {
constexpr std::size_t max_pending_bytes = 256 * 1024;
constexpr std::size_t max_datagram = 65535;
constexpr int reads_per_event = 64;
}  // namespace

bool UdppmSession::single_packet() const {
    auto it = service_->options.find("-s");
    return it != service_->options.end() && it->second != "0";
}

void UdppmSession::on_datagram(std::string data) {
    if (closed()) return;
    if (!started_) {
        started_ = true;
        record_.set_target(std::string(service_->map_host), service_->map_port);
        record_.operation = proxycfg::op::UDPASSOC;
        record_.request_text = "UDPASSOC " + record_.target_text();
        pending_.push_back(std::move(data));
        resolve_target();
        return;
    }
    if (!upstream_) {
        // Still resolving: kept, up to a bound (UDP may drop the rest).
        if (pending_bytes_ + data.size() > max_pending_bytes) return;
        pending_bytes_ += data.size();
        pending_.push_back(std::move(data));
        return;
    }
    send_upstream(data);
}

void UdppmSession::send_upstream(const std::string& data) {
    auto n = ::send(upstream_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
        record_.bytes_out += static_cast<std::uint64_t>(n);
        touch();
    }
    // A refused or full send drops the datagram: the client's retry is the cure, as with
    // any UDP path.
}

void UdppmSession::on_resolved(const std::string& error) {
    if (!error.empty()) {
        close(result::resolve_failed, "cannot resolve " + record_.target_host + ": " + error);
        return;
    }
    auto decision = admit();
    if (!decision.allowed()) {
        close(result_code(decision.verdict), admission_reason(decision.verdict));
        return;
    }
    auto fd = udp_socket_to(*service_, *record_.target_address, record_.target_port);
    if (!fd) {
        close(result::connect_failed,
              "udp socket to " + record_.target_text() + ": " + std::strerror(errno));
        return;
    }
    upstream_ = std::move(*fd);
    if (!host_.loop().add(upstream_.get(), EPOLLIN, &watch_)) {
        close(result::io_error, "cannot watch upstream socket");
        return;
    }
    phase_ = Phase::custom;
    // 3proxy's timeouts for udppm: STRING_L, or BYTE_L for single-packet services.
    set_timeout(timeout_of(single_packet() ? timeouts().byte_long() : timeouts().string_long()),
                result::idle_timeout);
    for (const auto& d : pending_) send_upstream(d);
    pending_.clear();
    pending_bytes_ = 0;
}

void UdppmSession::on_upstream_readable() {
    if (closed() || !upstream_) return;
    std::string buffer;
    for (int i = 0; i < reads_per_event; ++i) {
        buffer.resize(max_datagram);
        auto n = ::recv(upstream_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED) continue;  // ICMP of an earlier send
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            close(result::io_error, std::strerror(errno));
            return;
        }
        buffer.resize(static_cast<std::size_t>(n));
        send_to_client(buffer);
        if (single_packet()) {
            close(result::ok, "OK");
            return;
        }
    }
}

}  // namespace proxyd
