#include "context.hpp"

namespace proxycfg::checks {

void check_users(Context& ctx) { (void)ctx; }

}  // namespace proxycfg::checks
