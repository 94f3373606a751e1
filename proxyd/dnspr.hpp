// The `dnspr` service: a DNS proxy on UDP. Each query is a session of its own. A and AAAA
// questions are answered from the worker's resolver (nsrecord names, nscache and the
// nserver lines, through the same path as every target name); other questions, and every
// question under -s, are forwarded to the first nserver and its response relayed. The ACL
// is asked with operation DNSRESOLVE and the queried name as the target.
#pragma once

#include <cstdint>
#include <string>

#include "dns_message.hpp"
#include "udp_session.hpp"

namespace proxyd {

class DnsprSession final : public UdpSession {
  public:
    using UdpSession::UdpSession;
    void on_datagram(std::string data) override;

  private:
    struct ForwardWatch final : IoHandler {
        explicit ForwardWatch(DnsprSession& s) : session(s) {}
        void on_io(std::uint32_t) override { session.on_forward_reply(); }
        DnsprSession& session;
    };
    void on_resolved(const std::string& error) override;
    void forward();
    void on_forward_reply();
    // Sends `response` to the client and ends the session with `code` and `reason`.
    void respond(const std::string& response, int code, std::string_view reason);
    void fail(std::uint8_t rcode, int code, std::string_view reason);
    bool single_packet() const;

    std::string query_text_;
    dns::Query query_;
    bool started_ = false;
    ForwardWatch watch_{*this};
};

}  // namespace proxyd
