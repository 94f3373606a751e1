// The allow and deny lines of a large configuration, read on a second thread ahead of
// the resolver's replay. The replay takes each entry that is ready when it gets to its
// line and reads every other line itself, so the model never depends on timing. Such a
// file is mostly ACL lines, and reading their fields is most of the replay's work.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "acl_line.hpp"
#include "proxycfg/ast.hpp"
#include "proxycfg/text_pool.hpp"

namespace proxycfg {

class AclReadAhead {
  public:
    // An entry as read_acl_fields left it, or why the line is refused.
    struct Result {
        AclEntry entry;
        std::optional<AclLineError> error;
    };

    // Starts the thread when `config` has at least `min_lines` well-formed allow and deny
    // lines. Entries take their lists from `pool`, which must outlive them; no one else
    // may use the pool while this object lives.
    AclReadAhead(const ParsedConfig& config, std::size_t min_lines, TextPool& pool);
    ~AclReadAhead();
    AclReadAhead(const AclReadAhead&) = delete;
    AclReadAhead& operator=(const AclReadAhead&) = delete;

    bool active() const { return count_ > 0; }
    // The lines the thread reads: well-formed allow and deny lines.
    static bool reads(const Directive& d) {
        return d.well_formed && (d.id == DirectiveId::allow || d.id == DirectiveId::deny);
    }

    // Called for each line the thread reads (reads()), in file order, with its directive
    // index: true, with the line's entry moved into `out`, if the thread has read it;
    // false if the caller must read the line.
    bool take(std::uint32_t directive, Result& out);

  private:
    static constexpr std::uint32_t kRing = 1024;  // lines read but not yet taken, at most
    static constexpr std::uint32_t kNone = UINT32_MAX;
    static constexpr std::uint64_t kStop = UINT64_MAX;

    struct Slot {
        std::atomic<std::uint32_t> line{kNone};  // the line's number among the ACL lines
        std::uint32_t directive = 0;             // and its directive index
        Result result;
    };

    void run(const std::stop_token& stop);

    const ParsedConfig& config_;
    TextPool& pool_;
    std::uint32_t count_ = 0;  // allow and deny lines
    std::vector<Slot> ring_;   // line j's result is in ring_[j % ring_.size()]
    std::uint32_t next_ = 0;   // the replay's next line (the replay's own)
    // Where the replay is: the lines it has passed (high half) and the directive index
    // after the last of them (low half); kStop when the thread must stop.
    std::atomic<std::uint64_t> taken_{0};
    std::atomic<bool> waiting_{false};  // the thread waits for taken_ to change
    std::jthread thread_;               // last: stops before what it uses goes away
};

}  // namespace proxycfg
