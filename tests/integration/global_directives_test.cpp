// Global directives proxyd applies outside its services: `system "CMD"` runs each time a
// configuration is applied (start and every reload), in file order, with its exit status
// on standard error, never by a check or a dry run; `nsrecord` answers names itself.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace harness;

namespace {

std::size_t lines_in(const std::string& path) {
    auto text = read_file(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("system commands run at start and at each reload, never for a check or a dry run") {
    TempDir dir;
    auto port = free_port();
    auto marks = dir.file("marks");
    std::string config = "system \"echo first >> " + marks + "\"\nsystem \"echo second >> " +
                         marks + "; exit 3\"\nsocks -p" + std::to_string(port) + " -i127.0.0.1\n";
    // Checks read the file and run nothing.
    auto path = dir.write("checked.cfg", config);
    CHECK(run({PROXYD_BINARY, "--check", path}).status == 0);
    CHECK(run({PROXYCTL_BINARY, "check", path}).status == 0);
    CHECK(lines_in(marks) == 0);

    Proxyd p(dir, config, {port});
    CHECK(read_file(marks) == "first\nsecond\n");  // in file order, before serving
    CHECK(proxyctl(p, "reload", {"--dry-run"}).status == 0);
    CHECK(lines_in(marks) == 2);
    CHECK(proxyctl(p, "reload").status == 0);
    CHECK(read_file(marks) == "first\nsecond\nfirst\nsecond\n");
    auto err = p.stderr_text();
    CHECK_THAT(err, Catch::Contains("(start): exit status 0"));
    CHECK_THAT(err, Catch::Contains("; exit 3\" (start): exit status 3"));
    CHECK_THAT(err, Catch::Contains("(control): exit status 3"));
}

TEST_CASE("nsrecord answers a name before any name server, whatever its case") {
    TempDir dir;
    HttpServer http;
    auto port = free_port();
    Proxyd p(dir,
             "nscache 65536\nnsrecord intranet.example 127.0.0.1\nsocks -p" + std::to_string(port) +
                 " -i127.0.0.1\n",
             {port});
    for (std::string host : {"intranet.example", "Intranet.EXAMPLE"}) {
        auto r = curl({"--socks5-hostname", "127.0.0.1:" + std::to_string(port),
                       "http://" + host + ":" + std::to_string(http.port()) + "/static"});
        CHECK(r.body == "hello /static\n");
    }
}
