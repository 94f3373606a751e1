#include "admin_page.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace proxyd {

namespace {

using nlohmann::json;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kDash = "\xE2\x80\x94";         // shown for null values

// Length of the valid UTF-8 sequence starting at text[i] (a non-ASCII lead byte), or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
    auto at = [&](std::size_t k) -> unsigned {
        return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u;
    };
    auto cont = [&](std::size_t k) { return (at(k) & 0xC0u) == 0x80u; };
    unsigned lead = at(0);
    if (lead >= 0xC2 && lead <= 0xDF) return cont(1) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        unsigned second = at(1);
        if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
        if (lead == 0xED && second > 0x9F) return 0;  // surrogates
        return cont(1) && cont(2) ? 3 : 0;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        unsigned second = at(1);
        if (lead == 0xF0 && second < 0x90) return 0;  // overlong
        if (lead == 0xF4 && second > 0x8F) return 0;  // above U+10FFFF
        return cont(1) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

// Lookups that never throw: the view is assembled elsewhere and a missing field must
// not take the page down.
const json& field(const json& object, const char* key) {
    static const json null_value;
    if (!object.is_object()) return null_value;
    auto it = object.find(key);
    return it == object.end() ? null_value : *it;
}

const json& list(const json& object, const char* key) {
    static const json empty = json::array();
    const json& value = field(object, key);
    return value.is_array() ? value : empty;
}

std::int64_t integer(const json& value) {
    if (value.is_number_integer() && !value.is_number_unsigned()) {
        return value.get<std::int64_t>();
    }
    if (value.is_number_unsigned()) {
        auto u = value.get<std::uint64_t>();
        constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        return static_cast<std::int64_t>(std::min(u, max));
    }
    if (value.is_number_float()) {
        double d = value.get<double>();
        if (!(d == d)) return 0;  // NaN
        if (d >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
        if (d <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
        return static_cast<std::int64_t>(d);
    }
    return 0;
}

std::int64_t integer(const json& object, const char* key) { return integer(field(object, key)); }

// What a cell shows for a scalar; the script's str() shows the same.
std::string text(const json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
    if (value.is_number_integer()) return std::to_string(integer(value));
    if (value.is_number()) return value.dump();
    return std::string(kDash);
}

std::string text(const json& object, const char* key) { return text(field(object, key)); }

// n/unit rounded to one decimal, in integers so the script (tenths()) shows the same.
std::string tenths(std::uint64_t n, std::uint64_t unit) {
    std::uint64_t t = n / unit * 10 + ((n % unit) * 10 + unit / 2) / unit;
    return std::to_string(t / 10) + "." + std::to_string(t % 10);
}

std::string bytes(std::int64_t signed_n) {
    auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(signed_n, 0));
    if (n < 1024) return std::to_string(n) + " B";
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    std::uint64_t unit = 1024;
    std::size_t i = 0;
    while (i + 1 < std::size(units) && n / 1024 >= unit) {
        unit *= 1024;
        ++i;
    }
    return tenths(n, unit) + " " + units[i];
}

std::string two(std::int64_t n) { return (n < 10 ? "0" : "") + std::to_string(n); }

// An age or idle time: "42s", "3m 05s", "2h 07m", "4d 03h".
std::string span(std::int64_t ms) {
    std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
    if (s < 60) return std::to_string(s) + "s";
    std::int64_t m = s / 60;
    if (m < 60) return std::to_string(m) + "m " + two(s % 60) + "s";
    std::int64_t h = m / 60;
    if (h < 24) return std::to_string(h) + "h " + two(m % 60) + "m";
    return std::to_string(h / 24) + "d " + two(h % 24) + "h";
}

std::string micros(std::int64_t signed_us) {
    auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(signed_us, 0));
    if (us < 1000) return std::to_string(us) + " \xC2\xB5s";
    if (us < 1000000) return tenths(us, 1000) + " ms";
    return tenths(us, 1000000) + " s";
}

// "2026-11-28 15:42:10", UTC.
std::string utc(std::int64_t ms) {
    std::int64_t s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    auto t = static_cast<std::time_t>(s);
    std::tm tm{};
    if (!::gmtime_r(&t, &tm)) return std::string(kDash);
    char buf[40];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0) return std::string(kDash);
    return buf;
}

std::string percent(std::int64_t used, std::int64_t limit) {
    if (limit <= 0) return std::string(kDash);
    auto u = static_cast<std::uint64_t>(std::max<std::int64_t>(used, 0));
    if (u > std::numeric_limits<std::uint64_t>::max() / 100) return ">999 %";
    return tenths(u * 100, static_cast<std::uint64_t>(limit)) + " %";
}

class Page {
  public:
    void raw(std::string_view s) { out_ += s; }
    void text(std::string_view s) { out_ += html_escape(s); }
    // <tag attrs>text</tag> with the text escaped; attrs are the page's own constants.
    void element(std::string_view tag, std::string_view attrs, std::string_view content) {
        out_ += '<';
        out_ += tag;
        if (!attrs.empty()) {
            out_ += ' ';
            out_ += attrs;
        }
        out_ += '>';
        text(content);
        out_ += "</";
        out_ += tag;
        out_ += '>';
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

struct Cell {
    std::string text;
    std::string title;  // exact value behind a rounded one, "" for none
    std::string cls;    // a class of the page's own, "" for none
};

// A table inside a scrolling region; the script's table() builds the same.
void table(Page& p, std::string_view caption, const std::vector<std::string>& heads,
           const std::vector<std::vector<Cell>>& rows, std::string_view empty_text,
           const std::vector<std::string>& extra_cells = {}) {
    p.raw("<table>");
    p.element("caption", "", caption);
    p.raw("<thead><tr>");
    for (const auto& h : heads) p.element("th", "scope=\"col\"", h);
    p.raw("</tr></thead>\n<tbody>");
    if (rows.empty()) {
        p.raw("<tr class=\"empty\"><td colspan=\"" + std::to_string(heads.size()) + "\">");
        p.text(empty_text);
        p.raw("</td></tr>");
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        p.raw("<tr class=\"row\">");
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
            const Cell& cell = rows[r][c];
            std::string_view tag = c == 0 ? "th" : "td";
            p.raw("<");
            p.raw(tag);
            if (c == 0) p.raw(" scope=\"row\"");
            if (!cell.cls.empty()) p.raw(" class=\"" + html_escape(cell.cls) + "\"");
            if (!cell.title.empty()) p.raw(" title=\"" + html_escape(cell.title) + "\"");
            p.raw(">");
            p.text(cell.text);
            p.raw("</");
            p.raw(tag);
            p.raw(">");
        }
        if (r < extra_cells.size()) p.raw(extra_cells[r]);
        p.raw("</tr>\n");
    }
    p.raw("</tbody></table>");
}

Cell byte_cell(std::int64_t n) { return {bytes(n), std::to_string(std::max<std::int64_t>(n, 0)) + " bytes", "num"}; }
Cell num_cell(std::string s) { return {std::move(s), "", "num"}; }

void summary(Page& p, const json& view) {
    const json& status = field(view, "status");
    std::int64_t now = integer(view, "now_ms");
    std::int64_t started = integer(status, "started_at_ms");
    auto item = [&](std::string_view term, const std::string& value) {
        p.element("dt", "", term);
        p.element("dd", "", value);
    };
    item("Version", text(status, "version"));
    item("PID", text(status, "pid"));
    item("Generation", text(status, "generation"));
    item("Uptime", field(status, "started_at_ms").is_number() ? span(now - started) : std::string(kDash));
    item("Started (UTC)", field(status, "started_at_ms").is_number() ? utc(started) : std::string(kDash));
    item("Configuration", text(status, "config"));
    item("Sessions", text(status, "sessions_total"));
}

void banner(Page& p, const json& view) {
    const json& b = field(view, "banner");
    const json& files = list(b, "edited_files");
    if (!files.empty()) {
        p.raw("<div class=\"banner warn\" role=\"alert\"><p>");
        p.element("strong", "", "Edited but not reloaded:");
        p.text(" these files on disk differ from the loaded configuration.");
        p.raw("</p><ul>");
        for (const auto& f : files) {
            p.raw("<li><code>");
            p.text(text(f));
            p.raw("</code></li>");
        }
        p.raw("</ul></div>\n");
    }
    if (field(b, "last_reload_failed") == true) {
        const json& reason = field(b, "last_failure");
        p.raw("<div class=\"banner error\" role=\"alert\"><p>");
        p.element("strong", "", "The last reload failed;");
        p.text(" the daemon still runs the previous configuration.");
        p.raw("</p><p class=\"reason\">");
        p.text(reason.is_string() ? reason.get<std::string>() : "No reason was recorded.");
        p.raw("</p></div>\n");
    }
}

void services(Page& p, const json& view) {
    std::vector<std::vector<Cell>> rows;
    for (const auto& s : list(view, "services")) {
        rows.push_back({{text(s, "label"), "", ""},
                        {text(s, "listener"), "", ""},
                        {text(s, "type"), "", ""},
                        {text(s, "auth"), "", ""},
                        {field(s, "force") == true ? "yes" : "no", "", ""},
                        num_cell(text(s, "maxconn")),
                        num_cell(text(s, "sessions"))});
    }
    table(p, "Services (" + std::to_string(rows.size()) + ")",
          {"Service", "Listener", "Type", "Auth", "Force", "Max conn.", "Sessions"}, rows,
          "No services.");
}

void sessions(Page& p, const json& view) {
    bool writable = field(view, "writable") == true;
    std::int64_t now = integer(view, "now_ms");
    std::vector<std::vector<Cell>> rows;
    std::vector<std::string> close_cells;
    for (const auto& s : list(view, "sessions")) {
        std::int64_t id = integer(s, "id");
        rows.push_back({num_cell(std::to_string(id)),
                        {text(s, "service"), "", ""},
                        {text(s, "user"), "", ""},
                        {text(s, "client"), "", ""},
                        {text(s, "target"), "", ""},
                        byte_cell(integer(s, "bytes_in")),
                        byte_cell(integer(s, "bytes_out")),
                        {span(now - integer(s, "started_at_ms")), "started " + utc(integer(s, "started_at_ms")) + " UTC", "num"},
                        num_cell(span(now - integer(s, "last_activity_ms"))),
                        num_cell(text(s, "generation"))});
        if (writable) {
            // Disabled until the script runs: only it can send the CSRF header.
            close_cells.push_back("<td><button type=\"button\" class=\"close\" data-id=\"" +
                                  std::to_string(id) + "\" aria-label=\"Close session " +
                                  std::to_string(id) + "\" disabled>Close</button></td>");
        }
    }
    // In and out as the access log's %I and %O have them.
    std::vector<std::string> heads = {
        "ID",  "Service", "User", "Client", "Target", "In (from server)", "Out (from client)",
        "Age", "Idle",    "Gen."};
    if (writable) heads.push_back("Action");
    table(p, "Live sessions (" + std::to_string(rows.size()) + ")", heads, rows,
          "No live sessions.", close_cells);
}

void reloads(Page& p, const json& view) {
    std::vector<std::vector<Cell>> rows;
    for (const auto& r : list(view, "reloads")) {
        std::string result = text(r, "result");
        std::string cls = result == "ok" ? "ok" : result == "failed" ? "bad" : "";
        rows.push_back({num_cell(text(r, "generation")),
                        {utc(integer(r, "started_at_ms")), "", ""},
                        {text(r, "trigger"), "", ""},
                        {result, "", cls},
                        num_cell(micros(integer(r, "duration_us"))),
                        num_cell(std::to_string(list(r, "changes").size())),
                        num_cell(text(field(field(r, "sessions"), "closed")))});
    }
    table(p, "Last reloads, newest first",
          {"Generation", "Started (UTC)", "Trigger", "Result", "Duration", "Changes",
           "Sessions closed"},
          rows, "No reloads yet.");
}

void counters(Page& p, const json& view) {
    std::vector<std::vector<Cell>> rows;
    std::vector<std::string> meters;
    for (const auto& c : list(field(view, "status"), "counters")) {
        std::int64_t used = std::max<std::int64_t>(integer(c, "bytes"), 0);
        std::int64_t limit = integer(c, "limit_bytes");
        bool over = limit > 0 && used >= limit;
        rows.push_back({num_cell(text(c, "number")),
                        {text(c, "comment"), "", ""},
                        {text(c, "kind"), "", ""},
                        {text(c, "period"), "", ""},
                        byte_cell(used),
                        byte_cell(limit)});
        std::string use = percent(used, limit) + (over ? " (over limit)" : "");
        std::string cell = std::string("<td class=\"use") + (over ? " over" : "") + "\">";
        if (limit > 0) {
            cell += "<meter min=\"0\" max=\"" + std::to_string(limit) + "\" low=\"" +
                    std::to_string(limit / 10 * 8) + "\" high=\"" +
                    std::to_string(limit / 20 * 19) + "\" optimum=\"0\" value=\"" +
                    std::to_string(std::min(used, limit)) + "\" aria-hidden=\"true\"></meter> ";
        }
        cell += "<span>" + html_escape(use) + "</span></td>";
        meters.push_back(std::move(cell));
    }
    table(p, "Traffic counters, this period", {"N", "Comment", "Kind", "Period", "Used", "Limit", "Use"},
          rows, "No traffic counters.", meters);
}

void actions(Page& p, const json& view) {
    if (field(view, "writable") != true) return;
    p.raw("<button type=\"button\" id=\"reload-button\" disabled>Reload configuration</button>");
}

constexpr std::string_view kStyle = R"CSS(
:root{color-scheme:light;--fg:#1a1a1a;--muted:#4d4d4d;--line:#c8c8c8;--head:#eef1f5;--accent:#1f4fa0}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--head)}
h1{font-size:1.25rem;margin:0;flex:1 1 auto}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
main{padding:0 1rem 2rem;max-width:90rem}
#update-note,#action-note{margin:0;color:var(--muted);font-size:.9rem;flex-basis:100%}
#update-note.stale{color:#8a1c0f;font-weight:600}
dl#summary{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dl#summary dt{font-weight:600}
dl#summary dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:4px}
.scroll:focus{outline:2px solid var(--accent);outline-offset:2px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
caption{text-align:left;padding:.4rem .6rem;font-weight:600;color:var(--muted)}
th,td{padding:.35rem .6rem;border-top:1px solid var(--line);text-align:left;vertical-align:top;white-space:nowrap}
thead th{background:var(--head)}
tbody th{font-weight:600}
td.num,th.num{text-align:right}
td.ok{color:#135e25;font-weight:600}
td.bad{color:#a1160b;font-weight:600}
td.use.over span{color:#a1160b;font-weight:600}
meter{width:6rem;vertical-align:middle}
.banner{margin:1rem 0 0;padding:.6rem 1rem;border-radius:4px;border:1px solid}
.banner p{margin:.2rem 0}
.banner ul{margin:.2rem 0;padding-left:1.2rem}
.banner.warn{background:#fff4d6;border-color:#b38600;color:#3d2e00}
.banner.error{background:#fde2e1;border-color:#a1160b;color:#5c0b07}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
button{font:inherit;padding:.3rem .8rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.close{padding:.1rem .6rem;background:#fff;color:var(--accent)}
button:disabled{background:#e6e6e6;border-color:#8c8c8c;color:#3d3d3d;cursor:default}
button:focus-visible,input:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.filter{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .8rem;margin:0 0 .5rem}
.filter input{font:inherit;padding:.3rem .5rem;border:1px solid #767676;border-radius:4px;min-width:12rem;flex:1 1 12rem;max-width:24rem}
#filter-count{color:var(--muted);font-size:.9rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:40rem){body{font-size:14px}main{padding:0 .5rem 1.5rem}header.top{padding:.6rem .5rem}th,td{padding:.3rem .45rem}}
)CSS";

// Mirrors the C++ renderer above cell for cell, so a poll changes only the data. Every
// value goes in through text nodes or setAttribute, never through markup.
constexpr std::string_view kScript = R"JS(
(function () {
  "use strict";
  var POLL_MS = 5000;
  var DASH = "\u2014";
  var view = {};
  var busy = {};
  var bannerKey = null;
  var actionsKey = null;

  function $(id) { return document.getElementById(id); }
  function obj(v) { return v !== null && typeof v === "object" && !Array.isArray(v) ? v : {}; }
  function arr(v) { return Array.isArray(v) ? v : []; }
  function int(v) { return typeof v === "number" && isFinite(v) ? Math.trunc(v) : 0; }
  function str(v) {
    if (typeof v === "string") return v;
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "number") return String(v);
    return DASH;
  }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === true) e.setAttribute(k, "");
      else if (v !== false && v !== null && v !== undefined) e.setAttribute(k, String(v));
    });
    (kids || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  function tenths(n, unit) {
    var t = Math.floor(n / unit) * 10 + Math.floor(((n % unit) * 10 + unit / 2) / unit);
    return Math.floor(t / 10) + "." + (t % 10);
  }
  var UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  function bytes(n) {
    n = Math.max(int(n), 0);
    if (n < 1024) return n + " B";
    var unit = 1024, i = 0;
    while (i + 1 < UNITS.length && Math.floor(n / 1024) >= unit) { unit *= 1024; i++; }
    return tenths(n, unit) + " " + UNITS[i];
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function span(ms) {
    var s = Math.floor(Math.max(int(ms), 0) / 1000);
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "m " + two(s % 60) + "s";
    var h = Math.floor(m / 60);
    if (h < 24) return h + "h " + two(m % 60) + "m";
    return Math.floor(h / 24) + "d " + two(h % 24) + "h";
  }
  function micros(us) {
    us = Math.max(int(us), 0);
    if (us < 1000) return us + " \u00b5s";
    if (us < 1000000) return tenths(us, 1000) + " ms";
    return tenths(us, 1000000) + " s";
  }
  function utc(ms) {
    var d = new Date(int(ms));
    if (isNaN(d.getTime())) return DASH;
    return d.toISOString().slice(0, 19).replace("T", " ");
  }
  function percent(used, limit) {
    if (limit <= 0) return DASH;
    return tenths(Math.max(used, 0) * 100, limit) + " %";
  }
  function cell(text, title, cls) { return { text: text, title: title || null, cls: cls || null }; }
  function num(text) { return cell(text, null, "num"); }
  function byteCell(n) { return cell(bytes(n), Math.max(int(n), 0) + " bytes", "num"); }

  function table(caption, heads, rows, emptyText, extra) {
    var body = el("tbody");
    if (!rows.length) {
      body.appendChild(el("tr", { "class": "empty" }, [el("td", { colspan: heads.length }, [emptyText])]));
    }
    rows.forEach(function (row, r) {
      var tr = el("tr", { "class": "row" });
      row.forEach(function (c, i) {
        tr.appendChild(el(i === 0 ? "th" : "td",
                          { scope: i === 0 ? "row" : null, "class": c.cls, title: c.title }, [c.text]));
      });
      if (extra && extra[r]) tr.appendChild(extra[r]);
      body.appendChild(tr);
    });
    return el("table", null, [
      el("caption", null, [caption]),
      el("thead", null, [el("tr", null, heads.map(function (h) { return el("th", { scope: "col" }, [h]); }))]),
      body
    ]);
  }

  function summary(v) {
    var s = obj(v.status), now = int(v.now_ms), hasStart = typeof s.started_at_ms === "number";
    var items = [
      ["Version", str(s.version)], ["PID", str(s.pid)], ["Generation", str(s.generation)],
      ["Uptime", hasStart ? span(now - int(s.started_at_ms)) : DASH],
      ["Started (UTC)", hasStart ? utc(s.started_at_ms) : DASH],
      ["Configuration", str(s.config)], ["Sessions", str(s.sessions_total)]
    ];
    var out = [];
    items.forEach(function (it) { out.push(el("dt", null, [it[0]]), el("dd", null, [it[1]])); });
    return out;
  }

  function banner(v) {
    var b = obj(v.banner), out = [], files = arr(b.edited_files);
    if (files.length) {
      out.push(el("div", { "class": "banner warn", role: "alert" }, [
        el("p", null, [el("strong", null, ["Edited but not reloaded:"]),
                       " these files on disk differ from the loaded configuration."]),
        el("ul", null, files.map(function (f) { return el("li", null, [el("code", null, [str(f)])]); }))
      ]));
    }
    if (b.last_reload_failed === true) {
      out.push(el("div", { "class": "banner error", role: "alert" }, [
        el("p", null, [el("strong", null, ["The last reload failed;"]),
                       " the daemon still runs the previous configuration."]),
        el("p", { "class": "reason" },
           [typeof b.last_failure === "string" ? b.last_failure : "No reason was recorded."])
      ]));
    }
    return out;
  }

  function services(v) {
    var rows = arr(v.services).map(function (s) {
      s = obj(s);
      return [cell(str(s.label)), cell(str(s.listener)), cell(str(s.type)), cell(str(s.auth)),
              cell(s.force === true ? "yes" : "no"), num(str(s.maxconn)), num(str(s.sessions))];
    });
    return table("Services (" + rows.length + ")",
                 ["Service", "Listener", "Type", "Auth", "Force", "Max conn.", "Sessions"],
                 rows, "No services.");
  }

  function sessions(v) {
    var writable = v.writable === true, now = int(v.now_ms), closers = [];
    var rows = arr(v.sessions).map(function (s) {
      s = obj(s);
      var id = int(s.id);
      if (writable) {
        closers.push(el("td", null, [el("button", {
          type: "button", "class": "close", "data-id": id, "aria-label": "Close session " + id,
          disabled: !!busy[id]
        }, ["Close"])]));
      }
      return [num(String(id)), cell(str(s.service)), cell(str(s.user)), cell(str(s.client)),
              cell(str(s.target)), byteCell(s.bytes_in), byteCell(s.bytes_out),
              cell(span(now - int(s.started_at_ms)), "started " + utc(s.started_at_ms) + " UTC", "num"),
              num(span(now - int(s.last_activity_ms))), num(str(s.generation))];
    });
    var heads = ["ID", "Service", "User", "Client", "Target", "In (from server)",
                 "Out (from client)", "Age", "Idle", "Gen."];
    if (writable) heads.push("Action");
    return table("Live sessions (" + rows.length + ")", heads, rows, "No live sessions.", closers);
  }

  function reloads(v) {
    var rows = arr(v.reloads).map(function (r) {
      r = obj(r);
      var result = str(r.result);
      return [num(str(r.generation)), cell(utc(r.started_at_ms)), cell(str(r.trigger)),
              cell(result, null, result === "ok" ? "ok" : result === "failed" ? "bad" : null),
              num(micros(r.duration_us)), num(String(arr(r.changes).length)),
              num(str(obj(r.sessions).closed))];
    });
    return table("Last reloads, newest first",
                 ["Generation", "Started (UTC)", "Trigger", "Result", "Duration", "Changes",
                  "Sessions closed"], rows, "No reloads yet.");
  }

  function counters(v) {
    var meters = [];
    var rows = arr(obj(v.status).counters).map(function (c) {
      c = obj(c);
      var used = Math.max(int(c.bytes), 0), limit = int(c.limit_bytes);
      var over = limit > 0 && used >= limit;
      var kids = [];
      if (limit > 0) {
        kids.push(el("meter", { min: 0, max: limit, low: Math.floor(limit / 10) * 8,
                                high: Math.floor(limit / 20) * 19, optimum: 0,
                                value: Math.min(used, limit), "aria-hidden": "true" }), " ");
      }
      kids.push(el("span", null, [percent(used, limit) + (over ? " (over limit)" : "")]));
      meters.push(el("td", { "class": over ? "use over" : "use" }, kids));
      return [num(str(c.number)), cell(str(c.comment)), cell(str(c.kind)), cell(str(c.period)),
              byteCell(used), byteCell(limit)];
    });
    return table("Traffic counters, this period",
                 ["N", "Comment", "Kind", "Period", "Used", "Limit", "Use"], rows,
                 "No traffic counters.", meters);
  }

  function fill(id, nodes) {
    var box = $(id);
    if (!box) return;
    while (box.firstChild) box.removeChild(box.firstChild);
    nodes.forEach(function (n) { box.appendChild(n); });
  }

  function applyFilter() {
    var input = $("session-filter"), box = $("sessions");
    if (!input || !box) return;
    var q = input.value.trim().toLowerCase(), rows = box.querySelectorAll("tbody tr.row");
    var shown = 0;
    Array.prototype.forEach.call(rows, function (tr) {
      var hit = !q || tr.textContent.toLowerCase().indexOf(q) !== -1;
      tr.hidden = !hit;
      if (hit) shown++;
    });
    $("filter-count").textContent = q ? shown + " of " + rows.length + " shown" : "";
  }

  function render(v) {
    view = obj(v);
    fill("summary", summary(view));
    // Alerts are announced when inserted: rebuild the banner only when it changes.
    var key = JSON.stringify(obj(view.banner));
    if (key !== bannerKey) { bannerKey = key; fill("banner", banner(view)); }
    var writable = view.writable === true;
    if (String(writable) !== actionsKey) {
      actionsKey = String(writable);
      fill("actions", writable ? [el("button", { type: "button", id: "reload-button", disabled: !!busy.reload },
                                     ["Reload configuration"])] : []);
    }
    fill("services", [services(view)]);
    fill("sessions", [sessions(view)]);
    fill("reloads", [reloads(view)]);
    fill("counters", [counters(view)]);
    applyFilter();
  }

  function note(id, text, stale) {
    var p = $(id);
    if (!p) return;
    p.textContent = text;
    if (stale !== undefined) p.classList.toggle("stale", stale);
  }

  var timer = null;
  function schedule(ms) {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }
  function poll() {
    timer = null;
    var ctl = typeof AbortController === "function" ? new AbortController() : null;
    var guard = ctl ? setTimeout(function () { ctl.abort(); }, POLL_MS * 2) : null;
    fetch("api/view", { cache: "no-store", headers: { Accept: "application/json" },
                        signal: ctl ? ctl.signal : undefined })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (v) {
        render(v);
        note("update-note", "Updated " + utc(Date.now()) + " UTC; refreshes every 5 s.", false);
      })
      .catch(function (e) {
        var why = e && e.name === "AbortError" ? "timed out" : (e && e.message ? e.message : "error");
        note("update-note", "Last update failed (" + why + ") at " + utc(Date.now()) +
             " UTC; showing data from " + utc(view.now_ms) + " UTC.", true);
      })
      .then(function () {
        if (guard !== null) clearTimeout(guard);
        schedule(POLL_MS);
      });
  }

  function post(path, what, key, button) {
    busy[key] = true;
    if (button) button.disabled = true;
    var headers = { Accept: "application/json" };
    if (typeof view.csrf === "string") headers["X-CSRF-Token"] = view.csrf;
    note("action-note", what + "\u2026");
    return fetch(path, { method: "POST", cache: "no-store", headers: headers })
      .then(function (r) {
        return r.text().then(function (body) {
          var detail = "";
          try {
            var j = JSON.parse(body);
            var m = j && (j.message || (j.error && j.error.message) || j.result);
            if (typeof m === "string") detail = ": " + m;
          } catch (ignored) { /* not JSON: the status says enough */ }
          note("action-note", r.ok ? what + " done" + detail + "."
                                   : what + " failed (HTTP " + r.status + ")" + detail + ".");
        });
      })
      .catch(function (e) {
        note("action-note", what + " failed (" + (e && e.message ? e.message : "error") + ").");
      })
      .then(function () {
        delete busy[key];
        if (button && button.isConnected) button.disabled = false;
        schedule(0);
      });
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!(t instanceof Element)) return;
    var b = t.closest("button");
    if (!b || b.disabled) return;
    if (b.id === "reload-button") {
      post("api/reload", "Reload", "reload", b);
    } else if (b.classList.contains("close") && b.hasAttribute("data-id")) {
      var id = b.getAttribute("data-id");
      post("api/sessions/" + encodeURIComponent(id) + "/close", "Closing session " + id, id, b);
    }
  });

  try {
    var data = $("view-data");
    render(JSON.parse(data ? data.textContent : "{}"));
  } catch (e) {
    note("update-note", "The embedded data could not be read; waiting for the next update.", true);
  }
  // The filter lives in the fragment too (#filter=alice), so a filtered view can be linked.
  var input = $("session-filter");
  if (input) {
    var m = /^#filter=(.*)$/.exec(location.hash);
    if (m) {
      try { input.value = decodeURIComponent(m[1]); } catch (ignored) { /* a bad link */ }
    }
    input.addEventListener("input", function () {
      applyFilter();
      history.replaceState(null, "", input.value ? "#filter=" + encodeURIComponent(input.value)
                                                 : location.pathname + location.search);
    });
    $("filter-box").hidden = false;
    applyFilter();
  }
  schedule(POLL_MS);
})();
)JS";

}  // namespace

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '&': out += "&amp;"; break;
                case '<': out += "&lt;"; break;
                case '>': out += "&gt;"; break;
                case '"': out += "&quot;"; break;
                case '\'': out += "&#39;"; break;
                case '\t':
                case '\n':
                case '\r': out += static_cast<char>(c); break;
                default:
                    if (c < 0x20 || c == 0x7F) {
                        out += kReplacement;
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        std::size_t n = utf8_length(s, i);
        if (n == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string json_for_script(const json& value) {
    std::string dumped = value.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string out;
    out.reserve(dumped.size() + dumped.size() / 8);
    // These characters only occur inside JSON strings, where a \u escape means the same.
    for (std::size_t i = 0; i < dumped.size(); ++i) {
        char c = dumped[i];
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else if (c == '\xE2' && i + 2 < dumped.size() && dumped[i + 1] == '\x80' &&
                   (dumped[i + 2] == '\xA8' || dumped[i + 2] == '\xA9')) {
            out += dumped[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string render_admin_page(const json& view) {
    Page p;
    p.raw(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        // Defence in depth: nothing but this document's own inline code and same-origin
        // requests, even if some value slipped through unescaped.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
        "img-src data:; base-uri 'none'; form-action 'none'\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n<title>proxyd status</title>\n<style>");
    p.raw(kStyle);
    p.raw("</style>\n</head>\n<body>\n<header class=\"top\">\n<h1>proxyd status</h1>\n<div id=\"actions\">");
    actions(p, view);
    p.raw("</div>\n<p id=\"update-note\">");
    p.text("Data from " + utc(integer(view, "now_ms")) + " UTC.");
    p.raw("<noscript> Reload the page for newer data; the buttons need JavaScript.</noscript></p>\n"
          "<p id=\"action-note\" role=\"status\"></p>\n</header>\n<main>\n<div id=\"banner\">");
    banner(p, view);
    p.raw("</div>\n<section aria-labelledby=\"daemon-h\">\n<h2 id=\"daemon-h\">Daemon</h2>\n<dl id=\"summary\">");
    summary(p, view);
    p.raw("</dl>\n</section>\n"
          "<section aria-labelledby=\"services-h\">\n<h2 id=\"services-h\">Services</h2>\n"
          "<div class=\"scroll\" id=\"services\" role=\"region\" aria-labelledby=\"services-h\" tabindex=\"0\">");
    services(p, view);
    p.raw("</div>\n</section>\n"
          "<section aria-labelledby=\"sessions-h\">\n<h2 id=\"sessions-h\">Live sessions</h2>\n"
          // Hidden until the script runs: without it the box could not filter anything.
          "<div class=\"filter\" id=\"filter-box\" hidden><label for=\"session-filter\">Filter sessions</label>"
          "<input type=\"search\" id=\"session-filter\" autocomplete=\"off\" spellcheck=\"false\" "
          "placeholder=\"user, client, target\xE2\x80\xA6\" aria-describedby=\"filter-count\">"
          "<span id=\"filter-count\" aria-live=\"polite\"></span></div>\n"
          "<div class=\"scroll\" id=\"sessions\" role=\"region\" aria-labelledby=\"sessions-h\" tabindex=\"0\">");
    sessions(p, view);
    p.raw("</div>\n</section>\n"
          "<section aria-labelledby=\"reloads-h\">\n<h2 id=\"reloads-h\">Last reloads</h2>\n"
          "<div class=\"scroll\" id=\"reloads\" role=\"region\" aria-labelledby=\"reloads-h\" tabindex=\"0\">");
    reloads(p, view);
    p.raw("</div>\n</section>\n"
          "<section aria-labelledby=\"counters-h\">\n<h2 id=\"counters-h\">Traffic counters</h2>\n"
          "<div class=\"scroll\" id=\"counters\" role=\"region\" aria-labelledby=\"counters-h\" tabindex=\"0\">");
    counters(p, view);
    p.raw("</div>\n</section>\n</main>\n<script type=\"application/json\" id=\"view-data\">");
    p.raw(json_for_script(view));
    p.raw("</script>\n<script>");
    p.raw(kScript);
    p.raw("</script>\n</body>\n</html>\n");
    return p.take();
}

}  // namespace proxyd
