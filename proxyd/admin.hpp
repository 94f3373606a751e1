// The `admin` service: proxyd's status page for people (GET /), the same data as JSON
// (/api/view, /api/status, /api/sessions, /api/reloads) and Prometheus metrics
// (/metrics), over HTTP/1.1 with keep-alive. Each request is admitted like any other
// session: the service's auth chain (HTTP Basic) and ACL, with the ADMIN operation and
// the service's own address and port as the target. Reloading and closing sessions
// (POST) are served only to services below a `writable` line, with the page's CSRF token.
#pragma once

#include <string>
#include <string_view>

#include "http_protocol.hpp"
#include "session.hpp"

namespace proxyd {

class AdminSession final : public Session {
  public:
    using Session::Session;
    // The control thread's answer to what handle_request() asked for.
    void on_control_reply(const nlohmann::json& reply) override;

  private:
    void on_start() override {}
    void on_client_event() override;
    void on_resolved(const std::string&) override {}
    void on_connected() override {}
    void on_connect_failed(int, int) override {}
    void log_close(int code, std::string_view reason) override;

    void read_request();
    void handle_request();
    void route();
    // Sends a whole response; keeps the connection for the next request when it may.
    void respond(int status, std::string_view content_type, std::string body,
                 std::string_view extra_headers = {});
    void respond_error(int status, std::string_view detail, std::string_view extra_headers = {});
    void finish_request(int code, std::string_view reason);
    void ask(std::string what);

    std::string in_;
    http::RequestHead request_;
    std::string path_;
    std::string pending_;  // what the control thread is asked for ("view", "metrics", ...)
    bool keep_alive_ = false;
    bool request_active_ = false;
    int status_ = 0;  // of the current request, for its log line
};

}  // namespace proxyd
