// The admin page of a real proxyd in headless Chromium: a session curl holds open through
// the proxy is listed, a user name with markup is text, the banner follows an edit, the
// page shows the new generation after a reload, and a screenshot is kept as an artifact.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "browser.hpp"
#include "browser_checks.hpp"
#include "bulk_server.hpp"
#include "harness.hpp"

using namespace harness;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

struct BrowserSetup {
    TempDir dir;
    EchoServer echo;
    BulkServer bulk;
    std::uint16_t socks_port = free_port();
    std::uint16_t admin_port = free_port();
    std::optional<Proxyd> proxyd;

    BrowserSetup() {
        // The admin page is open to 127.0.0.1 without a password: a browser's fetch()
        // takes no credentials from the page's URL.
        proxyd.emplace(dir,
                       "log " + dir.file("access.log") + "\nusers alice:CL:pw \"<b>eve</b>\":CL:pw\nauth strong\nallow *\n"
                       "socks -p" +
                           std::to_string(socks_port) +
                           " -i127.0.0.1\nflush\nauth iponly\nallow * 127.0.0.1 * * ADMIN\n"
                           "admin -p" +
                           std::to_string(admin_port) + " -i127.0.0.1\n",
                       std::vector<std::uint16_t>{socks_port, admin_port});
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(admin_port) + "/"; }
};

}  // namespace

TEST_CASE("the admin page of a running proxyd in Chromium") {
    REQUIRE_CHROMIUM();
    BrowserSetup s;
    // A download curl keeps running through the proxy while the page is read.
    auto download = std::async(std::launch::async, [&] {
        // More than the socket buffers hold: the transfer lasts until curl's --max-time.
        return run({CURL_BINARY, "-s", "--max-time", "8", "--limit-rate", "100k", "-o",
                    "/dev/null", "--socks5", "127.0.0.1:" + std::to_string(s.socks_port),
                    "--proxy-user", "alice:pw", s.bulk.url(100'000'000)});
    });
    Client eve(s.socks_port);
    REQUIRE(socks5_connect(eve, "<b>eve</b>", "pw", s.echo.port()));
    // curl's download is relaying before the page is asked for.
    bool relaying = false;
    std::string last;
    for (int i = 0; i < 200 && !relaying; ++i) {
        auto listed = proxyctl(*s.proxyd, "sessions", {"--json"});
        last = listed.out + listed.err;
        if (listed.status != 0) continue;
        auto reply = nlohmann::json::parse(listed.out);
        for (const auto& x : reply["result"]["sessions"])
            relaying |= x["user"] == "alice" && x["bytes_in"].get<std::uint64_t>() > 0;
        if (!relaying) std::this_thread::sleep_for(50ms);
    }
    INFO(last);
    if (!relaying) {
        auto d = download.get();
        INFO("curl " << d.status << " " << d.out << " " << d.err);
        INFO(read_file(s.dir.file("access.log")));
        REQUIRE(relaying);
    }

    auto first = browser::dump_dom(s.url());
    require_ran(first);
    require_quiet_console(first);
    const std::string& dom = first.out;
    CHECK(has(dom, "<td>alice</td>"));
    CHECK(has(dom, "<td>127.0.0.1:" + std::to_string(s.bulk.port()) + "</td>"));
    CHECK(has(dom, "&lt;b&gt;eve&lt;/b&gt;"));
    CHECK(has(dom, "<dt>Generation</dt><dd>1</dd>"));
    CHECK_FALSE(has(dom, "<b>eve</b>"));
    CHECK_FALSE(has(dom, "role=\"alert\""));

    std::filesystem::create_directories(PROXY_ARTIFACT_DIR);
    std::string png = std::string(PROXY_ARTIFACT_DIR) + "/admin-page-live.png";
    std::filesystem::remove(png);
    auto shot = browser::screenshot(s.url(), png);
    require_ran(shot);
    CHECK(std::filesystem::file_size(png) > 1000);

    // Edited but not reloaded: the banner says so, with the file.
    {
        std::ofstream out(s.proxyd->config_path, std::ios::app);
        out << "# edited\n";
    }
    auto edited = browser::dump_dom(s.url());
    require_ran(edited);
    CHECK(has(edited.out, "role=\"alert\""));
    CHECK(has(edited.out, std::filesystem::path(s.proxyd->config_path).filename().string()));

    // After the reload the banner is gone and the page's poll shows generation 2.
    REQUIRE(proxyctl(*s.proxyd, "reload").status == 0);
    browser::Options poll;
    poll.virtual_time = 6500ms;
    // Chromium's virtual clock can run out before the poll's answer is rendered on a
    // loaded machine: a run without the script's "Updated" note is tried again.
    browser::Result reloaded;
    for (int attempt = 0; attempt < 3; ++attempt) {
        reloaded = browser::dump_dom(s.url(), poll);
        require_ran(reloaded);
        if (has(reloaded.out, "<p id=\"update-note\">Updated ")) break;
    }
    require_quiet_console(reloaded);
    CHECK_FALSE(has(reloaded.out, "role=\"alert\""));
    // The poll of api/view succeeded (the script's note says when it last updated).
    CHECK(has(reloaded.out, "<p id=\"update-note\">Updated "));
    CHECK(has(reloaded.out, "<dt>Generation</dt><dd>2</dd>"));
    auto view = curl({"-s", s.url() + "api/view"});
    REQUIRE(view.http_code == "200");
    auto j = nlohmann::json::parse(view.body);
    CHECK(j["status"]["generation"] == 2);
    CHECK(j["reloads"].size() == 1);

    ::shutdown(eve.fd(), SHUT_RDWR);
    download.wait_for(10s);
}
