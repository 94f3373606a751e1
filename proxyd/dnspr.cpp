#include "dnspr.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "access_log.hpp"
#include "resolver.hpp"

namespace proxyd {

namespace {

// The resolver reports no TTL: answers say one minute, short enough for a change to the
// nsrecord lines or upstream to show soon.
constexpr std::uint32_t answer_ttl = 60;
constexpr std::size_t max_response = 65535;
constexpr std::uint16_t dns_port = 53;

// The first nserver's address and port ("IP[:PORT][/tcp]").
std::optional<std::pair<proxycfg::IpAddress, std::uint16_t>> first_nserver(
    const proxycfg::Model& model) {
    if (model.globals.nservers.empty()) return std::nullopt;
    bool tcp = false;
    auto entry = nserver_to_csv_entry(model.globals.nservers.front().value, tcp);
    if (!entry) return std::nullopt;
    std::string host = *entry;
    std::uint16_t port = dns_port;
    std::size_t colon = std::string::npos;
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        if (close + 1 < host.size()) colon = close + 1;
        host = host.substr(1, close - 1) + host.substr(close + 1);
        if (colon != std::string::npos) colon -= 2;
    } else {
        colon = host.find(':');
    }
    if (colon != std::string::npos) {
        auto digits = host.substr(colon + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (ec != std::errc() || end != digits.data() + digits.size() || port == 0)
            return std::nullopt;
        host = host.substr(0, colon);
    }
    auto address = proxycfg::IpAddress::parse(host);
    if (!address) return std::nullopt;
    return std::make_pair(*address, port);
}

}  // namespace

bool DnsprSession::single_packet() const {
    auto it = service_->options.find("-s");
    return it != service_->options.end() && it->second != "0";
}

void DnsprSession::on_datagram(std::string data) {
    if (started_ || closed()) return;  // one query per session
    started_ = true;
    query_text_ = std::move(data);
    record_.bytes_out = query_text_.size();
    record_.operation = proxycfg::op::DNSRESOLVE;
    std::string error;
    std::optional<std::uint16_t> id;
    auto query = dns::parse_query(query_text_, error, id);
    if (!query) {
        record_.request_text = "DNS malformed";
        if (id) send_to_client(dns::failure(query_text_, *id, nullptr, dns::rcode::format_error));
        close(result::protocol_error, error);
        return;
    }
    query_ = *query;
    record_.target_host = query_.name;
    record_.request_text = dns::type_name(query_.qtype) + " " + query_.name;
    // As in 3proxy the ACL is asked before anything is resolved; here the queried name is
    // the target, so an entry naming hosts can allow or refuse names.
    auto decision = admit();
    if (!decision.allowed()) {
        fail(dns::rcode::refused, result_code(decision.verdict),
             admission_reason(decision.verdict));
        return;
    }
    bool address_question =
        (query_.qtype == dns::type::a || query_.qtype == dns::type::aaaa) && query_.qclass == 1;
    if (address_question && !single_packet()) {
        resolve_target();
        // The resolver gives up within the DNS timeout and is answered with SERVFAIL; the
        // session's own timer is only the backstop.
        if (phase_ == Phase::resolving)
            set_timeout(timeout_of(timeouts().dns() + 2), result::resolve_failed);
        return;
    }
    forward();
}

void DnsprSession::on_resolved(const std::string& error) {
    if (!error.empty()) {
        // c-ares says "Domain name not found" for NXDOMAIN; anything else is a failure of
        // the lookup, not an answer about the name.
        bool missing = error == ares_strerror(ARES_ENOTFOUND);
        fail(missing ? dns::rcode::name_error : dns::rcode::server_failure, result::resolve_failed,
             "cannot resolve " + query_.name + ": " + error);
        return;
    }
    auto family = query_.qtype == dns::type::aaaa ? proxycfg::IpAddress::Family::v6
                                                  : proxycfg::IpAddress::Family::v4;
    const proxycfg::IpAddress* first = nullptr;
    for (const auto& a : candidates_)
        if (a.family == family && !first) first = &a;
    if (!first) {
        // The name has addresses, none of this family: an empty answer (NODATA).
        respond(dns::answer(query_text_, query_, {}, answer_ttl), result::ok, "OK (no data)");
        return;
    }
    record_.target_address = *first;
    record_.request_text += " " + first->to_string();
    respond(dns::answer(query_text_, query_, candidates_, answer_ttl), result::ok, "OK");
}

void DnsprSession::forward() {
    auto server = first_nserver(*config_->model);
    if (!server) {
        fail(dns::rcode::server_failure, result::resolve_failed,
             "no nserver to forward " + dns::type_name(query_.qtype) + " to");
        return;
    }
    auto fd = udp_socket_to(*service_, server->first, server->second);
    if (!fd) {
        fail(dns::rcode::server_failure, result::connect_failed,
             std::string("nserver socket: ") + std::strerror(errno));
        return;
    }
    upstream_ = std::move(*fd);
    if (!host_.loop().add(upstream_.get(), EPOLLIN, &watch_) ||
        ::send(upstream_.get(), query_text_.data(), query_text_.size(), MSG_DONTWAIT) < 0) {
        fail(dns::rcode::server_failure, result::connect_failed,
             std::string("forward to nserver: ") + std::strerror(errno));
        return;
    }
    record_.target_address = server->first;
    record_.target_port = server->second;
    phase_ = Phase::custom;
    set_timeout(timeout_of(timeouts().dns()), result::resolve_failed);
}

void DnsprSession::on_forward_reply() {
    if (closed() || !upstream_) return;
    std::string buffer(max_response, '\0');
    for (;;) {
        auto n = ::recv(upstream_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            fail(dns::rcode::server_failure, result::resolve_failed,
                 std::string("nserver: ") + std::strerror(errno));
            return;
        }
        buffer.resize(static_cast<std::size_t>(n));
        auto head = dns::response_head(buffer);
        if (!head || head->id != query_.id) {
            buffer.assign(max_response, '\0');
            continue;  // not the answer to this query
        }
        respond(buffer, result::ok, "OK (forwarded)");
        return;
    }
}

void DnsprSession::fail(std::uint8_t rcode, int code, std::string_view reason) {
    send_to_client(dns::failure(query_text_, query_.id, &query_, rcode));
    close(code, reason);
}

void DnsprSession::respond(const std::string& response, int code, std::string_view reason) {
    send_to_client(response);
    close(code, reason);
}

}  // namespace proxyd
