#include "browser.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

namespace browser {

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Result run(const std::string& url, const std::vector<std::string>& mode, const Options& o) {
    Result result;
    std::string binary = find_chromium();
    if (binary.empty()) {
        result.log = "no chromium found";
        return result;
    }
    std::string dir = "/tmp/proxyd-browser-XXXXXX";
    if (!::mkdtemp(dir.data())) {
        result.log = "mkdtemp failed";
        return result;
    }
    // Chromium refuses to run as root inside the sandbox and must not share a profile
    // with a parallel test, nor reach out for updates, sync or extensions.
    std::vector<std::string> argv = {binary,
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--user-data-dir=" + dir + "/profile",
                                     "--no-first-run",
                                     "--no-default-browser-check",
                                     "--disable-extensions",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--disable-default-apps",
                                     "--disable-dev-shm-usage",
                                     "--mute-audio",
                                     "--hide-scrollbars",
                                     "--enable-logging=stderr",
                                     "--v=0",
                                     "--window-size=" + std::to_string(o.width) + "," +
                                         std::to_string(o.height)};
    if (o.virtual_time.count() > 0) {
        argv.push_back("--virtual-time-budget=" + std::to_string(o.virtual_time.count()));
    }
    argv.insert(argv.end(), mode.begin(), mode.end());
    argv.push_back(url);

    std::string out_path = dir + "/stdout";
    std::string err_path = dir + "/stderr";
    pid_t pid = ::fork();
    if (pid == 0) {
        // Its own process group, so the deadline can end the renderer and GPU children too.
        ::setpgid(0, 0);
        int in = ::open("/dev/null", O_RDONLY);
        int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(in, STDIN_FILENO);
        ::dup2(out, STDOUT_FILENO);
        ::dup2(err, STDERR_FILENO);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    if (pid > 0) {
        ::setpgid(pid, pid);  // also here: the child may not have run yet
        auto deadline = std::chrono::steady_clock::now() + o.timeout;
        int status = 0;
        for (;;) {
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                result.exited = true;
                result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                ::kill(-pid, SIGKILL);
                ::waitpid(pid, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        // Helpers that outlive the browser process would keep the profile busy.
        ::kill(-pid, SIGKILL);
    }
    result.out = slurp(out_path);
    result.log = slurp(err_path);
    if (!result.exited) result.log += "\n(chromium killed at the deadline)\n";
    parse_console(result.log, result.console, result.uncaught);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return result;
}

}  // namespace

std::string find_chromium() {
    if (const char* env = std::getenv("CHROMIUM"); env && *env) {
        return ::access(env, X_OK) == 0 ? env : "";
    }
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
        std::size_t start = 0;
        while (start <= dirs.size()) {
            std::size_t end = dirs.find(':', start);
            if (end == std::string::npos) end = dirs.size();
            std::string candidate = dirs.substr(start, end - start) + "/" + name;
            if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
            start = end + 1;
        }
    }
    return "";
}

Result dump_dom(const std::string& url, const Options& options) {
    return run(url, {"--dump-dom"}, options);
}

Result screenshot(const std::string& url, const std::string& png_path, const Options& options) {
    return run(url, {"--screenshot=" + png_path}, options);
}

void parse_console(const std::string& log, std::vector<std::string>& console,
                   std::vector<std::string>& uncaught) {
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        // "...:INFO:CONSOLE:7] " (newer) or "...:INFO:CONSOLE(7)] " (older Chromium).
        auto at = line.find(":CONSOLE");
        if (at == std::string::npos) continue;
        auto close = line.find("] ", at);
        if (close == std::string::npos) continue;
        std::string_view rest(line);
        rest.remove_prefix(close + 2);
        std::string message(rest);
        // "\"text\", source: URL (line)" -> "text @ URL (line)"
        auto source = message.rfind("\", source: ");
        if (!message.empty() && message.front() == '"' && source != std::string::npos) {
            message = message.substr(1, source - 1) + " @ " + message.substr(source + 11);
        }
        console.push_back(message);
        if (message.rfind("Uncaught", 0) == 0) uncaught.push_back(message);
    }
}

}  // namespace browser
