// proxyctl fmt: prints, rewrites or checks the canonical layout of configuration files
// (proxycfg/layout.hpp), like gofmt and `caddy fmt`.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "file_write.hpp"
#include "proxycfg/layout.hpp"
#include "proxycfg/source.hpp"

namespace proxyctl {
namespace {

struct FmtOptions {
    std::vector<std::string> files;
    bool write = false;
    bool check = false;
    bool separate_blocks = false;
};

std::optional<std::string> read_input(const std::string& path, std::string& error) {
    const std::string too_large =
        std::string(proxycfg::SourceManager::too_large) + ", the most a configuration may be";
    if (path == "-") {
        auto text = proxycfg::read_standard_input();
        if (text.size() <= proxycfg::SourceManager::max_file_size) return text;
        error = too_large;
        return std::nullopt;
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        error = "is a directory; name the configuration files in it";
        return std::nullopt;
    }
    if (auto size = std::filesystem::file_size(path, ec);
        !ec && size > proxycfg::SourceManager::max_file_size) {
        error = too_large;
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

int run_fmt(FmtOptions o) {
    if (o.files.empty()) o.files.push_back("-");
    if (o.write && o.check) {
        std::cerr << "proxyctl fmt: --write and --check exclude each other\n";
        return exit_usage;
    }
    if (!o.write && !o.check && o.files.size() > 1) {
        std::cerr << "proxyctl fmt: give one file to print, or --write / --check for several\n";
        return exit_usage;
    }
    if (o.write) {
        for (const auto& f : o.files) {
            if (f == "-") {
                std::cerr << "proxyctl fmt: --write needs files, not standard input\n";
                return exit_usage;
            }
        }
    }
    if (o.files.size() == 1 && o.files[0] == "-" && ::isatty(STDIN_FILENO)) {
        std::cerr << "proxyctl fmt: reading a configuration from standard input "
                     "(end it with Ctrl-D; 'proxyctl fmt FILE' reads a file)\n";
    }
    proxycfg::LayoutOptions layout{o.separate_blocks};
    int status = exit_ok;
    std::size_t unformatted = 0;
    for (const auto& f : o.files) {
        std::string error;
        auto text = read_input(f, error);
        std::string name = f == "-" ? "<stdin>" : f;
        if (!text) {
            std::cerr << name << ": cannot read: " << error << '\n';
            status = exit_usage;
            continue;
        }
        std::string formatted = proxycfg::canonical_layout(*text, layout);
        if (o.check) {
            if (formatted != *text) {
                ++unformatted;
                std::cerr << "would reformat " << name << '\n';
            }
        } else if (o.write) {
            if (formatted == *text) continue;
            if (!replace_file(f, formatted, error)) {
                std::cerr << name << ": cannot write: " << error << '\n';
                status = exit_usage;
                continue;
            }
            std::cerr << "reformatted " << name << '\n';
        } else {
            std::cout << formatted << std::flush;
        }
    }
    if (o.check && status == exit_ok) {
        if (unformatted > 0) {
            std::cerr << unformatted << " of " << o.files.size()
                      << (o.files.size() == 1 ? " file" : " files")
                      << " would be reformatted ('proxyctl fmt --write' does it)\n";
            return exit_findings;
        }
    }
    return status;
}

}  // namespace

void register_fmt(CLI::App& app, Runner& runner) {
    auto o = std::make_shared<FmtOptions>();
    auto* cmd = app.add_subcommand(
        "fmt", "Print configuration files in the canonical layout, or rewrite or check them");
    cmd->add_option("files", o->files, "Configuration files; '-' or none reads standard input")
        ->type_name("FILE");
    cmd->add_flag("-w,--write", o->write,
                  "Rewrite the files in place (atomically) instead of printing");
    cmd->add_flag("--check", o->check,
                  "Change nothing; exit 1 and name each file that is not in the layout");
    cmd->add_flag("--separate-blocks", o->separate_blocks,
                  "Put a blank line after each run of service lines");
    cmd->footer(
        "The layout changes spacing, quoting and empty lines only: the directives, their\n"
        "order and their meaning stay as they are (comments too). Lines 3proxy would read\n"
        "differently if respaced (an open quote, an over-long line) are kept as written.\n"
        "Exit status: 0 done (or, with --check, every file is in the layout); 1 with --check,\n"
        "a file would be reformatted; 2 usage error or a file that cannot be read or written.\n"
        "Examples:\n"
        "  proxyctl fmt /etc/proxyd/proxyd.cfg | diff -u /etc/proxyd/proxyd.cfg -\n"
        "  proxyctl fmt --write configs/*.cfg\n"
        "  proxyctl fmt --check configs/*.cfg   # in CI");
    cmd->callback([o, &runner] { runner.status = run_fmt(*o); });
}

}  // namespace proxyctl
