// Headless Chromium for page tests: the DOM after the page's scripts ran (--dump-dom), a
// screenshot, and the console messages and uncaught exceptions the page produced (read
// from Chromium's stderr log). Every run has its own profile directory and a deadline
// after which its whole process group is killed.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace browser {

using namespace std::chrono_literals;

// A Chromium binary: $CHROMIUM if set, else chromium, chromium-browser or google-chrome on
// PATH; "" when there is none (tests then skip).
std::string find_chromium();

struct Options {
    std::chrono::milliseconds timeout = 45s;  // for the whole run
    int width = 1280;
    int height = 900;
    // Virtual time the page may spend before the dump or screenshot: timers (polls) that
    // fall within it run, without the test waiting that long.
    // (No switch for scripts: --dump-dom reads the DOM through script, so a page is shown
    // without JavaScript by serving it with "Content-Security-Policy: script-src 'none'".)
    std::chrono::milliseconds virtual_time = 0ms;
};

struct Result {
    bool exited = false;     // Chromium ended on its own before the deadline
    int status = -1;         // its exit status, or -signal
    std::string out;         // stdout: the serialized DOM for dump_dom
    std::string log;         // stderr
    std::vector<std::string> console;  // every console message, "text @ source:line"
    std::vector<std::string> uncaught;  // the subset that are uncaught exceptions
    bool ok() const { return exited && status == 0; }
};

Result dump_dom(const std::string& url, const Options& options = {});
// Writes a PNG of the window (width x height) to `png_path`.
Result screenshot(const std::string& url, const std::string& png_path,
                  const Options& options = {});

// The console messages in a Chromium --enable-logging=stderr log, e.g. the line
//   [1:1:1128/215743.12:INFO:CONSOLE:7] "Uncaught TypeError: x", source: http://h/p (7)
void parse_console(const std::string& log, std::vector<std::string>& console,
                   std::vector<std::string>& uncaught);

}  // namespace browser
