#include "live_checks.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "proxycfg/hash.hpp"

namespace proxyctl {
namespace {

// realpath(3), or the path itself when it cannot be resolved (a removed file).
std::string canonical(const std::string& path) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved)) return resolved;
    return path;
}

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
    d.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return d;
}

// The FileId under which `path` was read by this check; added (empty) when it was not.
proxycfg::FileId file_id_for(const std::string& path, proxycfg::Loaded& loaded) {
    auto& sources = loaded.parse.config.sources;
    if (!sources) return 0;
    std::string want = canonical(path);
    for (std::size_t i = 0; i < sources->size(); ++i)
        if (canonical(sources->file(static_cast<proxycfg::FileId>(i)).path) == want)
            return static_cast<proxycfg::FileId>(i);
    return sources->add(path, "");
}

std::string at_time(std::int64_t mtime_ns) {
    return local_time_ms(mtime_ns / 1000000);
}

}  // namespace

std::optional<control::Status> query_live_status(const std::string& socket_option,
                                                 std::chrono::milliseconds timeout) {
    ControlReply reply = request(socket_path(socket_option), "status", nullptr, timeout);
    if (!reply.ok()) return std::nullopt;
    try {
        return reply.result->get<control::Status>();
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

bool is_daemon_config(const std::string& path, const control::Status& status) {
    if (path == "-" || status.config.empty()) return false;
    return canonical(path) == canonical(status.config);
}

proxycfg::Diagnostics live_diagnostics(const control::Status& status, proxycfg::Loaded& loaded) {
    using proxycfg::Diagnostic;
    using proxycfg::Severity;
    proxycfg::Diagnostics out;

    for (const auto& f : status.files) {
        OnDisk now = read_on_disk(f.path);
        if (now.exists && now.sha256 == f.sha256) continue;
        Diagnostic d;
        d.code = "PX401";
        d.severity = Severity::warning;
        d.span = {file_id_for(f.path, loaded), 0, 0, 0};
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
            Diagnostic d;
            d.code = "PX402";
            d.severity = Severity::warning;
            d.span = {0, 0, 0, 0};
            d.message = "proxyd's last reload (generation " + std::to_string(last->generation) +
                        ", " + local_time_ms(last->started_at_ms) +
                        ") was a SIGHUP: sessions admitted under generation " + gens +
                        " were not re-checked against the new users, passwords and ACLs; run "
                        "'proxyctl reload' to re-check them";
            out.push_back(std::move(d));
        }
        if (last->result == "failed") {
            Diagnostic d;
            d.code = "PX403";
            d.severity = Severity::error;
            d.span = {0, 0, 0, 0};
            d.message = "proxyd's last reload attempt (" + local_time_ms(last->started_at_ms) +
                        ", trigger " + last->trigger + ") failed; generation " +
                        std::to_string(status.generation) + " is still running";
            const auto& diags = last->diagnostics;
            if (diags.is_array() && !diags.empty() && diags.front().is_object()) try {
                    const auto& first = diags.front();
                    std::string where = first.value("file", std::string());
                    if (first.value("line", 0u) != 0)
                        where += ":" + std::to_string(first.value("line", 0u));
                    d.message += ": " + (where.empty() ? std::string() : where + ": ") +
                                 first.value("message", std::string()) + " [" +
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
