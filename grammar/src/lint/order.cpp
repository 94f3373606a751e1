#include "context.hpp"

namespace proxycfg::checks {

void check_order(Context& ctx) { (void)ctx; }

}  // namespace proxycfg::checks
