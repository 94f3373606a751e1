#include "live_checks.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "proxycfg/hash.hpp"
#include "proxycfg/util.hpp"

namespace proxyctl {
namespace {

struct OnDisk {
    bool exists = false;
    std::string sha256;
    std::int64_t mtime_ns = 0;
};

OnDisk read_on_disk(const std::string& path) {
    OnDisk d;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return d;
    std::ifstream in(path, std::ios::binary);
    if (!in) return d;
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    d.exists = true;
    d.sha256 = proxycfg::sha256_hex(bytes);
    d.mtime_ns = proxycfg::mtime_ns(st);
    return d;
}

// The FileId under which `path` was read by this check; added (empty) when it was not.
proxycfg::FileId file_id_for(const std::string& path, proxycfg::Loaded& loaded) {
    auto& sources = loaded.parse.config.sources;
    if (!sources) return 0;
    std::string want = proxycfg::canonical_path(path);
    for (std::size_t i = 0; i < sources->size(); ++i)
        if (proxycfg::canonical_path(sources->file(static_cast<proxycfg::FileId>(i)).path) == want)
            return static_cast<proxycfg::FileId>(i);
    return sources->add(path, "");
}

std::string at_time(std::int64_t mtime_ns) {
    return local_time_ms(mtime_ns / 1000000);
}

// A failed reload is history once the files that failed have been fixed: the files on
// disk load without errors now, and every error of the failure pointed into a file (the
// same files would have failed the same way). An error without a file is a refusal the
// files do not explain, such as a port proxyd could not bind; it stays reported.
bool failure_fixed_on_disk(const control::ReloadRecord& failed, const proxycfg::Loaded& loaded) {
    if (!loaded.readable() || proxycfg::has_errors(loaded.diagnostics)) return false;
    if (!failed.diagnostics.is_array()) return false;
    auto text = [](const nlohmann::json& d, const char* key) {
        auto it = d.find(key);
        return it != d.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    bool file_errors = false;
    for (const auto& d : failed.diagnostics) {
        if (!d.is_object() || text(d, "severity") != "error") continue;
        if (text(d, "file").empty()) return false;
        file_errors = true;
    }
    return file_errors;
}

}  // namespace

std::optional<control::Status> query_live_status(const std::string& socket_option,
                                                 std::chrono::milliseconds timeout,
                                                 std::string* why) {
    std::string path = socket_path(socket_option);
    ControlReply reply = request(path, "status", nullptr, timeout);
    if (!reply.ok()) {
        if (why) {
            const ControlError& e = reply.error;
            if (e.kind == ControlError::Kind::unreachable)
                *why = "no proxyd answers at " + path + ": " + e.message;
            else if (e.kind == ControlError::Kind::refused)
                *why = "proxyd at " + path + " refused 'status': " + e.message;
            else
                *why = path + ": " + e.message;
        }
        return std::nullopt;
    }
    try {
        return reply.result->get<control::Status>();
    } catch (const nlohmann::json::exception& e) {
        if (why) *why = path + ": malformed status reply: " + e.what();
        return std::nullopt;
    }
}

bool is_live_rule(std::string_view code) {
    return code.starts_with("PX4");
}

bool is_daemon_config(const std::string& path, const control::Status& status) {
    if (path == "-" || status.config.empty()) return false;
    return proxycfg::canonical_path(path) == proxycfg::canonical_path(status.config);
}

proxycfg::Diagnostics live_diagnostics(const control::Status& status, proxycfg::Loaded& loaded) {
    using proxycfg::Diagnostic;
    using proxycfg::make_diagnostic;
    using proxycfg::Rule;
    proxycfg::Diagnostics out;

    for (const auto& f : status.files) {
        OnDisk now = read_on_disk(f.path);
        if (now.exists && now.sha256 == f.sha256) continue;
        Diagnostic d = make_diagnostic(Rule::PX401, {file_id_for(f.path, loaded), 0, 0, 0}, "");
        if (now.exists) {
            d.message = "edited but not reloaded: " + f.path +
                        " changed since proxyd loaded it (loaded " + short_hash(f.sha256) + ", " +
                        at_time(f.mtime_ns) + "; now " + short_hash(now.sha256) + ", " +
                        at_time(now.mtime_ns) + "); run 'proxyctl reload' to apply it";
        } else {
            d.message = "edited but not reloaded: " + f.path + ", loaded by proxyd (" +
                        short_hash(f.sha256) + ", " + at_time(f.mtime_ns) +
                        "), is gone from disk; run 'proxyctl reload' to apply the change";
        }
        out.push_back(std::move(d));
    }

    if (const auto& last = status.last_reload) {
        std::vector<std::uint64_t> older;
        // Only sessions on force services matter: noforce ones are never re-checked.
        const auto& pinned = status.generations_with_force_sessions
                                 ? *status.generations_with_force_sessions
                                 : status.generations_with_sessions;
        for (auto g : pinned)
            if (g < status.generation) older.push_back(g);
        if (last->trigger == "hup" && !older.empty()) {
            std::string gens;
            for (auto g : older) {
                if (!gens.empty()) gens += ", ";
                gens += std::to_string(g);
            }
            out.push_back(make_diagnostic(
                Rule::PX402, {0, 0, 0, 0},
                "proxyd's last reload (generation " + std::to_string(last->generation) + ", " +
                    local_time_ms(last->started_at_ms) +
                    ") was a SIGHUP: sessions admitted under generation " + gens +
                    " were not re-checked against the new users, passwords and ACLs; run "
                    "'proxyctl reload' to re-check them"));
        }
        if (last->result == "failed" && !failure_fixed_on_disk(*last, loaded)) {
            Diagnostic d = make_diagnostic(
                Rule::PX403, {0, 0, 0, 0},
                "proxyd's last reload attempt (" + local_time_ms(last->started_at_ms) +
                    ", trigger " + last->trigger + ") failed; generation " +
                    std::to_string(status.generation) + " is still running");
            // The reason is the first error: warnings of the same load may come before it.
            const auto& diags = last->diagnostics;
            const nlohmann::json* reason = nullptr;
            if (diags.is_array())
                for (const auto& j : diags)
                    if (j.is_object() && !reason) {
                        auto sev = j.find("severity");
                        if (sev != j.end() && sev->is_string() && *sev == "error") reason = &j;
                    }
            if (!reason && diags.is_array() && !diags.empty()) reason = &diags.front();
            if (reason && reason->is_object()) try {
                    const auto& first = *reason;
                    std::string where = control::string_field(first, "file");
                    if (auto line = control::number_field(first, "line"); line != 0)
                        where += ":" + std::to_string(line);
                    d.message += ": " + (where.empty() ? std::string() : where + ": ") +
                                 control::string_field(first, "message") + " [" +
                                 first.value("code", std::string("?")) + "]";
                } catch (const nlohmann::json::exception&) {
                    // A malformed diagnostic still leaves the failure worth reporting.
                }
            d.message += "; fix it and run 'proxyctl reload'";
            out.push_back(std::move(d));
        }
    }
    return out;
}

}  // namespace proxyctl
