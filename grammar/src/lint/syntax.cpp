#include "context.hpp"

namespace proxycfg::checks {

void check_syntax(Context& ctx) { (void)ctx; }

}  // namespace proxycfg::checks
