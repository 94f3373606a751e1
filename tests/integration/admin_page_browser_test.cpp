// The admin status page in headless Chromium, served by a small HTTP server of the test's
// own on 127.0.0.1: the script renders the embedded view as text, polls api/view and
// re-renders from it, says so quietly when a poll fails, and never throws.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "admin_page.hpp"
#include "admin_view_sample.hpp"
#include "browser.hpp"
#include "browser_checks.hpp"
#include "harness.hpp"

using nlohmann::json;

namespace {

using namespace std::chrono_literals;

struct Response {
    std::string type;
    std::string body;
    std::string headers = {};  // extra header lines, each ending in \r\n
    // When set, the answer waits until a request for this path has arrived (15 s at most):
    // a page that loads such a resource keeps its load event, and so the dump, until then.
    std::string after_request_for = {};
};

// Serves fixed bodies by path (404 for the rest), one connection per request, and keeps
// every request head. Each connection has its own thread with a read timeout.
class PageServer {
  public:
    explicit PageServer(std::map<std::string, Response> routes) : routes_(std::move(routes)) {
        fd_ = harness::listen_on(false, port_);
        REQUIRE(fd_ >= 0);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~PageServer() {
        stop_ = true;
        acceptor_.join();
        for (auto& t : threads_) t.join();
        ::close(fd_);
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    std::vector<std::string> heads() {
        std::lock_guard lock(mutex_);
        return heads_;
    }
    // Lower-cased heads of the requests for `path`.
    std::vector<std::string> heads_for(const std::string& path, const std::string& method = "GET") {
        std::vector<std::string> out;
        for (auto h : heads()) {
            if (h.rfind(method + " " + path + " ", 0) != 0) continue;
            for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            out.push_back(h);
        }
        return out;
    }

  private:
    void accept_loop() {
        while (!stop_) {
            int c = harness::accept_with_stop(fd_, stop_);
            if (c < 0) continue;
            threads_.emplace_back([this, c] { serve(c); });
        }
    }
    bool seen(const std::string& path) {
        std::lock_guard lock(mutex_);
        for (const auto& h : heads_) {
            if (h.rfind("GET " + path + " ", 0) == 0) return true;
        }
        return false;
    }
    void serve(int c) {
        timeval tv{2, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string head;
        char buf[4096];
        while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536 && !stop_) {
            auto n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            head.append(buf, static_cast<std::size_t>(n));
        }
        if (head.find("\r\n\r\n") != std::string::npos) {
            {
                std::lock_guard lock(mutex_);
                heads_.push_back(head);
            }
            auto sp1 = head.find(' ');
            auto sp2 = head.find(' ', sp1 + 1);
            std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
            auto it = routes_.find(path);
            std::string status = it == routes_.end() ? "404 Not Found" : "200 OK";
            Response r = it == routes_.end() ? Response{"text/plain", "not here\n"} : it->second;
            if (!r.after_request_for.empty()) {
                for (int i = 0; i < 300 && !stop_ && !seen(r.after_request_for); ++i) {
                    std::this_thread::sleep_for(50ms);
                }
            }
            std::string reply = "HTTP/1.1 " + status + "\r\nContent-Type: " + r.type +
                                "\r\nContent-Length: " + std::to_string(r.body.size()) +
                                "\r\nCache-Control: no-store\r\nConnection: close\r\n" +
                                r.headers + "\r\n" + r.body;
            std::size_t sent = 0;
            while (sent < reply.size()) {
                auto n = ::send(c, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
                if (n <= 0) break;
                sent += static_cast<std::size_t>(n);
            }
        }
        ::close(c);
    }

    std::map<std::string, Response> routes_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::string> heads_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

Response page(const json& view) {
    return {"text/html; charset=utf-8", proxyd::render_admin_page(view)};
}

// Polls happen in real time in these tests, not in Chromium's virtual time, whose clock may
// run past its budget while a poll's answer is still on the way. A test-only image holds
// the page's load event (and so the dump) until a test-only script sees `condition` (a JS
// expression) come true and says so by asking for /rendered. The page's policy is widened
// to let that image in.
Response held_until(Response r, const std::string& condition) {
    auto img_src = r.body.find("img-src data:;");
    REQUIRE(img_src != std::string::npos);
    r.body.replace(img_src, 14, "img-src data: 'self';");
    auto end = r.body.rfind("</body>");
    REQUIRE(end != std::string::npos);
    r.body.insert(end, "<img src=\"/hold\" alt=\"\"><script>(function wait() { if (" + condition +
                           ") fetch('/rendered'); else setTimeout(wait, 50); })();</script>");
    return r;
}
const std::pair<const std::string, Response> kHold{"/hold", {"image/gif", "", "", "/rendered"}};
const std::pair<const std::string, Response> kRendered{"/rendered", {"text/plain", "ok\n"}};

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

// The words of <main>, tags dropped: what a reader sees, whoever rendered it.
std::string main_text(const std::string& dom) {
    auto begin = dom.find("<main>");
    auto end = dom.find("</main>");
    if (begin == std::string::npos || end == std::string::npos) return "(no main)";
    std::string out;
    bool in_tag = false;
    for (std::size_t i = begin; i < end; ++i) {
        char c = dom[i];
        if (c == '<') in_tag = true;
        if (in_tag || std::isspace(static_cast<unsigned char>(c))) {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
        if (c == '>') in_tag = false;
    }
    return out;
}

}  // namespace

TEST_CASE("admin page in Chromium: the script renders the view as text, a failed poll is a note") {
    REQUIRE_CHROMIUM();
    // One poll of api/view, which is not served here.
    PageServer server({{"/", held_until(page(testing::sample_view(true, true, true)),
                                        "document.getElementById('update-note')"
                                        ".classList.contains('stale')")},
                       kHold, kRendered});
    auto r = browser::dump_dom(server.url("/"));
    require_ran(r);
    require_quiet_console(r);
    const std::string dom = r.out.substr(0, r.out.find("<img src=\"/hold\""));  // the page's own

    // Rows rebuilt by the script, the markup user and target as text only.
    CHECK(has(dom, "<tr class=\"row\"><th scope=\"row\" class=\"num\">17</th><td>socks1080</td>"
                   "<td>&lt;img src=x onerror=alert(1)&gt;</td><td>127.0.0.1:5017</td>"
                   "<td>\"quoted\" 'single' &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;</td>"));
    CHECK(has(dom, "<th scope=\"row\" class=\"num\">18</th><td>socks1080</td><td>alice</td>"));
    CHECK_FALSE(has(dom, "<img"));
    CHECK_FALSE(has(dom, "<b>"));
    CHECK(has(dom, "<th scope=\"row\">socks &lt;b&gt;bold&lt;/b&gt; &amp; co</th>"));
    CHECK(count(dom, "<script") == 2);
    // Controls are live once the script runs; the filter box shows.
    CHECK(has(dom, "<button type=\"button\" id=\"reload-button\">Reload configuration</button>"));
    CHECK(has(dom, "<button type=\"button\" class=\"close\" data-id=\"17\" aria-label=\"Close session 17\">Close</button>"));
    CHECK(has(dom, "<div class=\"filter\" id=\"filter-box\">"));
    // Both banners stay (the script leaves an unchanged banner alone).
    CHECK(count(dom, "role=\"alert\"") == 2);
    CHECK(has(dom, "<code>/etc/proxyd/&lt;users&gt;.cfg</code>"));
    // The poll went out uncached and its 404 is reported on the page.
    auto polls = server.heads_for("/api/view");
    REQUIRE(polls.size() >= 1);
    CHECK(has(polls.front(), "cache-control: no-cache"));
    CHECK(has(dom, "<p id=\"update-note\" class=\"stale\">Last update failed (HTTP 404) at "));
    CHECK(has(dom, " UTC; showing data from 2026-11-28 15:42:10 UTC.</p>"));
}

TEST_CASE("admin page in Chromium: the same text with and without JavaScript") {
    REQUIRE_CHROMIUM();
    json view = testing::sample_view(true, true, true);
    view["sessions"].push_back(testing::sample_session(19, "", ""));
    view["sessions"][2]["user"] = nullptr;
    view["sessions"][2]["target"] = nullptr;
    // The same page once more with its scripts blocked by the response's policy.
    Response blocked = page(view);
    blocked.headers = "Content-Security-Policy: script-src 'none'\r\n";
    PageServer server({{"/", page(view)}, {"/plain", blocked}});
    auto plain = browser::dump_dom(server.url("/plain"));
    auto scripted = browser::dump_dom(server.url("/"));
    require_ran(plain);
    require_ran(scripted);
    require_quiet_console(scripted);

    // Without the script the server's HTML is the page: disabled controls, hidden filter
    // (which also shows that the policy did stop the script).
    CHECK(plain.uncaught.empty());
    CHECK(has(plain.out, "id=\"reload-button\" disabled=\"\">"));
    CHECK(has(plain.out, "id=\"filter-box\" hidden=\"\">"));
    CHECK(has(plain.out, "<td>&lt;img src=x onerror=alert(1)&gt;</td>"));
    CHECK_FALSE(has(scripted.out, "disabled=\"\""));

    std::string server_text = main_text(plain.out);
    std::string script_text = main_text(scripted.out);
    CHECK(has(server_text, "17 socks1080 &lt;img src=x onerror=alert(1)&gt; 127.0.0.1:5017"));
    CHECK(has(server_text, "Live sessions (3)"));
    CHECK(has(server_text, "1.5 KiB 3.0 MiB 2m 05s 4s 3"));
    CHECK(has(server_text, "50.0 %"));
    CHECK(server_text == script_text);
}

TEST_CASE("admin page in Chromium: a poll re-renders from api/view") {
    REQUIRE_CHROMIUM();
    json before = testing::sample_view(true);
    json after = testing::sample_view(false, true, false);
    // json::array, not {x}: for a braced list of one json, clang copies x where gcc makes an array.
    after["sessions"] = json::array({testing::sample_session(42, "bob <x>", "example.net:80")});
    after["status"]["generation"] = 4;
    after["status"]["counters"][0]["bytes"] = 1024LL * 1024 * 1024;  // now at its limit
    after["now_ms"] = testing::kSampleNow + 5000;
    Response held = held_until(page(before), "Array.from(document.querySelectorAll('caption'))"
                                             ".some(function (c) {"
                                             " return c.textContent === 'Live sessions (1)'; })");
    PageServer server({{"/", held},
                       {"/api/view", {"application/json", after.dump()}},
                       kHold, kRendered});
    auto r = browser::dump_dom(server.url("/"));
    require_ran(r);
    require_quiet_console(r);
    const std::string& dom = r.out;

    CHECK(has(dom, "<caption>Live sessions (1)</caption>"));
    CHECK(has(dom, "<th scope=\"row\" class=\"num\">42</th><td>socks1080</td><td>bob &lt;x&gt;</td>"));
    CHECK_FALSE(has(dom, ">17</th>"));
    CHECK(has(dom, "<dt>Generation</dt><dd>4</dd>"));
    CHECK(has(dom, "<span>100.0 % (over limit)</span>"));
    CHECK(has(dom, "<strong>Edited but not reloaded:</strong>"));
    // No longer writable: the controls are gone.
    CHECK_FALSE(has(dom, "<button"));
    CHECK_FALSE(has(dom, ">Action</th>"));
    CHECK(has(dom, "<p id=\"update-note\">Updated "));
    CHECK(server.heads_for("/api/view").size() >= 1);
}

TEST_CASE("admin page in Chromium: Reload and Close post with the CSRF token") {
    REQUIRE_CHROMIUM();
    // A test-only script clicks the buttons the way a user would, once the page is up.
    Response clicked = page(testing::sample_view(true));
    auto end = clicked.body.rfind("</body>");
    REQUIRE(end != std::string::npos);
    clicked.body.insert(end,
                        "<script>setTimeout(function () {"
                        " document.getElementById('reload-button').click(); }, 100);"
                        "setTimeout(function () {"
                        " document.querySelector('button.close[data-id=\"17\"]').click(); }, 300);"
                        "</script>");
    // Held until the close is announced and a poll (a 404 here) has followed an action.
    clicked = held_until(clicked,
                         "document.getElementById('action-note').textContent ==="
                         " 'Closing session 17 done: closed.' &&"
                         " document.getElementById('update-note').classList.contains('stale')");
    PageServer server({{"/", clicked},
                       {"/api/reload", {"application/json", R"({"result":"ok"})"}},
                       {"/api/sessions/17/close", {"application/json", R"({"message":"closed"})"}},
                       kHold, kRendered});
    auto r = browser::dump_dom(server.url("/"));
    require_ran(r);
    require_quiet_console(r);

    auto reloads = server.heads_for("/api/reload", "POST");
    auto closes = server.heads_for("/api/sessions/17/close", "POST");
    REQUIRE(reloads.size() == 1);
    REQUIRE(closes.size() == 1);
    CHECK(has(reloads[0], "\r\nx-csrf-token: tok-123\r\n"));
    CHECK(has(closes[0], "\r\nx-csrf-token: tok-123\r\n"));
    CHECK(server.heads_for("/api/sessions/18/close", "POST").empty());
    // The outcome is announced, and each action is followed by a fresh poll.
    CHECK(has(r.out, "<p id=\"action-note\" role=\"status\">Closing session 17 done: closed.</p>"));
    CHECK(server.heads_for("/api/view").size() >= 1);
    CHECK(has(r.out, "<button type=\"button\" id=\"reload-button\">Reload configuration</button>"));
}

TEST_CASE("admin page in Chromium: the session filter hides the rows that do not match") {
    REQUIRE_CHROMIUM();
    PageServer server({{"/", page(testing::sample_view())}});
    auto r = browser::dump_dom(server.url("/#filter=ALICE"));
    require_ran(r);
    require_quiet_console(r);
    CHECK(has(r.out, "<tr class=\"row\" hidden=\"\"><th scope=\"row\" class=\"num\">17</th>"));
    CHECK(has(r.out, "<tr class=\"row\"><th scope=\"row\" class=\"num\">18</th>"));
    CHECK(has(r.out, "<span id=\"filter-count\" aria-live=\"polite\">1 of 2 shown</span>"));
    CHECK(has(r.out, "id=\"session-filter\""));
}

TEST_CASE("admin page in Chromium: screenshots at phone and desktop widths") {
    REQUIRE_CHROMIUM();
    PageServer server({{"/", page(testing::sample_view(true, true, true))}});
    std::filesystem::create_directories(PROXY_ARTIFACT_DIR);
    for (auto [width, height] : {std::pair{390, 844}, std::pair{1280, 900}}) {
        std::string png = std::string(PROXY_ARTIFACT_DIR) + "/admin-page-" +
                          std::to_string(width) + "x" + std::to_string(height) + ".png";
        std::filesystem::remove(png);
        browser::Options options;
        options.width = width;
        options.height = height;
        auto r = browser::screenshot(server.url("/"), png, options);
        require_ran(r);
        require_quiet_console(r);
        std::string bytes = harness::read_file(png);
        INFO(png);
        REQUIRE(bytes.size() > 1000);
        CHECK(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
        // IHDR: big-endian width and height at bytes 16..23.
        auto be32 = [&](std::size_t at) {
            return (static_cast<unsigned char>(bytes[at]) << 24) |
                   (static_cast<unsigned char>(bytes[at + 1]) << 16) |
                   (static_cast<unsigned char>(bytes[at + 2]) << 8) |
                   static_cast<unsigned char>(bytes[at + 3]);
        };
        CHECK(be32(16) == width);
        CHECK(be32(20) == height);
    }
}

TEST_CASE("browser driver: console messages and uncaught exceptions are reported") {
    REQUIRE_CHROMIUM();
    PageServer server({{"/", {"text/html",
                              "<!DOCTYPE html><html lang=\"en\"><title>t</title><p id=\"p\">static</p>"
                              "<script>document.getElementById('p').textContent = 'ran';"
                              "console.log('hello from the page');"
                              "setTimeout(function () { null.boom(); }, 10);</script></html>"}}});
    browser::Options options;
    options.virtual_time = 500ms;
    auto r = browser::dump_dom(server.url("/"), options);
    require_ran(r);
    CHECK(has(r.out, "<p id=\"p\">ran</p>"));
    std::string all;
    for (const auto& m : r.console) all += m + "\n";
    INFO(all);
    REQUIRE(r.console.size() == 2);
    CHECK(r.console[0] == "hello from the page @ " + server.url("/") + " (1)");
    REQUIRE(r.uncaught.size() == 1);
    CHECK(has(r.uncaught[0], "Uncaught TypeError: Cannot read properties of null"));
}
