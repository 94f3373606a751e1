#include "context.hpp"

namespace proxycfg::checks {

void check_force(Context& ctx) { (void)ctx; }

}  // namespace proxycfg::checks
