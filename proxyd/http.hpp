// The `proxy` service: an HTTP/1.1 forward proxy. CONNECT becomes a spliced tunnel;
// absolute-URI requests are forwarded with their bodies framed as they are (length,
// chunked or until close) over a kept-alive upstream connection. Each request is
// admitted through proxycfg::evaluate and logged on its own line, as in 3proxy.
#pragma once

#include <optional>

#include "http_protocol.hpp"
#include "session.hpp"

namespace proxyd {

class HttpSession final : public Session {
  public:
    using Session::Session;

  private:
    void on_start() override {}
    void on_client_event() override;
    void on_upstream_event() override { pump(); }
    void on_resolved(const std::string& error) override;
    void on_connected() override;
    void on_connect_failed(int code, int err) override;
    void log_close(int code, std::string_view reason) override;
    void log_request(int code, std::string_view reason);

    void read_request();
    void handle_request();
    void begin_forwarding();
    void pump();
    bool forward_request_body(bool& progress);
    void write_upstream(bool& progress);
    void read_upstream(bool& progress);
    bool take_response_head(bool& progress);
    bool forward_response_body(bool& progress, bool& done);
    void finish_exchange();
    bool request_sent() const {
        return request_body_->done() && up_out_off_ == up_out_.size() && !upstream_write_closed_;
    }
    void fail(int status, std::string_view status_text, int code, std::string_view reason,
              std::string_view extra_headers = {});
    bool upstream_alive() const;
    std::string forwarded_request_head() const;
    std::string forwarded_response_head() const;

    std::string in_;      // bytes from the client not yet used
    std::string up_out_;  // bytes for the upstream not yet written
    std::size_t up_out_off_ = 0;
    std::string up_in_;  // bytes from the upstream not yet used
    http::RequestHead request_;
    http::Target target_;
    std::optional<http::BodyFramer> request_body_;
    std::optional<http::BodyFramer> response_body_;
    http::ResponseHead response_;
    bool response_head_done_ = false;
    bool client_keep_alive_ = false;
    bool keep_client_ = false;
    bool upstream_reusable_ = false;
    bool upstream_eof_ = false;
    // The upstream stopped taking the request (it answered early and closed): the rest of
    // the body is dropped, and its answer, if one comes, still goes to the client.
    bool upstream_write_closed_ = false;
    std::string upstream_key_;  // "host:port" the open upstream connection goes to
    bool request_active_ = false;
    std::uint64_t requests_ = 0;
    std::uint64_t request_start_in_ = 0;
    std::uint64_t request_start_out_ = 0;
};

}  // namespace proxyd
