#include "acl_line.hpp"

#include <algorithm>

#include "acl_fields.hpp"
#include "proxycfg/util.hpp"
#include "text_util.hpp"

namespace proxycfg {
namespace {

// ACL field 0 to 6 (users, sources, targets, ports, operations, weekdays, periods) into
// `e` and `lists`; false, with `err` set, when the value is refused.
bool read_field(std::size_t field, std::string_view v, AclEntry& e, AclFieldBuilders& lists,
                FieldError& err) {
    switch (field) {
        case 0:
            parse_users(v, lists.users);
            return true;
        case 1:
            return parse_sources(v, lists.sources, err, lists.unusual_forms);
        case 2:
            parse_targets(v, lists.target_addresses, lists.target_hosts, lists.unusual_forms);
            return true;
        case 3:
            return parse_ports(v, lists.ports, err);
        case 4:
            return parse_operations(v, e.operations, err);
        case 5: {
            std::uint8_t days = 0;
            if (!parse_weekdays(v, days, err)) return false;
            e.weekdays = days & 0x7F;
            return true;
        }
        case 6:
            return parse_periods(v, lists.periods, err);
        default:
            return true;
    }
}

}  // namespace

std::optional<AclLineError> read_acl_fields(const LexedDirective& d, std::size_t first, AclEntry& e,
                                            TextPool* pool) {
    auto args = d.args();
    FieldError err;
    AclFieldBuilders lists;
    for (std::size_t i = first, field = 0; i < args.size() && field < 8; ++i, ++field) {
        const Token& t = args[i];
        // An unexpanded $file (includes not followed) stands for a list we cannot see.
        if (t.has_dollar && !t.from_file) continue;
        if (field == 7) {
            long long w = 0;
            if (!parse_int(t.text(), w))
                return AclLineError{Rule::PX021, t.span(),
                                    "ACL weight '" + printable(t.text()) + "' is not a number"};
            e.weight = static_cast<int>(w);
            continue;
        }
        if (!read_field(field, t.text(), e, lists, err))
            return AclLineError{err.rule,
                                t.sub_span(err.offset, std::max<std::size_t>(err.length, 1)),
                                std::move(err.message)};
    }
    e.set_lists(lists, pool);
    return std::nullopt;
}

}  // namespace proxycfg
