// libFuzzer target: the control socket's request handler, one input line at a time, as
// the control server hands them over (lines up to the request limit), against a real
// ReloadEngine.
//
// The engine runs a small configuration written once to a temporary directory, with no
// workers: commands that visit the workers return at once, and `reload` and `diff` read
// the file again. Its one service is kept across reloads, so nothing is ever bound.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "access_log.hpp"
#include "config_snapshot.hpp"
#include "control/commands.hpp"
#include "fuzz_check.hpp"
#include "proxycfg/diagnostic.hpp"
#include "proxycontrol/protocol.hpp"
#include "reload.hpp"

namespace {

constexpr std::string_view kConfig =
    "nserver 127.0.0.1\n"
    "users alice:CL:secret\n"
    "auth strong\n"
    "allow alice\n"
    "socks -p1080 -i127.0.0.1\n";

// The engine and what it refers to, for the process's lifetime; the directory goes when
// the fuzzer exits normally.
struct Daemon {
    std::filesystem::path dir;
    proxyd::AccessLog log;
    std::unique_ptr<proxyd::ReloadEngine> engine;
    std::unique_ptr<proxyd::control_cmd::Context> context;

    Daemon() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "control-fuzz-XXXXXX").string();
        FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
        dir = tmpl;
        std::string path = (dir / "proxyd.cfg").string();
        std::FILE* f = std::fopen(path.c_str(), "w");
        FUZZ_CHECK(f != nullptr);
        FUZZ_CHECK(std::fwrite(kConfig.data(), 1, kConfig.size(), f) == kConfig.size());
        FUZZ_CHECK(std::fclose(f) == 0);

        proxycfg::Loaded loaded = proxyd::load_configuration(path);
        FUZZ_CHECK(loaded.readable() && !proxycfg::has_errors(loaded.diagnostics));
        auto model = std::make_shared<const proxycfg::Model>(std::move(loaded.model));
        auto snapshot = std::make_shared<const proxyd::ConfigSnapshot>(model, 1, path);
        engine = std::make_unique<proxyd::ReloadEngine>(snapshot, std::vector<proxyd::Worker*>{},
                                                        log, nullptr);
        context = std::make_unique<proxyd::control_cmd::Context>(
            proxyd::control_cmd::Context{*engine, 1, {}, nullptr});
    }
    ~Daemon() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;
};

Daemon& daemon() {
    static Daemon d;  // the fuzzer's top level: one engine for every input
    return d;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    daemon();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    Daemon& d = daemon();
    while (!input.empty()) {
        std::size_t nl = input.find('\n');
        std::string_view line = input.substr(0, nl);
        input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > control::max_request_bytes) break;  // refused before dispatch
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;

        nlohmann::json reply = proxyd::control_cmd::dispatch(*d.context, line);
        FUZZ_CHECK(reply.is_object() && reply.contains("ok") && reply.at("ok").is_boolean());
        if (!reply.at("ok").get<bool>()) {
            const auto& error = reply.at("error");
            FUZZ_CHECK(error.at("code").is_string() && error.at("message").is_string());
        } else {
            FUZZ_CHECK(reply.contains("result"));
        }
        (void)reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return 0;
}
