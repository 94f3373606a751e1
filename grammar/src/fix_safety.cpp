// The fix safety of each rule that has fix-its: a summary of what its report sites set on
// FixIt::unsafe (the lint tests check that the two agree).
#include "proxycfg/diagnostic.hpp"

namespace proxycfg {

FixSafety fix_safety(Rule rule) {
    switch (rule) {
        case Rule::PX027:  // a suppression comment
        case Rule::PX029:  // a suppression comment
        case Rule::PX214:  // 3proxy masks the host bits anyway
        case Rule::PX306:  // 3proxy ignores the values after the tenth
            return FixSafety::safe;
        case Rule::PX111:  // unsafe only when 'daemon' moves above a service line
            return FixSafety::depends;
        case Rule::PX001:
        case Rule::PX009:
        case Rule::PX013:
        case Rule::PX025:
        case Rule::PX102:
        case Rule::PX103:
        case Rule::PX105:
        case Rule::PX107:
        case Rule::PX202:
        case Rule::PX208:
        case Rule::PX211:
        case Rule::PX213:
        case Rule::PX215:
            return FixSafety::unsafe;
        default:
            return FixSafety::none;
    }
}

}  // namespace proxycfg
