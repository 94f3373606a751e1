#include "tcppm.hpp"

#include <cstring>

#include "access_log.hpp"

namespace proxyd {

void TcppmSession::on_start() {
    if (auto literal = proxycfg::IpAddress::parse(service_->map_host)) {
        record_.target_address = literal;
    } else {
        record_.target_host = service_->map_host;
    }
    record_.target_port = service_->map_port;
    record_.operation = proxycfg::op::CONNECT;
    record_.request_text = "CONNECT " + record_.target_text();
    resolve_target();
}

void TcppmSession::on_resolved(const std::string& error) {
    if (!error.empty()) {
        close(result::resolve_failed, "cannot resolve " + record_.target_host + ": " + error);
        return;
    }
    auto decision = admit();
    if (!decision.allowed()) {
        close(result_code(decision.verdict), admission_reason(decision.verdict));
        return;
    }
    connect_upstream();
}

void TcppmSession::on_connect_failed(int code, int err) {
    close(code, upstream_failure(err));
}

}  // namespace proxyd
