#include "control_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "proxycfg/format.hpp"
#include "proxycfg/source.hpp"
#include "proxycfg/util.hpp"

namespace proxyctl {
namespace {

// Replies carry whole session tables; anything this large is not a reply.
constexpr std::size_t max_reply_bytes = 256u * 1024u * 1024u;

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

ControlError make_error(ControlError::Kind kind, const std::string& path, std::string message) {
    ControlError e;
    e.kind = kind;
    e.socket_path = path;
    e.message = std::move(message);
    return e;
}

ControlReply failed(ControlError error) {
    ControlReply r;
    r.error = std::move(error);
    return r;
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0) return true;
        if (n == 0) return false;
        if (errno != EINTR) return false;
    }
}

ControlReply parse_reply(const std::string& path, const std::string& line) {
    nlohmann::json reply = control::parse_line(line);
    if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok") ||
        !reply.at("ok").is_boolean()) {
        std::string shown = line.substr(0, 120);
        return failed(
            make_error(ControlError::Kind::bad_reply, path,
                       "malformed reply from proxyd (not a protocol JSON object): " +
                           nlohmann::json(shown).dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace)));
    }
    if (reply.at("ok").get<bool>()) {
        ControlReply r;
        r.result = reply.contains("result") ? reply.at("result") : nlohmann::json::object();
        return r;
    }
    ControlError e = make_error(ControlError::Kind::refused, path, "proxyd refused the request");
    if (auto it = reply.find("error"); it != reply.end() && it->is_object()) {
        if (auto m = it->find("message"); m != it->end() && m->is_string()) e.message = *m;
        if (auto c = it->find("code"); c != it->end() && c->is_string()) e.code = *c;
        // In the published shape, whatever the daemon's version sent.
        if (auto d = it->find("diagnostics"); d != it->end() && d->is_array())
            e.diagnostics = control::normalized_diagnostics(*d);
        if (auto r = it->find("record"); r != it->end() && r->is_object()) try {
                e.record = r->get<control::ReloadRecord>();
            } catch (const nlohmann::json::exception&) {
                // A record that cannot be read is left out (null), the refusal still holds.
            }
    }
    return failed(std::move(e));
}

bool color_for(std::ostream& out) {
    return proxycfg::color_enabled(&out == &std::cerr ? STDERR_FILENO : STDOUT_FILENO);
}

std::string two_digits(std::int64_t v) {
    std::string s = std::to_string(v);
    return s.size() < 2 ? "0" + s : s;
}

}  // namespace

std::string socket_path(const std::string& from_option) {
    if (!from_option.empty()) return from_option;
    if (const char* env = std::getenv("PROXYCTL_SOCKET"); env && *env) return env;
    return control::default_socket_path();
}

std::chrono::milliseconds reply_timeout() {
    if (const char* env = std::getenv("PROXYCTL_TIMEOUT"); env && *env) {
        char* end = nullptr;
        double seconds = std::strtod(env, &end);
        if (end != env && *end == '\0' && seconds > 0 && seconds < 86400)
            return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + 0.5));
    }
    return std::chrono::seconds(10);
}

ControlReply request(const std::string& path, const std::string& command,
                     const nlohmann::json& args, std::chrono::milliseconds timeout) {
    using Kind = ControlError::Kind;
    const auto deadline = Clock::now() + timeout;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        return failed(make_error(Kind::unreachable, path, "socket path is empty or too long"));
    std::memcpy(addr.sun_path, path.data(), path.size());

    proxycfg::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0)
        return failed(
            make_error(Kind::unreachable, path, std::string("socket: ") + std::strerror(errno)));
    // A Unix-socket connect fails at once when nobody listens; EAGAIN means the daemon's
    // backlog is full, which is worth waiting for within the deadline.
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        if (errno != EAGAIN && errno != EINPROGRESS) {
            ControlError e = make_error(Kind::unreachable, path, std::strerror(errno));
            e.permission_denied = errno == EACCES;
            return failed(std::move(e));
        }
        if (!wait_for(fd.get(), POLLOUT, deadline))
            return failed(make_error(Kind::timeout, path, "timed out connecting"));
        int so_error = 0;
        socklen_t len = sizeof(so_error);
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error != 0)
            return failed(make_error(Kind::unreachable, path, std::strerror(so_error)));
    }

    nlohmann::json req{{"command", command}};
    if (!args.is_null()) req["args"] = args;
    std::string line = req.dump() + "\n";
    std::size_t sent = 0;
    while (sent < line.size()) {
        ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_for(fd.get(), POLLOUT, deadline))
                return failed(make_error(Kind::timeout, path, "timed out sending the request"));
        } else {
            return failed(
                make_error(Kind::bad_reply, path,
                           std::string("connection lost while sending: ") + std::strerror(errno)));
        }
    }

    std::string buffer;
    char chunk[65536];
    for (;;) {
        if (!wait_for(fd.get(), POLLIN, deadline)) {
            auto secs = std::chrono::duration<double>(timeout).count();
            char text[64];
            std::snprintf(text, sizeof(text), "%.1f", secs);
            return failed(make_error(Kind::timeout, path,
                                     std::string("no reply from proxyd within ") + text +
                                         " s (PROXYCTL_TIMEOUT sets the limit in seconds)"));
        }
        ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return failed(make_error(
                Kind::bad_reply, path,
                std::string("connection lost while reading the reply: ") + std::strerror(errno)));
        }
        if (n == 0) {
            if (buffer.empty())
                return failed(make_error(Kind::bad_reply, path,
                                         "proxyd closed the connection without replying"));
            return parse_reply(path, buffer);  // a last line without its newline
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
        if (auto nl = buffer.find('\n'); nl != std::string::npos) {
            buffer.resize(nl);
            return parse_reply(path, buffer);
        }
        if (buffer.size() > max_reply_bytes)
            return failed(make_error(Kind::bad_reply, path, "reply from proxyd is too large"));
    }
}

int report(const ControlError& error, const std::string& command_name, std::ostream& err) {
    using Kind = ControlError::Kind;
    std::string prefix = "proxyctl " + command_name + ": ";
    switch (error.kind) {
        case Kind::unreachable:
            err << prefix << "cannot reach proxyd at " << error.socket_path << ": " << error.message;
            if (error.permission_denied)
                err << "\n  this user may not use that socket: run as root or proxyd's user, or "
                       "ask for membership of the group given to proxyd's --control-group "
                       "(read-only commands) or --control-admin-group\n";
            else
                err << "\n  is proxyd running? start it with --control PATH or pass --socket "
                       "(or set PROXYCTL_SOCKET)\n";
            return exit_unreachable;
        case Kind::timeout:
        case Kind::bad_reply:
            err << prefix << error.socket_path << ": " << error.message << '\n';
            return exit_unreachable;
        case Kind::refused:
            err << prefix << "proxyd: " << error.message;
            if (!error.code.empty()) err << " [" << error.code << "]";
            err << '\n';
            print_diagnostics(err, error.diagnostics);
            return exit_findings;
    }
    return exit_unreachable;
}

void print_diagnostics(std::ostream& out, const nlohmann::json& diagnostics) {
    using namespace proxycfg;
    if (!diagnostics.is_array() || diagnostics.empty()) return;
    // Rebuild check's view: every file the diagnostics name, read again for the snippets.
    // A file that cannot be read (another machine's path, since removed) gets no snippet:
    // its diagnostics go in a CheckedFile without sources, shown under their own path.
    SourceManager sources;
    std::map<std::string, std::optional<FileId>> ids;
    auto file_id = [&](const std::string& path) {
        auto it = ids.find(path);
        if (it != ids.end()) return it->second;
        ReadError error;
        std::optional<FileId> id = path.empty() ? std::nullopt : sources.read(path, error);
        ids.emplace(path, id);
        return id;
    };
    auto span_of = [&](const nlohmann::json& j) {
        SourceSpan s;
        // No file or no position is null in the entry.
        std::optional<FileId> id = file_id(control::string_field(j, "file"));
        s.file = id.value_or(0);
        s.line = static_cast<std::uint32_t>(control::number_field(j, "line"));
        s.column = static_cast<std::uint32_t>(control::number_field(j, "column"));
        s.length = static_cast<std::uint32_t>(control::number_field(j, "length"));
        return s;
    };
    std::vector<CheckedFile> files;
    try {
        for (const auto& d : diagnostics) {
            if (!d.is_object()) continue;
            Diagnostic diag;
            diag.code = d.value("code", std::string(proxycfg::code_of(proxycfg::Rule::PX000)));
            if (!parse_severity(d.value("severity", std::string("error")), diag.severity))
                diag.severity = Severity::error;
            diag.message = control::string_field(d, "message");
            std::string path = control::string_field(d, "file");
            bool readable = file_id(path).has_value();
            diag.span = span_of(d);
            for (const auto& n : d.value("notes", nlohmann::json::array()))
                diag.notes.push_back({span_of(n), control::string_field(n, "message")});
            for (const auto& f : d.value("fixits", nlohmann::json::array())) {
                auto flag = f.find("unsafe");
                bool unsafe = flag != f.end() && flag->is_boolean() && flag->get<bool>();
                FixIt fix{span_of(f), control::string_field(f, "replacement"),
                          control::string_field(f, "description"), unsafe};
                diag.fixits.push_back(std::move(fix));
            }
            if (files.empty() || (files.back().sources != nullptr) != readable ||
                (!readable && files.back().display_path != path)) {
                files.emplace_back();
                files.back().sources = readable ? &sources : nullptr;
                files.back().display_path = path;
            }
            files.back().diagnostics.push_back(std::move(diag));
        }
    } catch (const nlohmann::json::exception&) {
        out << "  (diagnostics in the reply are malformed)\n";
    }
    // File 0 of the sources is shown under a CheckedFile's display path.
    for (auto& f : files)
        if (f.sources && sources.size() > 0) f.display_path = sources.file(0).path;
    FormatOptions fo;
    fo.color = color_for(out);
    write_diagnostics(out, OutputFormat::text, files, fo);
}

void add_live_options(CLI::App* cmd, LiveOptions& options) {
    cmd->add_option("--socket", options.socket,
                    "proxyd control socket (default: $PROXYCTL_SOCKET, else " +
                        control::default_socket_help() + ")")
        ->type_name("PATH");
    cmd->add_flag("--json", options.json, "Print the daemon's reply as JSON, for scripts");
}

std::optional<nlohmann::json> call(const std::string& command_name, const LiveOptions& options,
                                   const std::string& command, int& status,
                                   const nlohmann::json& args, const nlohmann::json& extra) {
    ControlReply reply = request(socket_path(options.socket), command, args);
    if (reply.ok()) return std::move(reply.result);
    if (options.json) {
        // Scripts get the failure, diagnostics and record included, on stdout in the
        // envelope of a reply, whoever failed; people get the message on stderr.
        std::cout << error_envelope(reply.error, extra)
                         .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
        if (reply.error.kind == ControlError::Kind::refused) {
            std::cerr << "proxyctl " << command_name << ": proxyd: " << reply.error.message << '\n';
            status = exit_findings;
            return std::nullopt;
        }
    }
    status = report(reply.error, command_name, std::cerr);
    return std::nullopt;
}

nlohmann::json error_envelope(const ControlError& error, const nlohmann::json& extra) {
    using Kind = ControlError::Kind;
    std::string code = error.code;
    if (error.kind != Kind::refused || code.empty())
        code = error.kind == Kind::unreachable ? err_unreachable
               : error.kind == Kind::timeout   ? err_timeout
               : error.kind == Kind::bad_reply ? err_bad_reply
                                               : "refused";
    std::string message = error.message;
    if (error.kind == Kind::unreachable)
        message = "cannot reach proxyd at " + error.socket_path + ": " + error.message;
    else if (error.kind != Kind::refused)
        message = error.socket_path + ": " + error.message;
    nlohmann::json envelope = control::error_reply(code, message, error.diagnostics, error.record);
    if (extra.is_object())
        for (const auto& [key, value] : extra.items()) envelope[key] = value;
    return envelope;
}

int malformed_result(const std::string& command_name, const std::string& what, bool json) {
    std::string message = "malformed " + command_name + " reply: " + what;
    std::cerr << "proxyctl " << command_name << ": " << message << '\n';
    if (json)
        std::cout << control::error_reply(err_bad_reply, message)
                         .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
    return exit_unreachable;
}

void print_ok_json(const nlohmann::json& result, bool one_line, const nlohmann::json& extra) {
    nlohmann::json envelope = control::ok_reply(result);
    if (extra.is_object())
        for (const auto& [key, value] : extra.items()) envelope[key] = value;
    std::cout << envelope.dump(one_line ? -1 : 2, ' ', false,
                               nlohmann::json::error_handler_t::replace)
              << '\n';
}

std::string human_bytes(std::uint64_t bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double v = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (v >= 1024.0 && unit + 1 < std::size(units)) {
        v /= 1024.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof(text), v < 10 ? "%.1f %s" : "%.0f %s", v, units[unit]);
    return text;
}

std::string human_duration(std::int64_t ms) {
    if (ms < 0) ms = 0;
    if (ms < 1000) return std::to_string(ms) + "ms";
    std::int64_t s = ms / 1000;
    if (s < 60) return std::to_string(s) + "s";
    if (s < 3600) return std::to_string(s / 60) + "m" + two_digits(s % 60) + "s";
    if (s < 86400) return std::to_string(s / 3600) + "h" + two_digits(s % 3600 / 60) + "m";
    return std::to_string(s / 86400) + "d" + two_digits(s % 86400 / 3600) + "h";
}

std::string human_micros(std::uint64_t us) {
    char text[32];
    if (us < 1000)
        std::snprintf(text, sizeof(text), "%lluus", static_cast<unsigned long long>(us));
    else if (us < 1000000)
        std::snprintf(text, sizeof(text), "%.1fms", static_cast<double>(us) / 1e3);
    else
        std::snprintf(text, sizeof(text), "%.2fs", static_cast<double>(us) / 1e6);
    return text;
}

std::string local_time_ms(std::int64_t unix_ms) {
    if (unix_ms <= 0) return "-";
    std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
    return text;
}

std::string short_hash(const std::string& sha256) {
    return sha256.empty() ? "(none)" : sha256.substr(0, 12);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string render_change(const nlohmann::json& change) {
    if (!change.is_object()) return "? " + change.dump();
    // A value the change does not have (before of an addition) is null.
    std::string kind = control::string_field(change, "kind");
    if (kind.empty()) kind = "changed";
    std::string mark = kind == "added" ? "+" : kind == "removed" ? "-" : "~";
    std::string area = control::string_field(change, "area");
    std::string line = mark + " " + (area.empty() ? "?" : area);
    std::string subject = control::string_field(change, "subject");
    if (!subject.empty()) line += " " + subject;
    std::string before = control::string_field(change, "before");
    std::string after = control::string_field(change, "after");
    if (kind == "changed" && (!before.empty() || !after.empty()))
        line += ": " + before + " -> " + after;
    else if (kind == "added" && !after.empty() && after != subject)
        line += ": " + after;
    else if (kind == "removed" && !before.empty() && before != subject)
        line += ": " + before;
    return line;
}

void print_record(std::ostream& out, const control::ReloadRecord& r) {
    std::string what = r.result == "ok"        ? "reload ok"
                       : r.result == "dry_run" ? "dry run (nothing applied)"
                       : r.result == "failed"  ? "reload FAILED"
                                               : "reload " + r.result;
    out << what << ": generation " << r.generation << " (trigger " << r.trigger << ", "
        << local_time_ms(r.started_at_ms) << ", took " << human_micros(r.duration_us) << ")\n";
    if (r.result == "failed")
        out << "  generation " << r.generation << " keeps running unchanged\n";
    if (r.changes.is_array() && !r.changes.empty()) {
        out << "changes:\n";
        for (const auto& c : r.changes) out << "  " << render_change(c) << '\n';
    } else if (r.result != "failed") {
        out << "changes: none\n";
    }
    // A dry run applied nothing: say what the reload would do, not what it did.
    const bool dry = r.result == "dry_run";
    const char* kept = dry ? " would be kept, " : " kept, ";
    const char* closed = dry ? " would close\n" : " closed\n";
    const auto& s = r.sessions;
    out << "sessions: " << s.checked << " checked, " << s.kept << kept << s.closed << closed;
    for (const auto& c : s.closed_sessions) {
        out << (dry ? "  would close #" : "  closed #") << c.id << " " << c.service;
        if (!c.user.empty()) out << " user " << c.user;
        if (!c.client.empty()) out << " from " << c.client;
        out << ": " << c.reason << '\n';
    }
    const auto& l = r.listeners;
    out << "listeners: " << l.kept << kept << l.opened << (dry ? " would open, " : " opened, ")
        << l.closed << closed;
    // Only where a cache is in use: most configurations have none.
    if (r.auth_cache.dropped > 0 || r.auth_cache.entries > 0)
        out << "auth cache: " << r.auth_cache.dropped << " login"
            << (r.auth_cache.dropped == 1 ? "" : "s")
            << (dry ? " would be dropped, " : " dropped, ") << r.auth_cache.entries << " cached\n";
}

}  // namespace proxyctl
