// The fields of one ACL line (allow, deny, redirect, and the ACLs of counters and limits)
// read into an AclEntry: a pure function of the line, so any thread may call it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "proxycfg/ast.hpp"
#include "proxycfg/model.hpp"
#include "proxycfg/rules.hpp"

namespace proxycfg {

// Why 3proxy refuses an ACL line: the rule, the word (or the part of it) that is wrong,
// and a message.
struct AclLineError {
    Rule rule = Rule::PX021;
    SourceSpan span;
    std::string message;
};

// Reads the fields from args()[first] on into `e`: users, sources, targets, ports,
// operations, weekdays, periods, weight. The lists' block comes from `pool` (which must
// outlive `e`) or, without one, from the heap. An error instead when a field is refused;
// `e` is then partly set and should be dropped.
std::optional<AclLineError> read_acl_fields(const LexedDirective& d, std::size_t first, AclEntry& e,
                                            TextPool* pool);

}  // namespace proxycfg
