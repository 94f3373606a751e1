#include "http.hpp"

#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <random>

#include "access_log.hpp"
#include "proxycfg/util.hpp"

namespace proxyd {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;
// Backpressure: stop reading one side while this much waits to be written to the other.
constexpr std::size_t max_backlog = 256 * 1024;

bool is_hop_by_hop(std::string_view name, const http::Headers& headers) {
    static constexpr std::string_view hop[] = {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
        "TE",         "Trailer",    "Upgrade",          "Proxy-Authenticate"};
    auto iequal = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() &&
               std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) ==
                          std::tolower(static_cast<unsigned char>(y));
               });
    };
    for (auto h : hop)
        if (iequal(name, h)) return true;
    // Headers the sender listed in Connection are hop-by-hop too (RFC 9110 section 7.6.1).
    return headers.has_token("Connection", name);
}

// The sentence an error response's body gives the client. A refusal says only what the
// client can act on, never which rule refused it; a network failure gives the log's cause
// (the name or address the client asked for, and what went wrong), except that a parent
// chain's failure does not name the parents.
std::string explanation(int status, int code, std::string_view reason) {
    if (status == 407) return "the proxy needs a valid user name and password";
    if (status == 403) return "the proxy does not allow this request";
    if (status == 503) return "the proxy has no room for this connection now; try again later";
    if (code == result::parent_failed)
        return "the proxy's parent proxy could not reach the destination";
    return proxycfg::printable(reason);
}

std::string host_for_header(const http::Target& t) {
    std::string host = proxycfg::host_port(t.host, t.port);
    if (t.port == 80) host.erase(host.rfind(':'));  // the default port goes without saying
    return host;
}

}  // namespace

void HttpSession::on_client_event() {
    if (phase_ == Phase::handshake) {
        read_request();
    } else if (phase_ == Phase::custom) {
        pump();
    }
}

void HttpSession::fail(int status, std::string_view status_text, int code, std::string_view reason,
                       std::string_view extra_headers) {
    reply_and_close(
        http::error_response(status, status_text, explanation(status, code, reason), extra_headers),
        code, reason);
}

void HttpSession::read_request() {
    for (;;) {
        http::RequestHead head;
        auto st = http::parse_request_head(in_, head);
        if (st == http::HeadStatus::ok) {
            request_ = std::move(head);
            handle_request();
            return;
        }
        if (st == http::HeadStatus::too_large) {
            request_active_ = true;
            record_.request_text = "-";
            fail(431, "Request Header Fields Too Large", result::header_too_large,
                 "request head larger than 64 KiB");
            return;
        }
        if (st == http::HeadStatus::bad) {
            request_active_ = true;
            record_.request_text =
                in_.substr(0, std::min<std::size_t>(in_.find_first_of("\r\n"), 200));
            fail(400, "Bad Request", result::protocol_error, "malformed HTTP request");
            return;
        }
        bool between_requests = in_.empty();
        auto r = read_client(in_, in_.size() + read_chunk);
        if (r == ReadResult::would_block) return;
        // A keep-alive connection may wait idle for its next request; once the request
        // starts, its head has the same deadline as the first one.
        if (r == ReadResult::data && between_requests && !deadline_running())
            set_deadline(timeout_of(timeouts().string_short()), result::handshake_timeout);
        if (r == ReadResult::eof || r == ReadResult::error) {
            if (in_.empty()) {
                close_silently();  // between requests, or a probe that never sent one
            } else {
                request_active_ = true;
                close(result::protocol_error, "truncated HTTP request");
            }
            return;
        }
    }
}

void HttpSession::handle_request() {
    in_.erase(0, request_.size);
    request_active_ = true;
    ++requests_;
    request_start_in_ = record_.bytes_in;
    request_start_out_ = record_.bytes_out;
    record_.request_text = request_.method + " " + request_.target + " HTTP/1." +
                           std::to_string(request_.minor_version);
    record_.operation = http::operation_for_method(request_.method);

    std::optional<http::Target> target;
    if (request_.method == "CONNECT") {
        target = http::parse_authority(request_.target);
    } else {
        target = http::parse_absolute_uri(request_.target);
    }
    if (!target) {
        fail(400, "Bad Request", result::protocol_error,
             request_.method == "CONNECT" ? "CONNECT needs host:port"
                                          : "request target is not an http:// absolute URI");
        return;
    }
    target_ = *target;
    request_body_ = http::request_body(request_);
    if (!request_body_) {
        fail(400, "Bad Request", result::protocol_error, "invalid body framing");
        return;
    }
    if (request_.method == "CONNECT") request_body_ = http::BodyFramer::none();
    forward_to_http_parent_ = request_.method != "CONNECT";

    if (auto creds = http::basic_credentials(request_.headers, "Proxy-Authorization"))
        record_.set_credentials(creds->first, creds->second);
    else
        record_.set_credentials(std::nullopt, std::nullopt);

    record_.target_host.clear();
    record_.target_address.reset();
    if (auto literal = proxycfg::IpAddress::parse(target_.host)) {
        record_.target_address = literal;
    } else {
        record_.target_host = target_.host;
    }
    record_.target_port = target_.port;
    resolve_target();
}

void HttpSession::on_resolved(const std::string& error) {
    if (!error.empty()) {
        fail(502, "Bad Gateway", result::resolve_failed,
             "cannot resolve " + record_.target_host + ": " + error);
        return;
    }
    auto decision = admit();
    if (!decision.allowed()) {
        using proxycfg::Verdict;
        int code = result_code(decision.verdict);
        bool ask_password = decision.verdict == Verdict::no_credentials ||
                            decision.verdict == Verdict::unknown_user ||
                            decision.verdict == Verdict::bad_password ||
                            (decision.verdict == Verdict::acl_no_match && service_->need_user != 0);
        // As in 3proxy: an explicit deny is 403; anything that better credentials could
        // change is 407, so browsers ask for a password.
        if (decision.verdict == Verdict::conn_limited) {
            // 3proxy's answer to a spent connlim budget.
            fail(503, "Service Unavailable", code, admission_reason(decision.verdict));
        } else if (ask_password) {
            fail(407, "Proxy Authentication Required", code, admission_reason(decision.verdict),
                 "Proxy-Authenticate: Basic realm=\"proxyd\"\r\n");
        } else {
            fail(403, "Forbidden", code, admission_reason(decision.verdict));
        }
        return;
    }
    // A kept-alive upstream serves the next request only if it leads the same way.
    std::string key = record_.target_text();
    if (chain_parents()) key += " via entry " + std::to_string(decision.entry_index);
    if (request_.method != "CONNECT" && upstream_ && key == upstream_key_ && upstream_alive()) {
        begin_forwarding();
        return;
    }
    upstream_.reset();
    upstream_key_ = key;
    up_in_.clear();
    connect_upstream();
}

bool HttpSession::upstream_alive() const {
    char byte;
    auto n = ::recv(upstream_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    // Anything readable on an idle kept-alive connection is either its close or garbage.
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void HttpSession::on_connected() {
    if (request_.method == "CONNECT") {
        send_client("HTTP/1.1 200 Connection established\r\n\r\n");
        request_start_in_ = record_.bytes_in;
        start_relay(std::move(in_));  // with what came behind a parent's reply
        return;
    }
    up_in_ += take_chain_leftover();
    begin_forwarding();
}

void HttpSession::on_connect_failed(int code, int err) {
    upstream_key_.clear();
    if (code == result::connect_timeout) {
        fail(504, "Gateway Timeout", code, "connect to " + record_.target_text() + " timed out");
    } else {
        fail(502, "Bad Gateway", code, upstream_failure(err));
    }
}

std::string HttpSession::forwarded_request_head() const {
    // An `http` parent is a proxy: it gets the absolute URI, and its own login.
    const auto* via = http_parent();
    std::string head = request_.method + " " + (via ? request_.target : target_.path) + " HTTP/1." +
                       std::to_string(request_.minor_version) + "\r\n";
    head += "Host: " + host_for_header(target_) + "\r\n";
    if (via && !via->user.empty()) {
        bool pass_on = via->user == "*";
        std::string user = pass_on ? record_.user.value_or("") : via->user;
        std::string password = pass_on ? record_.password.value_or("") : via->password;
        head +=
            "Proxy-Authorization: Basic " + parent::base64_encode(user + ":" + password) + "\r\n";
    }
    for (const auto& h : request_.headers.fields) {
        if (is_hop_by_hop(h.name, request_.headers)) continue;
        if (h.name.size() == 4 && strncasecmp(h.name.c_str(), "Host", 4) == 0) continue;
        head += h.name + ": " + h.value + "\r\n";
    }
    std::string client_ip = record_.client_address.to_string();
    switch (service_->anonymous) {
        case 0:  // no -a: say who the client is, in the standard header
            head += record_.client_address.family == proxycfg::IpAddress::Family::v6
                        ? "Forwarded: for=\"[" + client_ip + "]\"\r\n"
                        : "Forwarded: for=" + client_ip + "\r\n";
            break;
        case 1:
            break;  // -a: anonymous, nothing added
        case 2: {   // -a1: Via and a random X-Forwarded-For, as 3proxy does
            std::random_device rd;
            head += "Via: 1.1 proxyd\r\nX-Forwarded-For: " + std::to_string(rd() % 223 + 1) + "." +
                    std::to_string(rd() % 256) + "." + std::to_string(rd() % 256) + "." +
                    std::to_string(rd() % 254 + 1) + "\r\n";
            break;
        }
        default:  // -a2: Via and the real address
            head += "Via: 1.1 proxyd\r\nX-Forwarded-For: " + client_ip + "\r\n";
    }
    head += "Connection: keep-alive\r\n\r\n";
    return head;
}

std::string HttpSession::forwarded_response_head() const {
    std::string head = "HTTP/1." + std::to_string(response_.minor_version) + " " +
                       std::to_string(response_.status) + " " + response_.reason + "\r\n";
    for (const auto& h : response_.headers.fields) {
        if (is_hop_by_hop(h.name, response_.headers)) continue;
        head += h.name + ": " + h.value + "\r\n";
    }
    head += keep_client_ ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    return head;
}

void HttpSession::begin_forwarding() {
    phase_ = Phase::custom;
    set_timeout(timeout_of(timeouts().connection_short()), result::idle_timeout);
    const auto& h = request_.headers;
    client_keep_alive_ =
        request_.minor_version >= 1
            ? !(h.has_token("Connection", "close") || h.has_token("Proxy-Connection", "close"))
            : (h.has_token("Connection", "keep-alive") ||
               h.has_token("Proxy-Connection", "keep-alive"));
    up_out_ = forwarded_request_head();
    up_out_off_ = 0;
    record_.bytes_out += up_out_.size();
    response_head_done_ = false;
    response_body_.reset();
    upstream_eof_ = false;
    upstream_write_closed_ = false;
    pump();
}

// Each step of an exchange reports whether it moved bytes through `progress`, and returns
// false when it ended the session (the caller must then stop touching it).
void HttpSession::pump() {
    for (;;) {
        if (phase_ != Phase::custom) return;
        bool progress = false;
        if (!forward_request_body(progress)) return;
        write_upstream(progress);
        read_upstream(progress);
        if (!take_response_head(progress)) return;
        bool response_done = false;
        if (!forward_response_body(progress, response_done)) return;
        if (!flush_client()) {
            close(result::io_error, "client write failed");
            return;
        }
        if (response_done && client_backlog() == 0) {
            // A complete answer ends the exchange even if the request body is not all
            // sent (the origin refused it, or answered 413 instead of 100 Continue):
            // neither connection can carry another request then.
            if (!request_sent()) upstream_reusable_ = false;
            finish_exchange();
            return;
        }
        if (!progress) return;
    }
}

// Client -> upstream: the request body, as framed, while the upstream takes it.
bool HttpSession::forward_request_body(bool& progress) {
    if (request_body_->done() || upstream_write_closed_) return true;
    if (!in_.empty()) {
        auto n = request_body_->consume(in_);
        if (request_body_->error()) {
            fail(400, "Bad Request", result::protocol_error, "malformed chunked request body");
            return false;
        }
        bool allowed = quota_allows(n, false);
        up_out_.append(in_, 0, n);
        record_.bytes_out += n;
        in_.erase(0, n);
        progress = progress || n > 0;
        if (!allowed) {
            close(result::traffic_quota, "traffic quota exceeded");
            return false;
        }
    }
    if (!request_body_->done() && in_.empty() && up_out_.size() - up_out_off_ < max_backlog) {
        auto r = read_client(in_, read_chunk);
        if (r == ReadResult::eof || r == ReadResult::error) {
            close(result::protocol_error, "client closed during the request body");
            return false;
        }
        progress = progress || !in_.empty();
    }
    return true;
}

void HttpSession::write_upstream(bool& progress) {
    while (!upstream_write_closed_ && up_out_off_ < up_out_.size()) {
        auto n = ::send(upstream_.get(), up_out_.data() + up_out_off_, up_out_.size() - up_out_off_,
                        MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            // EPIPE/ECONNRESET: an origin that answers before reading the whole body
            // (413, 401...) closes on the rest. Its answer is already on the way, or in
            // the socket: it is read and relayed, not replaced by a 502.
            upstream_write_closed_ = true;
            up_out_.clear();
            up_out_off_ = 0;
            progress = true;
            break;
        }
        up_out_off_ += static_cast<std::size_t>(n);
        progress = true;
    }
    if (up_out_off_ == up_out_.size()) {
        up_out_.clear();
        up_out_off_ = 0;
    }
}

// Upstream -> client: what the upstream sent, unless the client is behind.
void HttpSession::read_upstream(bool& progress) {
    if (upstream_eof_ || client_backlog() >= max_backlog) return;
    auto before = up_in_.size();
    auto r = read_from(upstream_.get(), up_in_, up_in_.size() + read_chunk);
    if (r == ReadResult::eof || r == ReadResult::error) {
        upstream_eof_ = true;
        progress = true;
    }
    progress = progress || up_in_.size() != before;
}

// The response head, rewritten for the client; interim responses pass through.
bool HttpSession::take_response_head(bool& progress) {
    if (response_head_done_) return true;
    http::ResponseHead head;
    auto st = http::parse_response_head(up_in_, head);
    if (st == http::HeadStatus::incomplete) {
        if (upstream_eof_) {
            fail(502, "Bad Gateway", result::upstream_error,
                 upstream_write_closed_ ? "upstream write failed"
                                        : "upstream closed without a response");
            return false;
        }
    } else if (st != http::HeadStatus::ok) {
        fail(502, "Bad Gateway", result::upstream_error, "malformed upstream response");
        return false;
    } else if (head.status / 100 == 1 && head.status != 101) {
        // Interim responses (100 Continue) pass through as they are.
        send_client(std::string_view(up_in_).substr(0, head.size));
        up_in_.erase(0, head.size);
        progress = true;
    } else {
        response_ = std::move(head);
        up_in_.erase(0, response_.size);
        response_body_ = http::response_body(response_, request_.method);
        if (!response_body_ || response_.status == 101) {
            fail(502, "Bad Gateway", result::upstream_error,
                 "unsupported upstream response framing");
            return false;
        }
        bool delimited = response_body_->mode() != http::BodyFramer::Mode::until_close;
        upstream_reusable_ = delimited && response_.minor_version >= 1 &&
                             !response_.headers.has_token("Connection", "close");
        // An answer that comes before the whole request was sent may end the exchange
        // early (pump): then the client's connection cannot be kept, and it has to know
        // before it reads the body.
        keep_client_ = client_keep_alive_ && delimited && request_sent();
        auto forwarded = forwarded_response_head();
        record_.bytes_in += forwarded.size();
        send_client(forwarded);
        response_head_done_ = true;
        progress = true;
    }
    return true;
}

// The response body, as framed; `done` once it is complete.
bool HttpSession::forward_response_body(bool& progress, bool& done) {
    if (!response_head_done_) return true;
    if (!up_in_.empty() && !response_body_->done()) {
        auto n = response_body_->consume(up_in_);
        if (response_body_->error()) {
            close(result::upstream_error, "malformed chunked response body");
            return false;
        }
        bool allowed = quota_allows(n, true);
        send_client(std::string_view(up_in_).substr(0, n));
        record_.bytes_in += n;
        up_in_.erase(0, n);
        progress = progress || n > 0;
        if (!allowed) {
            close(result::traffic_quota, "traffic quota exceeded");
            return false;
        }
    }
    done = response_body_->done() ||
           (response_body_->mode() == http::BodyFramer::Mode::until_close && upstream_eof_);
    if (!done && upstream_eof_) {
        close(result::upstream_error, "upstream closed mid-response");
        return false;
    }
    return true;
}

void HttpSession::finish_exchange() {
    log_request(result::ok, "OK");
    request_active_ = false;
    if (!upstream_reusable_ || !up_in_.empty() || upstream_eof_) {
        upstream_.reset();
        upstream_key_.clear();
        up_in_.clear();
    }
    if (!keep_client_) {
        if (request_body_->done()) {
            close(result::ok, "OK");
        } else {
            // The client may still be sending the body: closing with unread input would
            // reset the connection and could lose the answer it has not read yet.
            reply_and_close({}, result::ok, "OK");
        }
        return;
    }
    phase_ = Phase::handshake;
    set_timeout(timeout_of(timeouts().string_long()), result::idle_timeout);
    read_request();  // a pipelined request may already be buffered, or waiting in the socket
}

void HttpSession::log_close(int code, std::string_view reason) {
    // Requests are logged as they finish; a close logs only an unfinished request, or a
    // connection that never made one.
    if (request_active_ || requests_ == 0) log_request(code, reason);
}

void HttpSession::log_request(int code, std::string_view reason) {
    // The line shows this request's bytes; the record keeps the connection's totals.
    SessionRecord r = record_;
    r.bytes_in -= request_start_in_;
    r.bytes_out -= request_start_out_;
    write_log_for(r, code, reason);
}

}  // namespace proxyd
