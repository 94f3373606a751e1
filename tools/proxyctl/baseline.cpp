#include "baseline.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <tuple>

#include <nlohmann/json.hpp>

namespace proxyctl {

namespace fs = std::filesystem;

namespace {

constexpr int format_version = 1;

std::string directory_of(const std::string& path) {
    std::error_code ec;
    return fs::absolute(path, ec).lexically_normal().parent_path().string();
}

// A finding's file relative to the baseline's directory, so the baseline holds wherever
// the check runs from; "<stdin>" and the like stay as they are.
std::string file_key(const std::string& dir, const std::string& path) {
    if (path.empty() || path.front() == '<') return path;
    std::error_code ec;
    fs::path relative = fs::absolute(path, ec).lexically_normal().lexically_relative(dir);
    return relative.empty() ? path : relative.generic_string();
}

// FNV-1a of the line with its blanks collapsed: re-indenting does not make a finding new.
std::string fingerprint(const proxycfg::CheckedFile& file, const proxycfg::Diagnostic& d) {
    std::string_view text;
    if (file.sources && d.span.valid() && d.span.file < file.sources->size())
        text = file.sources->file(d.span.file).line_text(d.span.line);
    std::uint64_t hash = 14695981039346656037ull;
    bool blank = false, started = false;
    auto mix = [&hash](unsigned char c) {
        hash ^= c;
        hash *= 1099511628211ull;
    };
    for (char ch : text) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (std::isspace(c)) {
            blank = started;
            continue;
        }
        if (blank) mix(' ');
        blank = false;
        started = true;
        mix(c);
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return hex;
}

}  // namespace

bool Baseline::read(const std::string& path, std::string& error) {
    std::ifstream in(path);
    if (!in) {
        error = "cannot read baseline " + path + ": " + std::strerror(errno);
        return false;
    }
    dir_ = directory_of(path);
    try {
        nlohmann::json doc = nlohmann::json::parse(in);
        if (doc.value("version", 0) != format_version || !doc.at("findings").is_array())
            throw std::runtime_error("not a proxyctl baseline (version " +
                                     std::to_string(format_version) + ")");
        for (const auto& f : doc.at("findings"))
            ++counts_[{f.at("code").get<std::string>(), f.at("file").get<std::string>(),
                       f.at("fingerprint").get<std::string>()}];
    } catch (const std::exception& e) {
        error = "baseline " + path + " is not valid: " + e.what();
        return false;
    }
    return true;
}

std::size_t Baseline::remove_known(std::vector<proxycfg::CheckedFile>& files) const {
    std::map<Key, std::size_t> left = counts_;
    std::size_t removed = 0;
    for (auto& cf : files) {
        std::erase_if(cf.diagnostics, [&](const proxycfg::Diagnostic& d) {
            auto it = left.find({d.code, file_key(dir_, cf.path(d.span.file)), fingerprint(cf, d)});
            if (it == left.end() || it->second == 0) return false;
            --it->second;
            ++removed;
            return true;
        });
    }
    return removed;
}

bool write_baseline(const std::string& path, const std::vector<proxycfg::CheckedFile>& files,
                    std::string& error) {
    std::string dir = directory_of(path);
    // Sorted, so that a baseline in version control changes only where findings do.
    using Row = std::tuple<std::string, std::string, std::string, std::string>;
    std::vector<Row> rows;
    for (const auto& cf : files)
        for (const auto& d : cf.diagnostics)
            rows.emplace_back(file_key(dir, cf.path(d.span.file)), d.code, fingerprint(cf, d),
                              d.message);
    std::sort(rows.begin(), rows.end());
    auto findings = nlohmann::ordered_json::array();
    for (const auto& [file, code, print, message] : rows)
        findings.push_back(
            {{"code", code}, {"file", file}, {"fingerprint", print}, {"message", message}});
    nlohmann::ordered_json doc = {{"version", format_version}, {"findings", findings}};
    std::ofstream out(path, std::ios::trunc);
    if (out) out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    out.close();
    if (!out) {
        error = "cannot write baseline " + path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace proxyctl
