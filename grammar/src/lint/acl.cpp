#include "context.hpp"

namespace proxycfg::checks {

void check_acl(Context& ctx) { (void)ctx; }

}  // namespace proxycfg::checks
