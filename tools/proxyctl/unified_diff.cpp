#include "unified_diff.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace proxyctl {
namespace {

using Lines = std::vector<std::string_view>;

// Each line with its terminator; a last line without one is kept as it is.
Lines split_lines(const std::string& text) {
    Lines out;
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t nl = text.find('\n', begin);
        std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
        out.emplace_back(text.data() + begin, end - begin);
        begin = end;
    }
    return out;
}

enum class Op : char { same = ' ', remove = '-', add = '+' };

// The shortest edit script from a to b (Myers 1986), as one Op per line in order. Each
// round's frontier is kept for the walk back: O((N+M) D) time, O(D^2) memory.
std::vector<Op> edit_script(const Lines& a, const Lines& b) {
    const auto n = static_cast<long>(a.size());
    const auto m = static_cast<long>(b.size());
    const long max = n + m;
    std::vector<long> v(static_cast<std::size_t>(2 * max + 2), 0);
    auto at = [&v, max](long k) -> long& { return v[static_cast<std::size_t>(k + max + 1)]; };
    std::vector<std::vector<long>> trace;  // trace[d][k + d]: furthest x on diagonal k
    long found = -1;
    for (long d = 0; d <= max && found < 0; ++d) {
        for (long k = -d; k <= d; k += 2) {
            long x = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? at(k + 1) : at(k - 1) + 1;
            long y = x - k;
            while (x < n && y < m &&
                   a[static_cast<std::size_t>(x)] == b[static_cast<std::size_t>(y)])
                ++x, ++y;
            at(k) = x;
            if (x >= n && y >= m) found = d;
        }
        std::vector<long> row;
        for (long k = -d; k <= d; ++k) row.push_back(at(k));
        trace.push_back(std::move(row));
    }
    std::vector<Op> ops;
    long x = n, y = m;
    for (long d = found; d > 0; --d) {
        const auto& prev = trace[static_cast<std::size_t>(d - 1)];
        auto prev_at = [&prev, d](long k) { return prev[static_cast<std::size_t>(k + d - 1)]; };
        long k = x - y;
        bool down = k == -d || (k != d && prev_at(k - 1) < prev_at(k + 1));
        long prev_k = down ? k + 1 : k - 1;
        long prev_x = prev_at(prev_k);
        long prev_y = prev_x - prev_k;
        while (x > prev_x && y > prev_y) {
            ops.push_back(Op::same);
            --x, --y;
        }
        ops.push_back(down ? Op::add : Op::remove);
        x = prev_x;
        y = prev_y;
    }
    while (x > 0 && y > 0) {
        ops.push_back(Op::same);
        --x, --y;
    }
    std::reverse(ops.begin(), ops.end());
    return ops;
}

void add_line(std::string& out, char mark, std::string_view line) {
    out += mark;
    out += line;
    if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

// "-START,COUNT": an empty range names the line before it.
std::string range(std::size_t start, std::size_t count) {
    std::size_t first = count == 0 ? start : start + 1;
    return std::to_string(first) + (count == 1 ? "" : "," + std::to_string(count));
}

}  // namespace

std::string unified_diff(const std::string& path, const std::string& before,
                         const std::string& after, std::size_t context) {
    if (before == after) return "";
    Lines a = split_lines(before);
    Lines b = split_lines(after);
    std::vector<Op> ops = edit_script(a, b);
    // Position in a and b at the start of each op.
    std::vector<std::size_t> ai(ops.size() + 1), bi(ops.size() + 1);
    for (std::size_t i = 0; i < ops.size(); ++i) {
        ai[i + 1] = ai[i] + (ops[i] != Op::add ? 1 : 0);
        bi[i + 1] = bi[i] + (ops[i] != Op::remove ? 1 : 0);
    }
    std::string out = "--- a/" + path + "\n+++ b/" + path + "\n";
    std::size_t i = 0;
    while (i < ops.size()) {
        while (i < ops.size() && ops[i] == Op::same) ++i;
        if (i == ops.size()) break;
        std::size_t begin = i >= context ? i - context : 0;
        // Extend over changes closer than twice the context to each other.
        std::size_t end = i;
        while (true) {
            while (end < ops.size() && ops[end] != Op::same) ++end;
            std::size_t next = end;
            while (next < ops.size() && ops[next] == Op::same) ++next;
            if (next < ops.size() && next - end <= 2 * context) {
                end = next;
                continue;
            }
            end = std::min(ops.size(), end + context);
            break;
        }
        out += "@@ -" + range(ai[begin], ai[end] - ai[begin]) + " +" +
               range(bi[begin], bi[end] - bi[begin]) + " @@\n";
        for (std::size_t j = begin; j < end; ++j) {
            if (ops[j] == Op::add)
                add_line(out, '+', b[bi[j]]);
            else
                add_line(out, static_cast<char>(ops[j]), a[ai[j]]);
        }
        i = end;
    }
    return out;
}

}  // namespace proxyctl
