#include "admin.hpp"

#include <sys/socket.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "access_log.hpp"
#include "admin_page.hpp"
#include "control/admin_view.hpp"
#include "control/gateway.hpp"

namespace proxyd {

namespace {

using nlohmann::json;

// Small requests only: the API takes no bodies beyond a form's worth.
constexpr std::size_t max_head = 16 * 1024;
constexpr std::size_t max_body = 4 * 1024;
constexpr std::size_t read_chunk = 16 * 1024;

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 411:
            return "Length Required";
        case 413:
            return "Content Too Large";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Error";
    }
}

// Names on the wire may hold any bytes: invalid UTF-8 is replaced, never thrown on.
std::string json_text(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

struct Route {
    std::string_view path;
    std::string_view allow;  // the methods it answers
};

constexpr Route routes[] = {
    {"/", "GET, HEAD"},           {"/api/view", "GET, HEAD"},    {"/api/status", "GET, HEAD"},
    {"/api/sessions", "GET, HEAD"}, {"/api/reloads", "GET, HEAD"}, {"/metrics", "GET, HEAD"},
    {"/api/reload", "POST"},
};

// "/api/sessions/123/close" -> 123.
std::optional<std::uint64_t> close_target(std::string_view path) {
    constexpr std::string_view prefix = "/api/sessions/", suffix = "/close";
    if (!path.starts_with(prefix) || !path.ends_with(suffix)) return std::nullopt;
    auto digits = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    std::uint64_t id = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (digits.empty() || r.ec != std::errc() || r.ptr != digits.data() + digits.size())
        return std::nullopt;
    return id;
}

}  // namespace

void AdminSession::on_client_event() {
    // While the control thread works on a request, the next one waits in the socket.
    if (!pending_.empty()) return;
    read_request();
}

void AdminSession::read_request() {
    for (;;) {
        http::RequestHead head;
        auto st = http::parse_request_head(in_, head, max_head);
        if (st == http::HeadStatus::ok) {
            request_ = std::move(head);
            // The body (a POST's form, if any) must be here before the request runs.
            auto body = http::request_body(request_);
            if (!body || body->mode() == http::BodyFramer::Mode::chunked) {
                request_active_ = true;
                respond_error(body ? 411 : 400, "send a Content-Length, at most 4 KiB");
                return;
            }
            std::size_t length = 0;
            if (const auto* cl = request_.headers.find("Content-Length"))
                std::from_chars(cl->data(), cl->data() + cl->size(), length);
            if (length > max_body) {
                request_active_ = true;
                respond_error(413, "request bodies are limited to 4 KiB");
                return;
            }
            if (in_.size() >= request_.size + length) {
                in_.erase(0, request_.size + length);
                handle_request();
                return;
            }
        } else if (st == http::HeadStatus::too_large) {
            request_active_ = true;
            record_.request_text = "-";
            respond_error(431, "request heads are limited to 16 KiB");
            return;
        } else if (st == http::HeadStatus::bad) {
            request_active_ = true;
            record_.request_text =
                in_.substr(0, std::min<std::size_t>(in_.find_first_of("\r\n"), 200));
            respond_error(400, "malformed HTTP request");
            return;
        }
        bool between_requests = in_.empty();
        auto r = read_client(in_, in_.size() + read_chunk);
        if (r == ReadResult::would_block) return;
        if (r == ReadResult::data && between_requests && !deadline_running())
            set_deadline(timeout_of(timeouts().string_short()), result::handshake_timeout);
        if (r == ReadResult::eof || r == ReadResult::error) {
            if (in_.empty()) {
                close_silently();
            } else {
                request_active_ = true;
                close(result::protocol_error, "truncated HTTP request");
            }
            return;
        }
    }
}

void AdminSession::handle_request() {
    request_active_ = true;
    status_ = 0;
    record_.request_text = request_.method + " " + request_.target + " HTTP/1." +
                           std::to_string(request_.minor_version);
    keep_alive_ = request_.minor_version >= 1
                      ? !request_.headers.has_token("Connection", "close")
                      : request_.headers.has_token("Connection", "keep-alive");
    path_ = request_.target.substr(0, request_.target.find_first_of("?#"));
    if (path_.empty() || path_[0] != '/') {
        respond_error(400, "the request target must be a path");
        return;
    }

    // Admitted as the service's own address and port, with the ADMIN operation, so an
    // ACL can name the admin port and the operation.
    if (auto creds = http::basic_credentials(request_.headers, "Authorization"))
        record_.set_credentials(creds->first, creds->second);
    else
        record_.set_credentials(std::nullopt, std::nullopt);
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(client_.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0)
        record_.target_address = address_of(local, nullptr);
    record_.target_port = service_->port.value;
    record_.operation = proxycfg::op::ADMIN;

    auto decision = admit();
    if (!decision.allowed()) {
        using proxycfg::Verdict;
        // 401 only when other credentials could help: a known user the ACL does not
        // grant ADMIN is refused (403), not asked again.
        bool ask_password = decision.verdict == Verdict::no_credentials ||
                            decision.verdict == Verdict::unknown_user ||
                            decision.verdict == Verdict::bad_password ||
                            (decision.verdict == Verdict::acl_no_match && !record_.user &&
                             service_->need_user != 0);
        status_ = ask_password ? 401 : 403;
        std::string body = "<!doctype html><html lang=\"en\"><title>" + std::to_string(status_) +
                           " " + std::string(reason_phrase(status_)) + "</title><h1>" +
                           std::to_string(status_) + " " + std::string(reason_phrase(status_)) +
                           "</h1></html>\n";
        respond(status_, "text/html; charset=utf-8", std::move(body),
                ask_password ? "WWW-Authenticate: Basic realm=\"proxyd admin\", charset=\"UTF-8\"\r\n"
                             : "");
        finish_request(result_code(decision.verdict), admission_reason(decision.verdict));
        return;
    }
    route();
}

void AdminSession::route() {
    const std::string& m = request_.method;
    bool read = m == "GET" || m == "HEAD";
    if (path_ == "/" && read) return ask("page");
    if (path_ == "/api/view" && read) return ask("view");
    if (path_ == "/api/status" && read) return ask("status");
    if (path_ == "/api/sessions" && read) return ask("sessions");
    if (path_ == "/api/reloads" && read) return ask("reloads");
    if (path_ == "/metrics" && read) return ask("metrics");
    auto kill = close_target(path_);
    if ((path_ == "/api/reload" || kill) && m == "POST") {
        if (!service_->writable().value)
            return respond_error(403,
                                 "this admin service is read-only: put 'writable' above its line "
                                 "to allow reloads and closing sessions");
        auto* gateway = host_.control_gateway();
        const auto* token = request_.headers.find("X-CSRF-Token");
        if (!gateway || !token || !constant_time_equal(*token, gateway->csrf_token()))
            return respond_error(403, "missing or wrong X-CSRF-Token: use the page's buttons");
        return ask(kill ? "kill:" + std::to_string(*kill) : std::string("reload"));
    }
    for (const auto& r : routes)
        if (r.path == path_)
            return respond_error(405, "", "Allow: " + std::string(r.allow) + "\r\n");
    if (kill) return respond_error(405, "", "Allow: POST\r\n");
    respond_error(404, "no such page: try / or /metrics");
}

void AdminSession::ask(std::string what) {
    auto* gateway = host_.control_gateway();
    if (!gateway) {
        respond_error(503, "the control thread is not available");
        return;
    }
    pending_ = what;
    phase_ = Phase::custom;
    bool writable = service_->writable().value;
    std::string csrf = gateway->csrf_token();
    SessionHost* host = &host_;
    std::uint64_t id = record_.id;
    gateway->ask(
        [what = std::move(what), writable, csrf](control_cmd::Context& c) -> json {
            if (what == "page" || what == "view") return admin_view(c, writable, csrf);
            if (what == "reload") return control_cmd::run(c, "reload", json::object());
            if (what.starts_with("kill:")) {
                std::uint64_t session = std::stoull(what.substr(5));
                return control_cmd::run(c, "kill", {{"ids", json::array({session})}});
            }
            return control_cmd::run(c, what, json::object());
        },
        host_.loop(),
        [host, id](json reply) {
            if (Session* s = host->find_session(id)) s->on_control_reply(reply);
        });
}

void AdminSession::on_control_reply(const json& reply) {
    if (closed() || pending_.empty()) return;
    std::string what = std::move(pending_);
    pending_.clear();
    phase_ = Phase::handshake;
    const std::string json_type = "application/json";
    if (what == "page") return respond(200, "text/html; charset=utf-8", render_admin_page(reply));
    if (what == "view") return respond(200, json_type, json_text(reply));
    bool ok = reply.value("ok", false);
    if (what == "metrics") {
        if (!ok) return respond_error(404, "metrics are not available");
        return respond(200, "text/plain; version=0.0.4; charset=utf-8",
                       reply["result"].value("text", std::string()));
    }
    if (what == "reload") return respond(ok ? 200 : 409, json_type, json_text(reply));
    if (what.starts_with("kill:")) {
        bool killed = ok && !reply["result"]["killed"].empty();
        return respond(killed ? 200 : 404, json_type, json_text(reply));
    }
    if (!ok) return respond(500, json_type, json_text(reply));
    respond(200, json_type, json_text(reply["result"]));
}

void AdminSession::respond(int status, std::string_view content_type, std::string body,
                           std::string_view extra_headers) {
    if (status_ == 0) status_ = status;
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " +
                       std::string(reason_phrase(status)) + "\r\nContent-Type: " +
                       std::string(content_type) +
                       "\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                       "Referrer-Policy: no-referrer\r\n";
    if (content_type.starts_with("text/html"))
        head +=
            "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'\r\n";
    head += extra_headers;
    head += keep_alive_ ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (request_.method != "HEAD") head += body;
    if (!send_client(head)) {
        close(result::io_error, "client write failed");
        return;
    }
    if (status < 400) finish_request(result::ok, "OK");
    // Refusals and errors log where they are decided (finish_request is called there).
    else if (status != 401 && status != 403)
        finish_request(result::ok, std::to_string(status) + " " + std::string(reason_phrase(status)));
}

void AdminSession::respond_error(int status, std::string_view detail,
                                 std::string_view extra_headers) {
    std::string title = std::to_string(status) + " " + std::string(reason_phrase(status));
    std::string body = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>" +
                       title + "</title><h1>" + title + "</h1>";
    if (!detail.empty()) body += "<p>" + html_escape(detail) + "</p>";
    body += "</html>\n";
    // A malformed or oversized request leaves the stream unreliable: it ends here.
    if (status == 400 || status == 411 || status == 413 || status == 431) keep_alive_ = false;
    respond(status, "text/html; charset=utf-8", std::move(body), extra_headers);
    if (status == 403) finish_request(result::acl_denied, detail);
}

void AdminSession::finish_request(int code, std::string_view reason) {
    if (!request_active_) return;
    request_active_ = false;
    write_log(code, reason);
    if (!keep_alive_) {
        reply_and_close({}, code, reason);
        return;
    }
    phase_ = Phase::handshake;
    set_timeout(timeout_of(timeouts().string_long()), result::idle_timeout);
    read_request();  // a pipelined request may already be waiting
}

void AdminSession::log_close(int code, std::string_view reason) {
    // Requests are logged as they finish; a close logs only an unfinished one.
    if (!request_active_) return;
    request_active_ = false;
    write_log(code, reason);
}

}  // namespace proxyd
