// proxyctl fmt: prints, rewrites or checks the canonical layout of configuration files
// (proxycfg/layout.hpp), like gofmt and `caddy fmt`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <utility>

#include "commands.hpp"
#include "proxycfg/layout.hpp"

namespace proxyctl {
namespace {

struct FmtOptions {
    std::vector<std::string> files;
    bool write = false;
    bool check = false;
    bool separate_blocks = false;
};

// Closes on every path out, so a failed write leaves no descriptor behind.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

std::optional<std::string> read_input(const std::string& path, std::string& error) {
    if (path == "-") {
        return std::string(std::istreambuf_iterator<char>(std::cin), {});
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        error = "is a directory; name the configuration files in it";
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

// Writes next to the file and renames over it, so a reader (or proxyd reloading) never
// sees half a file; the mode and, through a symlink, the link itself are kept.
bool replace_file(const std::string& path, const std::string& text, std::string& error) {
    std::error_code ec;
    std::filesystem::path target = std::filesystem::canonical(path, ec);
    if (ec) {
        error = ec.message();
        return false;
    }
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0) {
        error = std::strerror(errno);
        return false;
    }
    std::string temp = target.string() + ".proxyctl-fmt-XXXXXX";
    FileDescriptor fd(::mkstemp(temp.data()));
    if (fd.get() < 0) {
        error = std::string("cannot create a file next to it: ") + std::strerror(errno);
        return false;
    }
    bool ok = ::fchmod(fd.get(), st.st_mode & 07777) == 0;
    for (std::size_t done = 0; ok && done < text.size();) {
        ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd.get()) == 0;
    ok = ::close(fd.release()) == 0 && ok;
    ok = ok && ::rename(temp.c_str(), target.c_str()) == 0;
    if (!ok) {
        error = std::strerror(errno);
        ::unlink(temp.c_str());
    }
    return ok;
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
