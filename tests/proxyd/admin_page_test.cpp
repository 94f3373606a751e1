// The admin status page renderer: every string from the view is escaped, the embedded
// view reads back unchanged, banners and mutating controls appear only when they should,
// and the page needs nothing from elsewhere.
#include "admin_page.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "admin_view_sample.hpp"

using nlohmann::json;
using proxyd::html_escape;
using proxyd::json_for_script;
using proxyd::render_admin_page;

namespace {

std::size_t count(const std::string& text, std::string_view part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

bool has(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

// The text of <script type="application/json" id="view-data">.
std::string embedded_view(const std::string& page) {
    const std::string open = "<script type=\"application/json\" id=\"view-data\">";
    auto begin = page.find(open);
    REQUIRE(begin != std::string::npos);
    begin += open.size();
    auto end = page.find("</script>", begin);
    REQUIRE(end != std::string::npos);
    return page.substr(begin, end - begin);
}

// The page up to the embedded view: what the HTML parser sees as markup.
std::string markup_part(const std::string& page) {
    return page.substr(0, page.find("<script type=\"application/json\""));
}

}  // namespace

TEST_CASE("html_escape makes text safe for content and quoted attributes") {
    CHECK(html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
    CHECK(html_escape("plain text 1:2") == "plain text 1:2");
    CHECK(html_escape("tab\tline\nret\r") == "tab\tline\nret\r");
    // Valid UTF-8 passes through; what is not UTF-8 or is a control becomes U+FFFD.
    CHECK(html_escape("M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x98\x80") ==
          "M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x98\x80");
    CHECK(html_escape("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
    CHECK(html_escape("\xC0\xBC") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '<'
    CHECK(html_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    CHECK(html_escape("x\xE2\x82") == "x\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
    CHECK(html_escape(std::string("n\0ul\x01\x7F", 6)) ==
          "n\xEF\xBF\xBDul\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("json_for_script leaves no way out of the script element") {
    json value = {{"t", "</script><!-- & \xE2\x80\xA8 \xE2\x80\xA9 >"}, {"n", 5}};
    std::string out = json_for_script(value);
    CHECK(out == "{\"n\":5,\"t\":\"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028 \\u2029 \\u003e\"}");
    CHECK(json::parse(out) == value);
    // Bytes that are not UTF-8 do not throw; they arrive as U+FFFD.
    CHECK(json::parse(json_for_script(json{{"u", "a\xFF"}}))["u"] == "a\xEF\xBF\xBD");
}

TEST_CASE("admin page: markup in user names, targets, labels and paths is text") {
    json view = testing::sample_view(true, true, true);
    std::string page = render_admin_page(view);
    std::string markup = markup_part(page);

    CHECK(has(markup, "&lt;img src=x onerror=alert(1)&gt;"));
    CHECK_FALSE(has(page, "<img"));
    CHECK(has(markup, "&quot;quoted&quot; &#39;single&#39; &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    CHECK(has(markup, "socks &lt;b&gt;bold&lt;/b&gt; &amp; co"));
    CHECK_FALSE(has(page, "<b>"));
    CHECK(has(markup, "<li><code>/etc/proxyd/&lt;users&gt;.cfg</code></li>"));
    CHECK(has(markup, "proxyd.cfg:3: unknown command &lt;evil&gt;"));
    CHECK(has(markup, "monthly &lt;quota&gt;"));
    // Only the page's own two script elements exist, and nothing else opens one.
    CHECK(count(page, "<script") == 2);
    CHECK(count(page, "</script>") == 2);

    std::string embedded = embedded_view(page);
    CHECK_FALSE(has(embedded, "<"));
    CHECK_FALSE(has(embedded, ">"));
    CHECK_FALSE(has(embedded, "&"));
    CHECK(json::parse(embedded) == view);
}

TEST_CASE("admin page: tables show the view's numbers in readable units") {
    json view = testing::sample_view(false);
    view["sessions"].push_back(testing::sample_session(19, "", ""));
    view["sessions"][2]["user"] = nullptr;
    view["sessions"][2]["target"] = nullptr;
    std::string page = render_admin_page(view);

    // Sessions: id as a row header, bytes each way, age and idle against now_ms.
    CHECK(has(page, "<caption>Live sessions (3)</caption>"));
    CHECK(has(page, "<th scope=\"row\" class=\"num\">17</th><td>socks1080</td>"));
    CHECK(has(page, "<td class=\"num\" title=\"1536 bytes\">1.5 KiB</td>"
                    "<td class=\"num\" title=\"3145828 bytes\">3.0 MiB</td>"));
    CHECK(has(page, "<td class=\"num\" title=\"started 2026-11-28 15:40:05 UTC\">2m 05s</td>"
                    "<td class=\"num\">4s</td><td class=\"num\">3</td>"));
    CHECK(has(page, "<td>127.0.0.1:5019</td><td>\xE2\x80\x94</td>"));  // null target
    CHECK(has(page, "<td>socks1080</td><td>\xE2\x80\x94</td>"));       // null user
    // Summary: version, generation, uptime.
    CHECK(has(page, "<dt>Version</dt><dd>0.9.1-test</dd>"));
    CHECK(has(page, "<dt>Generation</dt><dd>3</dd>"));
    CHECK(has(page, "<dt>Uptime</dt><dd>3h 02m</dd>"));
    // Services.
    CHECK(has(page, "<td>*:3128</td><td>proxy</td><td>none</td><td>no</td>"
                    "<td class=\"num\">500</td><td class=\"num\">0</td>"));
    CHECK(has(page, "<td>strong cache</td><td>yes</td>"));
    // Reloads: result, duration, changes count, sessions closed.
    CHECK(has(page, "<th scope=\"row\" class=\"num\">3</th><td>2026-11-28 15:41:10</td>"
                    "<td>control</td><td class=\"ok\">ok</td><td class=\"num\">12.3 ms</td>"
                    "<td class=\"num\">2</td><td class=\"num\">1</td>"));
    CHECK(has(page, "<td>hup</td><td class=\"bad\">failed</td><td class=\"num\">850 \xC2\xB5s</td>"));
    // Counters: use against the limit, with a meter; one over its limit.
    CHECK(has(page, "title=\"536870912 bytes\">512.0 MiB</td>"));
    CHECK(has(page, "<meter min=\"0\" max=\"1073741824\""));
    CHECK(has(page, "<span>50.0 %</span>"));
    CHECK(has(page, "<td class=\"use over\">"));
    CHECK(has(page, "<span>150.0 % (over limit)</span>"));
}

TEST_CASE("admin page: is a self-contained, accessible document") {
    std::string page = render_admin_page(testing::sample_view(true, true, true));
    CHECK(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
    CHECK(has(page, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    CHECK(has(page, "<meta charset=\"utf-8\">"));
    // No external assets: no URL of any scheme, nothing loaded by src/href/url()/@import.
    CHECK_FALSE(has(page, "http://"));
    CHECK_FALSE(has(page, "https://"));
    CHECK_FALSE(has(page, "src=\""));
    CHECK_FALSE(has(page, "href="));
    CHECK_FALSE(has(page, "<link"));
    CHECK_FALSE(has(page, "url("));
    CHECK_FALSE(has(page, "@import"));
    // Tables with captions and header scopes; scroll regions; the filter's label.
    CHECK(count(page, "<caption>") == 4);
    CHECK(count(page, "<table>") == 4);
    CHECK(count(page, "class=\"scroll\"") == 4);
    CHECK(has(page, "overflow-x:auto"));
    CHECK(has(page, "<label for=\"session-filter\">Filter sessions</label>"
                    "<input type=\"search\" id=\"session-filter\""));
    CHECK(count(page, "<th scope=\"col\">") == 7 + 11 + 7 + 7);
    // The script polls the relative view URL without the cache and fills text only.
    CHECK(has(page, "fetch(\"api/view\", { cache: \"no-store\""));
    CHECK_FALSE(has(page, "innerHTML"));
    CHECK_FALSE(has(page, "outerHTML"));
    CHECK_FALSE(has(page, "insertAdjacentHTML"));
    CHECK_FALSE(has(page, "document.write"));
}

TEST_CASE("admin page: banners only for edited files and a failed reload") {
    SECTION("neither") {
        std::string page = render_admin_page(testing::sample_view());
        CHECK_FALSE(has(page, "role=\"alert\""));
        CHECK(has(page, "<div id=\"banner\"></div>"));
    }
    SECTION("edited files") {
        std::string page = render_admin_page(testing::sample_view(false, true, false));
        CHECK(count(page, "role=\"alert\"") == 1);
        CHECK(has(page, "<div class=\"banner warn\" role=\"alert\"><p><strong>Edited but not reloaded:</strong>"));
        CHECK(has(page, "<li><code>/etc/proxyd/proxyd.cfg</code></li></ul>"));
        CHECK_FALSE(has(markup_part(page), "The last reload failed"));
    }
    SECTION("failed reload, with and without a reason") {
        json view = testing::sample_view(false, false, true);
        std::string page = render_admin_page(view);
        CHECK(count(page, "role=\"alert\"") == 1);
        CHECK(has(page, "<div class=\"banner error\" role=\"alert\"><p><strong>The last reload failed;</strong>"));
        CHECK(has(page, "<p class=\"reason\">proxyd.cfg:3: unknown command &lt;evil&gt;</p>"));
        CHECK_FALSE(has(markup_part(page), "Edited but not reloaded"));
        view["banner"]["last_failure"] = nullptr;
        CHECK(has(render_admin_page(view), "<p class=\"reason\">No reason was recorded.</p>"));
    }
    SECTION("both") {
        std::string page = render_admin_page(testing::sample_view(false, true, true));
        CHECK(count(page, "role=\"alert\"") == 2);
    }
}

TEST_CASE("admin page: Reload and Close buttons only when writable") {
    SECTION("read-only") {
        std::string page = render_admin_page(testing::sample_view(false));
        CHECK_FALSE(has(page, "<button"));
        CHECK_FALSE(has(page, "id=\"reload-button\""));
        CHECK_FALSE(has(page, "<th scope=\"col\">Action</th>"));
    }
    SECTION("writable") {
        std::string page = render_admin_page(testing::sample_view(true));
        CHECK(has(page, "<div id=\"actions\"><button type=\"button\" id=\"reload-button\" disabled>"
                        "Reload configuration</button></div>"));
        CHECK(count(page, "class=\"close\"") == 2);
        CHECK(has(page, "<button type=\"button\" class=\"close\" data-id=\"17\" "
                        "aria-label=\"Close session 17\" disabled>Close</button>"));
        CHECK(has(page, "data-id=\"18\""));
        CHECK(has(page, "<th scope=\"col\">Action</th>"));
        // The token travels in the embedded view and goes out as a header.
        CHECK(json::parse(embedded_view(page))["csrf"] == "tok-123");
        CHECK(has(page, "headers[\"X-CSRF-Token\"] = view.csrf"));
    }
}

TEST_CASE("admin page: a view with missing or mistyped fields still renders") {
    for (const json& view :
         {json(), json::array(), json("text"),
          json{{"status", 5}, {"sessions", "x"}, {"services", {1, nullptr, "y"}},
               {"reloads", {{{"sessions", 3}, {"changes", "z"}}}}, {"banner", {{"edited_files", 7}}},
               {"now_ms", "soon"}, {"writable", "yes"}}}) {
        std::string page;
        REQUIRE_NOTHROW(page = render_admin_page(view));
        CHECK(has(page, "</html>\n"));
        CHECK_FALSE(has(page, "<button"));  // "yes" is not true
        CHECK_FALSE(has(page, "role=\"alert\""));
    }
    json sparse = {{"sessions", {{{"id", 5}}}}};
    CHECK(has(render_admin_page(sparse), "<th scope=\"row\" class=\"num\">5</th><td>\xE2\x80\x94</td>"));
}
