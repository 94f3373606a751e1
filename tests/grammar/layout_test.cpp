// The canonical layout: what it changes, what it must keep as written, and that a second
// pass changes nothing. (tests/cli/fmt_test.py proves on the corpus that the meaning stays.)
#include <catch2/catch.hpp>

#include "proxycfg/layout.hpp"

using proxycfg::canonical_layout;

namespace {
std::string twice(const std::string& text, proxycfg::LayoutOptions o = {}) {
    std::string once = canonical_layout(text, o);
    CHECK(canonical_layout(once, o) == once);
    return once;
}
}  // namespace

TEST_CASE("layout: one space between words, no blanks at either end of a line") {
    CHECK(twice("auth   strong\t\n") == "auth strong\n");
    CHECK(twice("\fallow\t*  *\r\n") == "allow * *\r\n");
}

TEST_CASE("layout: quotes only where a word needs them") {
    CHECK(twice("users \"alice:CL:secret\"\n") == "users alice:CL:secret\n");
    CHECK(twice("users \"bob:CL:a b\"\n") == "users \"bob:CL:a b\"\n");
    // Partly quoted words are written as one quoted run; "" stays a literal quote.
    CHECK(twice("logformat L\"%t %N\"\n") == "logformat \"L%t %N\"\n");
    CHECK(twice("users \"a:CL:x\"\"y z\"\n") == "users \"a:CL:x\"\"y z\"\n");
    CHECK(twice("users \"a:CL:x\"\"y\"\n") == "users \"a:CL:x\"\"y\"\n");
    // A quoted word starting with '#' is an argument; bare it would be a comment marker.
    CHECK(twice("allow \"#x\"\n") == "allow \"#x\"\n");
}

TEST_CASE("layout: words whose meaning hangs on their quotes are kept as written") {
    // Inside quotes '$' is a character, outside it includes a file.
    CHECK(twice("users \"$6$salt$hash\"\n") == "users \"$6$salt$hash\"\n");
    CHECK(twice("users  $\"my file\"\n") == "users $\"my file\"\n");
    // The "" quirk (PX017) tokenizes unlike what it looks like.
    CHECK(twice("users \"\"a b\n") == "users \"\"a b\n");
}

TEST_CASE("layout: comments and skipped lines keep their text") {
    CHECK(twice("#  a   comment  \n") == "#  a   comment\n");
    // An indented line is skipped by 3proxy; moving it left would make it a directive.
    CHECK(twice("  socks   -p1080  \n") == "  socks   -p1080\n");
}

TEST_CASE("layout: one empty line at most, none at the ends, a final newline") {
    CHECK(twice("\n\nnserver 1.1.1.1\n\n\n\nsocks\n\n\n") == "nserver 1.1.1.1\n\nsocks\n");
    CHECK(twice("socks") == "socks\n");
    CHECK(twice("") == "");
    CHECK(twice("\n \n\t\n") == "");
}

TEST_CASE("layout: the line ending of the first line is the file's") {
    CHECK(twice("a  b\r\nc\nd\r\n") == "a b\r\nc\r\nd\r\n");
    CHECK(twice("a\nc\r\n") == "a\nc\n");
}

TEST_CASE("layout: what 3proxy would read differently respaced is left alone") {
    // An open quote runs to the end of the line, spaces included.
    CHECK(twice("users \"alice:CL:x  \nsocks  -p1\n") == "users \"alice:CL:x  \nsocks -p1\n");
    // A bare CR: 3proxy reads the whole file as one line.
    std::string bare_cr = "auth  strong\rsocks\r";
    CHECK(twice(bare_cr) == bare_cr);
    // Longer than 3proxy's line buffer: the cut would move.
    std::string long_line = "users " + std::string(70000, 'a') + "  b\n";
    CHECK(twice(long_line) == long_line);
    // A $FILE on a last line without a newline is a name, not an inclusion.
    CHECK(twice("socks\nusers  $/etc/users") == "socks\nusers $/etc/users");
    CHECK(twice("socks\nusers  /etc/users") == "socks\nusers /etc/users\n");
}

TEST_CASE("layout: --separate-blocks puts an empty line after each run of services") {
    proxycfg::LayoutOptions o;
    o.separate_blocks = true;
    CHECK(twice("auth strong\nsocks -p1\nproxy -p2\nflush\nauth none\ntcppm 1 h 2\n", o) ==
          "auth strong\nsocks -p1\nproxy -p2\n\nflush\nauth none\ntcppm 1 h 2\n");
    CHECK(twice("socks\n\n\nflush\n", o) == "socks\n\nflush\n");
    // Without the option empty lines are only kept, not added.
    CHECK(twice("socks\nflush\n") == "socks\nflush\n");
}
