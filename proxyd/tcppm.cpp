#include "tcppm.hpp"

#include <cstring>

#include "access_log.hpp"

namespace proxyd {

void TcppmSession::on_start() {
    record_.set_target(std::string(service_->map_host), service_->map_port);
    record_.operation = proxycfg::op::CONNECT;
    record_.request_text = "CONNECT " + record_.target_text();
    resolve_target();
}

void TcppmSession::on_resolved(const std::string& error) {
    admit_and_connect(
        error, [this](std::string_view, int code, std::string reason) { close(code, reason); });
}

void TcppmSession::on_connect_failed(int code, int err) {
    close(code, upstream_failure(err));
}

}  // namespace proxyd
